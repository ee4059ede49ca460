from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "sanscouture.catalogue"
    verbose_name = "Catalogue service-public.fr"
