from django import forms


class SharedFileForm(forms.Form):
    title = forms.CharField(label="Titre", max_length=250, required=False)
    file = forms.FileField(label="Fichier (maquette IFC ou document)", help_text="20 Mo au plus.")


class FileVersionForm(forms.Form):
    file = forms.FileField(label="Nouvelle version", help_text="Même type de fichier que la version précédente.")
