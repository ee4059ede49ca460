from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "sanscouture.journeys"
    verbose_name = "Parcours"
