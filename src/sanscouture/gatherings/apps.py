from django.apps import AppConfig


class GatheringsConfig(AppConfig):
    name = "sanscouture.gatherings"
    verbose_name = "Rencontres et vis mon job"
