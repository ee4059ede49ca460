from django.urls import path

from . import views

app_name = "opendata"
urlpatterns = [
    path("donnees-ouvertes/", views.donnees_ouvertes, name="donnees_ouvertes"),
    path("opendata/catalogue.jsonld", views.catalogue, name="catalogue"),
    path("opendata/qui-fait-quoi.csv", views.qui_fait_quoi_csv, name="qui_fait_quoi_csv"),
    path("opendata/qui-fait-quoi.parquet", views.qui_fait_quoi_parquet, name="qui_fait_quoi_parquet"),
    path(
        "opendata/data-inclusion/structures.json",
        views.data_inclusion_json,
        {"dataset": "structures"},
        name="data_inclusion_structures",
    ),
    path(
        "opendata/data-inclusion/services.json",
        views.data_inclusion_json,
        {"dataset": "services"},
        name="data_inclusion_services",
    ),
    path("opendata/qui-fait-quoi.schema.json", views.qui_fait_quoi_schema_json, name="qui_fait_quoi_schema"),
]
