from django import forms
from django.contrib.auth import password_validation
from dsfr.forms import DsfrBaseForm

from .models import Role


class LoginForm(DsfrBaseForm):
    """Identifier and password (first step); the code comes next."""

    username = forms.CharField(label="Identifiant", max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(label="Mot de passe", strip=False, widget=forms.PasswordInput)

    def __init__(self, request: object = None, *args: object, **kwargs: object) -> None:
        self.request = request
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class CodeForm(DsfrBaseForm):
    code = forms.CharField(
        label="Code à 6 chiffres",
        help_text="Affiché par votre application d'authentification (FreeOTP, Authy, Google Authenticator…)",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError("Le code est composé de 6 chiffres.")
        return code


class AcceptInvitationForm(DsfrBaseForm):
    username = forms.CharField(
        label="Identifiant",
        max_length=150,
        help_text="Lettres, chiffres et . @ + - _ ; il vous servira à vous connecter",
    )
    password1 = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Confirmation du mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self) -> str:
        from django.contrib.auth.validators import UnicodeUsernameValidator

        value = self.cleaned_data["username"].strip()
        UnicodeUsernameValidator()(value)
        return value

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "Les deux mots de passe ne correspondent pas.")
        return data


class InviteForm(DsfrBaseForm):
    email = forms.EmailField(label="Adresse e-mail professionnelle de la personne invitée", max_length=254)
    role = forms.ChoiceField(label="Rôle", choices=Role.choices, initial=Role.AGENT)


class RoleForm(DsfrBaseForm):
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)


class ApiTokenForm(DsfrBaseForm):
    name = forms.CharField(
        label="Nom du jeton", max_length=100, help_text="Par exemple : logiciel de gestion des demandes"
    )
    role = forms.ChoiceField(
        label="Rôle du jeton", choices=[c for c in Role.choices if c[0] != Role.ADMIN], initial=Role.AGENT
    )
