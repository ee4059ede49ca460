from django.urls import path

from . import feeds, views

app_name = "impacts"
urlpatterns = [
    path("actions/", views.dashboard, name="dashboard"),
    path("actions/nouvelle", views.declare, name="declare"),
    path("actions/<int:action_id>/", views.action_detail, name="action"),
    path("actions/<int:action_id>/publication", views.publish, name="publish"),
    path("actions/<int:action_id>/correction", views.correct, name="correct"),
    path("actions/<int:action_id>/retrait", views.withdraw, name="withdraw"),
    path("actions/<int:action_id>/opinions", views.opinion_new, name="opinion_new"),
    path("actions/<int:action_id>/opinions/<int:opinion_id>/reponse", views.opinion_answer, name="opinion_answer"),
    path("avis/", views.inbox, name="inbox"),
    path("avis/<int:notice_id>/", views.notice_detail, name="notice"),
    # Public feeds (no login).
    path("flux/communes/<str:code>/actions.atom", feeds.ActionsFeed(), name="commune_atom"),
    path("flux/communes/<str:code>/actions.ics", feeds.commune_ics, name="commune_ics"),
    path("flux/epci/<str:siren>/actions.atom", feeds.EpciActionsFeed(), name="epci_atom"),
    path("flux/epci/<str:siren>/actions.ics", feeds.epci_ics, name="epci_ics"),
]
