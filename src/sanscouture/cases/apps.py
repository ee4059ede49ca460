from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "sanscouture.cases"
    verbose_name = "Dossiers partagés"
