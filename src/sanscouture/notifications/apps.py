from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "sanscouture.notifications"
    verbose_name = "Notifications"
