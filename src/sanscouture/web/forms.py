import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from dsfr.forms import DsfrBaseForm

from sanscouture.bodies.models import Body
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.models import DECLARABLE_BASES
from sanscouture.errors import DomainError
from sanscouture.territories.models import Commune, CommuneKind
from sanscouture.territories.selectors import commune_resolve

NOT_YOURS = "Vous ne pouvez pas déclarer pour cette structure."


class DeclarationForm(DsfrBaseForm):
    body = forms.ModelChoiceField(
        label="Structure qui exerce la compétence",
        queryset=Body.objects.none(),
        empty_label="Choisir une structure",
        error_messages={"invalid_choice": NOT_YOURS},
    )
    competence = forms.ChoiceField(label="Compétence")
    all_members = forms.BooleanField(label="Sur toutes les communes membres de l'intercommunalité", required=False)
    communes = forms.CharField(
        label="Communes (codes INSEE)",
        required=False,
        help_text="Séparés par des espaces ou des virgules, par exemple 34274 34247",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    start = forms.DateField(label="Depuis le", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label="Jusqu'au (inclus, facultatif)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    basis = forms.ChoiceField(label="Fondement", choices=[("", "Choisir un fondement"), *DECLARABLE_BASES])
    reference = forms.CharField(
        label="Référence de l'acte",
        required=False,
        max_length=300,
        help_text="Date, numéro, lien vers les statuts ou la délibération",
    )

    def __init__(self, *args: object, bodies: list[Body], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["body"].queryset = Body.objects.filter(pk__in=[b.pk for b in bodies])  # type: ignore[attr-defined]
        if len(bodies) == 1:
            self.fields["body"].initial = bodies[0].pk
        self.fields["competence"].choices = [
            ("", "Choisir une compétence"),
            *sorted(  # type: ignore[attr-defined]
                ((c.code, c.label) for c in catalogue().competences.values()), key=lambda x: x[1]
            ),
        ]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        body = data.get("body")
        communes: list[Commune] = []
        if data.get("all_members"):
            if not isinstance(body, Body) or not (body.epci_id or body.ept_id):
                self.add_error("all_members", "Cette structure n'est pas une intercommunalité.")
            else:
                qs = Commune.objects.filter(kind=CommuneKind.CURRENT)
                communes = list(qs.filter(epci_id=body.epci_id) if body.epci_id else qs.filter(ept_id=body.ept_id))
        for code in [c for c in re.split(r"[\s,;]+", str(data.get("communes") or "")) if c]:
            try:
                communes.append(commune_resolve(code).commune)
            except DomainError as exc:
                self.add_error("communes", exc.message)
        if not communes and not self.errors:
            self.add_error("communes", "Indiquez au moins une commune, ou cochez « toutes les communes membres ».")
        data["commune_list"] = list({c.pk: c for c in communes}.values())
        return data


class LocalStepForm(DsfrBaseForm):
    """A step that a body adds to a life event for the communes it serves (validated by `local_step_add`)."""

    body = forms.ModelChoiceField(
        label="Structure qui propose l'étape",
        queryset=Body.objects.none(),
        empty_label="Choisir une structure",
        error_messages={"invalid_choice": "Vous ne pouvez pas ajouter d'étape pour cette structure."},
    )
    life_event = forms.ChoiceField(
        label="Moment de vie",
        error_messages={"invalid_choice": "Choisissez un moment de vie de la liste."},
    )
    title = forms.CharField(label="Titre de l'étape", max_length=200)
    description = forms.CharField(
        label="Ce qu'il faut faire (facultatif)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    url = forms.CharField(
        label="Lien (facultatif)",
        required=False,
        max_length=200,
        help_text="Adresse de la page de votre structure, par exemple https://www.exemple.fr/inscription",
    )
    start = forms.DateField(label="Depuis le", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label="Jusqu'au (inclus, facultatif)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: object, bodies: list[Body], life_events: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["body"].queryset = Body.objects.filter(pk__in=[b.pk for b in bodies])  # type: ignore[attr-defined]
        if len(bodies) == 1:
            self.fields["body"].initial = bodies[0].pk
        self.fields["life_event"].choices = [("", "Choisir un moment de vie"), *life_events]  # type: ignore[attr-defined]

    def clean_url(self) -> str:
        """The scheme is checked by `local_step_add` (its message is shown); here, the rest of the address."""
        url = str(self.cleaned_data.get("url") or "").strip()
        if url.startswith(("https://", "http://")):
            try:
                URLValidator(schemes=["https", "http"])(url)
            except ValidationError:
                raise ValidationError(
                    "Le lien n'est pas une adresse web valide, par exemple https://www.exemple.fr."
                ) from None
        return url
