from django.apps import AppConfig


class ImpactsConfig(AppConfig):
    name = "sanscouture.impacts"
    verbose_name = "Responsabilité collective"
