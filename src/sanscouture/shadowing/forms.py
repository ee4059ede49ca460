from django import forms
from dsfr.forms import DsfrBaseForm

from sanscouture.bodies.models import BodyUnit


class OptInForm(DsfrBaseForm):
    metier = forms.CharField(label="Votre métier ou fonction", max_length=150)
    a_montrer = forms.CharField(
        label="Ce que vous pouvez montrer de votre métier",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    a_decouvrir = forms.CharField(
        label="Ce que vous aimeriez découvrir",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    disponibilites = forms.CharField(
        label="Vos disponibilités",
        help_text="Par exemple : les mardis et jeudis, hors juillet-août",
        max_length=300,
        required=False,
    )
    services = forms.ModelMultipleChoiceField(
        label="Vos services",
        queryset=BodyUnit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, body=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = BodyUnit.objects.filter(body=body, active=True).order_by("name")
        self.fields["services"].label_from_instance = lambda unit: unit.name


class DatesForm(DsfrBaseForm):
    debut = forms.DateField(label="Premier jour", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    fin = forms.DateField(label="Dernier jour", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    heure_debut = forms.TimeField(
        label="Heure d'arrivée", required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    heure_fin = forms.TimeField(
        label="Heure de départ", required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    lieu = forms.CharField(label="Lieu", max_length=300, required=False)


class FeedbackForm(DsfrBaseForm):
    texte = forms.CharField(
        label="En quelques mots : ce que vous avez appris, ce que vous ferez autrement",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    utilite = forms.TypedChoiceField(
        label="Cette immersion changera-t-elle votre façon de travailler avec l'autre service ou structure ?",
        choices=[(1, "1 — pas du tout"), (2, "2 — un peu"), (3, "3 — assez"), (4, "4 — beaucoup")],
        coerce=int,
        widget=forms.RadioSelect,
    )
