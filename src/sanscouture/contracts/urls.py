from django.urls import path

from . import views

app_name = "contracts"
urlpatterns = [
    path("contrats/", views.contract_list, name="contracts"),
    path("contrats/<int:contrat_id>/", views.contract_detail, name="contract"),
    path("contrats/<int:contrat_id>/projets-territoire.<str:fmt>", views.contract_export, name="contract_export"),
    path("contrats/<int:contrat_id>/projets-territoire", views.contract_import, name="contract_import"),
    path("fiches/<int:fiche_id>/", views.sheet_detail, name="sheet"),
    path("lignes-budgetaires/<int:ligne_id>/statut", views.budget_decide, name="budget_decide"),
    path("fiches/<int:fiche_id>/fichiers", views.sheet_file_new, name="sheet_file_new"),
    path("fichiers/<int:file_id>/", views.file_detail, name="file"),
    path("fichiers/<int:file_id>/versions", views.file_version_new, name="file_version_new"),
    path("fichiers/<int:file_id>/versions/<int:number>/telecharger", views.file_download, name="file_download"),
    path("structures/<int:body_id>/leviers/", views.body_levers, name="body_levers"),
]
