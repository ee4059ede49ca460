from django.urls import path

from . import views

app_name = "network"
urlpatterns = [
    path("reseau/", views.network_page, name="network"),
    path("reseau/evaluations/<int:handover_id>", views.rate, name="rate"),
    path("structures/<int:body_id>/reseau-interne/", views.internal_page, name="internal"),
    path("structures/<int:body_id>/services/", views.units_page, name="units"),
]
