from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    # The person (public: the private link is the credential).
    path("declarer/<str:slug>/", views.declaration, name="declaration"),
    path("declarer/<str:slug>/confirmation", views.declaration_done, name="declaration_done"),
    path("suivi/<str:token>/", views.follow_up, name="follow_up"),
    path("suivi/<str:token>/messages", views.follow_up_message, name="follow_up_message"),
    path("suivi/<str:token>/bilan", views.follow_up_outcome, name="follow_up_outcome"),
    path("suivi/<str:token>/consentements/<int:body_id>/retrait", views.follow_up_withdraw, name="follow_up_withdraw"),
    path("suivi/<str:token>/consentements/<int:body_id>/donner", views.follow_up_give, name="follow_up_give"),
    path("suivi/<str:token>/journal/", views.follow_up_journal, name="follow_up_journal"),
    # Agents.
    path("taches/", views.task_list, name="tasks"),
    path("dossiers/<uuid:public_id>/", views.case_detail, name="case"),
    path("dossiers/<uuid:public_id>/journal/", views.case_journal, name="journal"),
    path("dossiers/<uuid:public_id>/taches/<int:task_id>/statut", views.task_status, name="task_status"),
    path("dossiers/<uuid:public_id>/taches/<int:task_id>/orientation", views.task_handover, name="task_handover"),
    path(
        "dossiers/<uuid:public_id>/orientations/<int:handover_id>/decision",
        views.handover_decision,
        name="handover_decision",
    ),
    path("dossiers/<uuid:public_id>/taches/<int:task_id>/avis", views.task_opinion, name="task_opinion"),
    path("dossiers/<uuid:public_id>/avis/<int:avis_demande_id>/reponse", views.opinion_reply, name="opinion_answer"),
    path("dossiers/<uuid:public_id>/messages", views.case_message, name="case_message"),
    path("dossiers/<uuid:public_id>/notes", views.case_note, name="case_note"),
    path("structures/recherche", views.body_search, name="body_search"),
]
