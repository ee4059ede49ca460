from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "sanscouture.webhooks"
    verbose_name = "Webhooks signés"
