from django.apps import AppConfig


class BodiesConfig(AppConfig):
    name = "sanscouture.bodies"
    verbose_name = "Acteurs publics"
