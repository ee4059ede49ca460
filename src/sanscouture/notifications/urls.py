from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/<int:pk>/lue", views.notification_read, name="read"),
    path("notifications/tout-lire", views.notification_read_all, name="read_all"),
]
