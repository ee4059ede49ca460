"""Forms of the guichet unique pages (DSFR markup). They only check shapes; rules live in services."""

from django import forms
from dsfr.forms import DsfrBaseForm

from sanscouture.bodies.models import Body

from .models import TaskStatus
from .selectors import PlannedBody

IDENTITY = ("nom", "prenoms", "date_naissance")
CONTACT = ("courriel", "telephone")
DATES = ("date_naissance", "date_evenement")
LONG = ("composition_foyer", "enfants", "adresse_depart", "adresse_arrivee")
CONSENT_PREFIX = "consentement_"


class CaseDeclarationForm(DsfrBaseForm):
    """Identity, contact, the data the bodies' tasks need, and one explicit consent per body (unchecked)."""

    def __init__(
        self,
        *args: object,
        fields: list[tuple[str, str]],
        planned: list[PlannedBody],
        counter_bodies: list[Body],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.planned = planned
        for name, label in fields:
            if name in DATES:
                field: forms.Field = forms.DateField(
                    label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
                )
            elif name == "courriel":
                field = forms.EmailField(
                    label=label, required=False, max_length=254, help_text="Pour être prévenu des réponses (facultatif)"
                )
            else:
                widget = forms.Textarea(attrs={"rows": 2}) if name in LONG else forms.TextInput()
                field = forms.CharField(label=label, required=name == "nom", max_length=500, widget=widget)
            self.fields[name] = field
        for p in planned:
            seen = ", ".join(label for _, label in p.fields).lower()
            self.fields[f"{CONSENT_PREFIX}{p.body.pk}"] = forms.BooleanField(
                label=f"J'accepte que {p.body.name} voie mes données utiles à sa tâche",
                help_text=f"Elle verra : {seen}. Vous pourrez retirer ce consentement à tout moment.",
                required=False,
                initial=False,
            )
        if counter_bodies:
            self.fields["guichet"] = forms.ModelChoiceField(
                label="Déposer au nom de la personne, pour la structure",
                queryset=Body.objects.filter(pk__in=[b.pk for b in counter_bodies]),
                required=False,
                empty_label="Non : je suis la personne concernée",
                help_text="Le dépôt au guichet est enregistré dans le dossier.",
            )
        self.data_fields = [self[name] for name, _ in fields]
        self.consent_fields = [(p, self[f"{CONSENT_PREFIX}{p.body.pk}"]) for p in planned]

    def values(self) -> dict[str, str]:
        data = self.cleaned_data
        out = {}
        for name in self.fields:
            if name.startswith(CONSENT_PREFIX) or name == "guichet":
                continue
            value = data.get(name)
            if value:
                out[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return out

    def consents(self) -> list[int]:
        return [p.body.pk for p in self.planned if self.cleaned_data.get(f"{CONSENT_PREFIX}{p.body.pk}")]


class StatusForm(DsfrBaseForm):
    status = forms.ChoiceField(label="Nouveau statut", choices=TaskStatus.choices)
    reason = forms.CharField(label="Motif (obligatoire pour « sans objet »)", max_length=500, required=False)


class HandoverForm(DsfrBaseForm):
    structure = forms.IntegerField(label="Structure destinataire")
    reason = forms.CharField(label="Motif de l'orientation", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(DsfrBaseForm):
    decision = forms.ChoiceField(label="Décision", choices=[("accept", "Accepter"), ("refuse", "Refuser")])
    reason = forms.CharField(label="Motif (obligatoire pour un refus)", max_length=1000, required=False)


class TextForm(DsfrBaseForm):
    text = forms.CharField(label="Texte", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class TaskFilterForm(DsfrBaseForm):
    statut = forms.ChoiceField(label="Statut", required=False, choices=[("", "Tous"), *TaskStatus.choices])
    echeance_avant = forms.DateField(
        label="Échéance au plus tard le", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    moment_de_vie = forms.ChoiceField(label="Moment de vie", required=False)
    commune = forms.CharField(label="Commune (code INSEE)", required=False, max_length=5)

    def __init__(self, *args: object, life_events: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["moment_de_vie"].choices = [("", "Tous"), *life_events]  # type: ignore[attr-defined]
