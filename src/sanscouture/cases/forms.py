"""Forms of the guichet unique pages (DSFR markup). They only check shapes; rules live in services."""

from django import forms
from dsfr.forms import DsfrBaseForm

from sanscouture.bodies.models import Body
from sanscouture.errors import DomainError
from sanscouture.territories.selectors import commune_find

from .models import RefusalReason, TaskStatus
from .selectors import PlannedBody

DATES = ("date_naissance", "date_evenement")
LONG = ("composition_foyer", "enfants", "adresse_depart", "adresse_arrivee")
CONSENT_PREFIX = "consentement_"
CONSENT_ALL = "consentement_tous"


class CaseDeclarationForm(DsfrBaseForm):
    """Identity, the event, the household, contact — each asked once, what the questionnaire answered is not — and
    consent: one choice for every body, or body by body (nothing checked by default)."""

    def __init__(
        self,
        *args: object,
        groups: list[tuple[str, list[tuple[str, str]]]],
        known: dict[str, str],
        planned: list[PlannedBody],
        counter_bodies: list[Body],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.planned = planned
        self.known = known
        for _, fields in groups:
            for name, label in fields:
                self.fields[name] = _data_field(name, label)
        self.fields[CONSENT_ALL] = forms.BooleanField(
            label=f"J'accepte que chacune de ces {len(planned)} structures voie les données utiles à sa tâche",
            help_text="Vous pourrez retirer votre accord à tout moment, structure par structure, depuis votre suivi.",
            required=False,
            initial=False,
        )
        for p in planned:
            seen = ", ".join(label for _, label in p.fields).lower()
            self.fields[f"{CONSENT_PREFIX}{p.body.pk}"] = forms.BooleanField(
                label=p.body.name,
                help_text=f"Elle verra : {seen}.",
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
        self.groups = [(title, [self[name] for name, _ in fields]) for title, fields in groups]
        self.consent_all = self[CONSENT_ALL]
        roles: dict[str, list[tuple[PlannedBody, forms.BoundField]]] = {}
        for p in planned:
            roles.setdefault(p.commune_role, []).append((p, self[f"{CONSENT_PREFIX}{p.body.pk}"]))
        self.consent_groups = list(roles.items())  # arrival (or the one commune) first, then the commune left

    def values(self) -> dict[str, str]:
        data = self.cleaned_data
        out = dict(self.known)
        for name in self.fields:
            if name.startswith(CONSENT_PREFIX) or name in ("guichet", CONSENT_ALL):
                continue
            value = data.get(name)
            if value:
                out[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return out

    def consents(self) -> list[int]:
        if self.cleaned_data.get(CONSENT_ALL):
            return [p.body.pk for p in self.planned]
        return [p.body.pk for p in self.planned if self.cleaned_data.get(f"{CONSENT_PREFIX}{p.body.pk}")]


def _data_field(name: str, label: str) -> forms.Field:
    if name in DATES:
        return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))
    if name == "courriel":
        return forms.EmailField(
            label=label, required=False, max_length=254, help_text="Pour être prévenu des réponses (facultatif)"
        )
    widget = forms.Textarea(attrs={"rows": 2}) if name in LONG else forms.TextInput()
    return forms.CharField(label=label, required=name == "nom", max_length=500, widget=widget)


class StatusForm(DsfrBaseForm):
    status = forms.ChoiceField(label="Nouveau statut", choices=TaskStatus.choices)
    reason = forms.CharField(label="Motif (obligatoire pour « sans objet »)", max_length=500, required=False)


class HandoverForm(DsfrBaseForm):
    structure = forms.IntegerField(label="Structure destinataire")
    # Another service of the same body (docs/adr/018): `structure` is then the task's own body.
    service = forms.IntegerField(label="Service destinataire", required=False)
    reason = forms.CharField(label="Motif de l'orientation", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    etapes = forms.MultipleChoiceField(label="Étapes orientées", required=False)

    def __init__(self, *args: object, steps: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["etapes"].choices = [(s, s) for s in steps]  # type: ignore[attr-defined]


class DecisionForm(DsfrBaseForm):
    decision = forms.ChoiceField(label="Décision", choices=[("accept", "Accepter"), ("refuse", "Refuser")])
    refusal_reason = forms.ChoiceField(
        label="Motif du refus", required=False, choices=[("", "—"), *RefusalReason.choices]
    )
    reason = forms.CharField(label="Précisions", max_length=1000, required=False)
    visible = forms.BooleanField(label="La personne peut lire ce motif", required=False)


class OpinionForm(DsfrBaseForm):
    structure = forms.IntegerField(label="Structure sollicitée")
    text = forms.CharField(label="Votre question", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class TextForm(DsfrBaseForm):
    text = forms.CharField(label="Texte", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class TaskFilterForm(DsfrBaseForm):
    statut = forms.ChoiceField(label="Statut", required=False, choices=[("", "Tous"), *TaskStatus.choices])
    echeance_avant = forms.DateField(
        label="Échéance au plus tard le", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    moment_de_vie = forms.ChoiceField(label="Moment de vie", required=False)
    commune = forms.CharField(
        label="Commune", required=False, max_length=120, help_text="Nom, code postal ou code INSEE"
    )

    def __init__(self, *args: object, life_events: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["moment_de_vie"].choices = [("", "Tous"), *life_events]  # type: ignore[attr-defined]

    def clean_commune(self) -> str:
        """The INSEE code of the commune typed, found as in every search box."""
        text = self.cleaned_data["commune"].strip()
        if not text:
            return ""
        try:
            return commune_find(text).commune.insee_code
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
