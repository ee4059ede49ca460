"""Forms of the action pages (DSFR widgets through django-dsfr's base form)."""

import re
from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from sanscouture.bodies.models import Body
from sanscouture.bodies.services import pivot_labels
from sanscouture.competences.catalogue import catalogue
from sanscouture.territories.models import Commune, Epci

from .models import ActionKind, Answer, Cause, Effect, Severity

NOT_YOURS = "Choisissez l'une de vos structures."


def territory_choices(bodies: list[Body]) -> list[tuple[str, str]]:
    """Whole territories offered to the declaring bodies: their région(s), département(s) and the EPCIs in them."""
    communes = Commune.objects.current()
    deps: set[str] = set()
    regions: set[str] = set()
    for b in bodies:
        if b.departement_id:
            deps.add(b.departement_id)
        if b.region_id:
            regions.add(b.region_id)
        if b.commune_id:
            c = communes.filter(pk=b.commune_id).values("departement_id", "region_id").first()
            if c:
                deps.add(c["departement_id"])
        if b.epci_id:
            deps.update(communes.filter(epci_id=b.epci_id).values_list("departement_id", flat=True).distinct())
    if regions:
        deps.update(communes.filter(region_id__in=regions).values_list("departement_id", flat=True).distinct())
    epcis = Epci.objects.filter(communes__departement_id__in=deps).distinct().order_by("name")
    choices = [("", "Aucun (communes ci-dessus seulement)")]
    choices += [(f"region:{r}", f"Toute la région {r}") for r in sorted(regions)]
    choices += [(f"departement:{d}", f"Tout le département {d}") for d in sorted(deps)]
    choices += [(f"epci:{e.siren}", f"{e.name} (toutes ses communes)") for e in epcis]
    return choices


class ActionForm(DsfrBaseForm):
    body = forms.ModelChoiceField(
        label="Structure qui déclare",
        queryset=Body.objects.none(),
        empty_label="Choisir une structure",
        error_messages={"invalid_choice": NOT_YOURS},
    )
    kind = forms.ChoiceField(label="Type d'action", choices=[("", "Choisir un type"), *ActionKind.choices])
    title = forms.CharField(
        label="Titre", max_length=200, help_text="Par exemple « Nouveaux horaires des cars scolaires »"
    )
    description = forms.CharField(
        label="Description", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    start = forms.DateField(label="Début prévu", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="Fin prévue", widget=forms.DateInput(attrs={"type": "date"}))
    communes = forms.CharField(
        label="Communes (codes INSEE)",
        required=False,
        help_text="Séparés par des espaces ; la recherche ci-dessous en ajoute",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    territory = forms.ChoiceField(label="Ou tout un territoire", required=False)
    competences = forms.MultipleChoiceField(
        label="Compétences touchées",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Ctrl ou Cmd pour en choisir plusieurs",
    )
    pivots = forms.MultipleChoiceField(
        label="Guichets touchés",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    cause = forms.ChoiceField(label="Cause", choices=Cause.choices, initial=Cause.OTHER_CAUSE)
    effect = forms.ChoiceField(label="Effet", choices=Effect.choices, initial=Effect.MODIFIED_SERVICE)
    severity = forms.ChoiceField(label="Gravité", choices=Severity.choices, initial=Severity.INFO)
    contact = forms.CharField(
        label="Contact pour les structures concernées",
        required=False,
        max_length=300,
        help_text="Service, adresse de messagerie fonctionnelle ou téléphone du service",
    )

    def __init__(self, *args: Any, bodies: list[Body], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = Body.objects.filter(pk__in=[b.pk for b in bodies])  # type: ignore[attr-defined]
        if len(bodies) == 1:
            self.fields["body"].initial = bodies[0].pk
        self.fields["territory"].choices = territory_choices(bodies)  # type: ignore[attr-defined]
        self.fields["competences"].choices = sorted(  # type: ignore[attr-defined]
            ((c.code, c.label) for c in catalogue().competences.values()), key=lambda x: x[1]
        )
        self.fields["pivots"].choices = sorted(pivot_labels().items(), key=lambda x: x[1])  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["commune_list"] = [c for c in re.split(r"[\s,;]+", data.get("communes") or "") if c]
        return data


class AnswerForm(DsfrBaseForm):
    answer = forms.ChoiceField(label="Votre réponse", choices=Answer.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label="Texte",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Obligatoire pour une adaptation, une objection ou une question",
    )


class OpinionForm(DsfrBaseForm):
    body = forms.ModelChoiceField(label="Au nom de", queryset=Body.objects.none(), empty_label=None)
    text = forms.CharField(label="Votre avis", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, bodies: list[Body], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = Body.objects.filter(pk__in=[b.pk for b in bodies])  # type: ignore[attr-defined]


class ReplyForm(DsfrBaseForm):
    text = forms.CharField(label="Votre réponse", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class CorrectionForm(DsfrBaseForm):
    changes = forms.CharField(label="Ce qui change", max_length=1000, help_text="Envoyé aux structures concernées")
    start = forms.DateField(label="Début prévu", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="Fin prévue", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    actual_start = forms.DateField(
        label="Début effectif", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    actual_end = forms.DateField(label="Fin effective", required=False, widget=forms.DateInput(attrs={"type": "date"}))
