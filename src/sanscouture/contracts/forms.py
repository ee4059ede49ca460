"""Forms of the contracts pages (DSFR markup). They only check shapes; rules live in services."""

from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from sanscouture.bodies.models import Body

from .models import BudgetStatus

UPLOAD = forms.ClearableFileInput(attrs={"class": "fr-upload"})


class SharedFileForm(DsfrBaseForm):
    title = forms.CharField(label="Titre", max_length=250, required=False)
    file = forms.FileField(label="Fichier (maquette IFC ou document)", help_text="20 Mo au plus.", widget=UPLOAD)


class FileVersionForm(DsfrBaseForm):
    file = forms.FileField(
        label="Nouvelle version", help_text="Même type de fichier que la version précédente.", widget=UPLOAD
    )


class ProjetsImportForm(DsfrBaseForm):
    file = forms.FileField(label="Fichier projets-territoire (CSV ou JSON)", widget=UPLOAD)
    pilot = forms.ModelChoiceField(label="Pilote des fiches créées", queryset=Body.objects.none())

    def __init__(self, *args: Any, contract: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = contract.signatories.values_list("body_id", flat=True)
        self.fields["pilot"].queryset = Body.objects.filter(pk__in=ids, active=True)


class BudgetDecisionForm(DsfrBaseForm):
    status = forms.ChoiceField(label="Statut", choices=BudgetStatus.choices)
    amount = forms.DecimalField(label="Montant (euros)", max_digits=14, decimal_places=2, required=False)
    on = forms.DateField(label="Date", required=False, widget=forms.DateInput(attrs={"type": "date"}))
