from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "sanscouture.opendata"
    verbose_name = "Open data et interopérabilité"
