from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "sanscouture.web"
    verbose_name = "Site web"
