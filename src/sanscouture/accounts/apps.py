from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sanscouture.accounts"
    verbose_name = "Comptes"
