"""The subscription form of the administrator's page."""

from django import forms
from dsfr.forms import DsfrBaseForm

from .models import EVENT_TYPES
from .registry import PERSONAL_FIELDS


class SubscriptionForm(DsfrBaseForm):
    url = forms.CharField(
        label="Adresse du récepteur",
        max_length=500,
        help_text="Adresse HTTPS publique de votre logiciel, par exemple https://logiciel.exemple.fr/webhooks",
    )
    description = forms.CharField(label="Description (facultatif)", max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label="Événements envoyés",
        choices=list(EVENT_TYPES.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins un type d'événement."},
    )
    personal_fields = forms.MultipleChoiceField(
        label="Champs personnels autorisés (facultatif)",
        help_text="Par défaut, les envois ne portent que des identifiants, types, statuts et liens. Un champ coché "
        "n'est envoyé que si la tâche de votre structure en a besoin et que la personne y consent ; chaque envoi "
        "est journalisé.",
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["personal_fields"].choices = sorted(PERSONAL_FIELDS.items(), key=lambda kv: kv[1])
