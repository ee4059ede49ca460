from django.apps import AppConfig


class ShadowingConfig(AppConfig):
    name = "sanscouture.shadowing"
    verbose_name = "Vis mon job"
