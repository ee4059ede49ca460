from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "sanscouture.territories"
    verbose_name = "Territoires"
