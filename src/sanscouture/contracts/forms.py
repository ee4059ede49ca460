from typing import Any

from django import forms

from sanscouture.bodies.models import Body


class SharedFileForm(forms.Form):
    title = forms.CharField(label="Titre", max_length=250, required=False)
    file = forms.FileField(
        label="Fichier (maquette IFC ou document)",
        help_text="20 Mo au plus.",
        widget=forms.ClearableFileInput(attrs={"class": "fr-upload"}),
    )


class FileVersionForm(forms.Form):
    file = forms.FileField(
        label="Nouvelle version",
        help_text="Même type de fichier que la version précédente.",
        widget=forms.ClearableFileInput(attrs={"class": "fr-upload"}),
    )


class ProjetsImportForm(forms.Form):
    file = forms.FileField(
        label="Fichier projets-territoire (CSV ou JSON)", widget=forms.ClearableFileInput(attrs={"class": "fr-upload"})
    )
    pilot = forms.ModelChoiceField(label="Pilote des fiches créées", queryset=Body.objects.none())

    def __init__(self, *args: Any, contract: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = contract.signatories.values_list("body_id", flat=True)
        self.fields["pilot"].queryset = Body.objects.filter(pk__in=ids, active=True)
