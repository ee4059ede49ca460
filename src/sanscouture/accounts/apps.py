from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sanscouture.accounts"
    verbose_name = "Comptes"

    def ready(self) -> None:
        from django.contrib import admin

        from . import signals  # noqa: F401 — connects the session receivers
        from .admin import VerifiedAdminSite

        admin.site.__class__ = VerifiedAdminSite  # the admin needs the second factor too
