from django.urls import path

from . import views

app_name = "shadowing"
urlpatterns = [
    path("vis-mon-job/", views.pairs_page, name="list"),
    path("vis-mon-job/inscription/", views.opt_in_page, name="opt_in"),
    path("vis-mon-job/suggestions/", views.suggestions_page, name="suggestions"),
    path("vis-mon-job/proposer", views.propose, name="propose"),
    path("vis-mon-job/<int:pair_id>/", views.pair_page, name="pair"),
    path("vis-mon-job/<int:pair_id>/action", views.pair_action, name="action"),
    path("vis-mon-job/<int:pair_id>/convention/", views.convention_page, name="convention"),
    path("vis-mon-job/<int:pair_id>/retour/", views.feedback_page, name="feedback"),
]
