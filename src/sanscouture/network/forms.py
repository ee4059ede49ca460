"""Forms of the network pages: the territory and period of the figures, a tie's rating, a body's services."""

from django import forms
from dsfr.forms import DsfrBaseForm

from sanscouture.bodies.models import BodyUnit, UnitKind

from .models import TRUST_ITEMS, VALUE_ITEMS

SCORES = [(1, "1 — pas du tout"), (2, "2 — un peu"), (3, "3 — assez"), (4, "4 — tout à fait")]
LABELS = {
    "alignement": "Nos missions sont alignées",
    "ouverture": "Elle est ouverte à la discussion",
    "fiabilite": "Elle fait ce qu'elle dit",
    "ressources": "Elle apporte des ressources",
    "influence": "Elle a de l'influence pour faire avancer les choses",
    "engagement": "Elle s'engage dans notre travail commun",
}


class NetworkFilterForm(DsfrBaseForm):
    territoire = forms.ChoiceField(label="Territoire")
    du = forms.DateField(label="Du", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    au = forms.DateField(label="Au (inclus)", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, territories: list[tuple[str, str]], **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["territoire"].choices = territories


class PeriodForm(DsfrBaseForm):
    du = forms.DateField(label="Du", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    au = forms.DateField(label="Au (inclus)", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class RatingForm(DsfrBaseForm):
    """PARTNER's six items, 1 to 4 (trust: the first three; value: the last three)."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        for item in TRUST_ITEMS + VALUE_ITEMS:
            self.fields[item] = forms.TypedChoiceField(
                label=LABELS[item], choices=SCORES, coerce=int, initial=3, widget=forms.RadioSelect
            )


class UnitForm(DsfrBaseForm):
    nom = forms.CharField(label="Nom", max_length=200)
    type = forms.ChoiceField(label="Type", choices=UnitKind.choices, initial=UnitKind.SERVICE)
    parent = forms.ModelChoiceField(
        label="Rattaché à", queryset=BodyUnit.objects.none(), required=False, empty_label="— (au premier niveau)"
    )

    def __init__(self, *args, body, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = BodyUnit.objects.filter(body=body, active=True)
        self.fields["parent"].label_from_instance = lambda unit: unit.name
