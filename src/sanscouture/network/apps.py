from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "sanscouture.network"
    verbose_name = "Acteur-réseau"
