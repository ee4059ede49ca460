from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("structures/<int:body_id>/webhooks/", views.webhook_list, name="list"),
    path("structures/<int:body_id>/webhooks/<uuid:webhook_id>/", views.webhook_detail, name="detail"),
    path("structures/<int:body_id>/webhooks/<uuid:webhook_id>/secret", views.webhook_rotate, name="rotate"),
    path("structures/<int:body_id>/webhooks/<uuid:webhook_id>/desactiver", views.webhook_disable, name="disable"),
    path("structures/<int:body_id>/webhooks/<uuid:webhook_id>/reactiver", views.webhook_enable, name="enable"),
    path(
        "structures/<int:body_id>/webhooks/<uuid:webhook_id>/livraisons/<str:livraison_id>/rejouer",
        views.webhook_replay,
        name="replay",
    ),
]
