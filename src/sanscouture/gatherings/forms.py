"""Forms of the gathering pages (DSFR widgets through django-dsfr's base form). Times are Paris time."""

from datetime import datetime
from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from sanscouture.bodies.models import Body

from .ics import PARIS
from .models import Reply

LOCAL = "%Y-%m-%dT%H:%M"


class LocalDateTime(forms.DateTimeField):
    """A `datetime-local` field read as Paris time."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=[LOCAL, "%Y-%m-%d %H:%M"], **kwargs)

    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        return parsed.replace(tzinfo=None).replace(tzinfo=PARIS) if parsed.tzinfo is None else parsed


class GatheringForm(DsfrBaseForm):
    body = forms.ModelChoiceField(
        label="Structure organisatrice",
        queryset=Body.objects.none(),
        empty_label="Choisir une structure",
        error_messages={"invalid_choice": "Choisissez l'une des structures dont vous êtes administrateur ou référent."},
    )
    title = forms.CharField(label="Titre", max_length=200, help_text="Par exemple « Fête des voisins au travail »")
    description = forms.CharField(
        label="Programme", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    place = forms.CharField(label="Lieu", max_length=300, help_text="Adresse ou salle")
    start = LocalDateTime(label="Début", help_text="Heure de Paris")
    end = LocalDateTime(label="Fin", help_text="Heure de Paris")
    capacity = forms.IntegerField(
        label="Nombre de places",
        required=False,
        min_value=1,
        max_value=100000,
        help_text="Laissez vide pour ne pas limiter ; au-delà, les oui vont en liste d'attente",
    )

    def __init__(self, *args: Any, bodies: list[Body] | None = None, update: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if update:
            del self.fields["body"]
        else:
            self.fields["body"].queryset = Body.objects.filter(pk__in=[b.pk for b in bodies or []]).order_by("name")
            if bodies and len(bodies) == 1:
                self.fields["body"].initial = bodies[0].pk


class ReplyForm(DsfrBaseForm):
    reply = forms.ChoiceField(
        label="Votre réponse",
        choices=[(Reply.YES, "Oui, je viens"), (Reply.MAYBE, "Peut-être"), (Reply.NO, "Non, je ne viens pas")],
        widget=forms.RadioSelect,
    )
