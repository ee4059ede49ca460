from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "sanscouture.contracts"
    verbose_name = "Contrats et projets"
