from django.urls import path

from . import views

app_name = "gatherings"
urlpatterns = [
    path("rencontres/", views.gatherings, name="list"),
    path("rencontres/nouvelle", views.create, name="create"),
    path("rencontres/effet/", views.effect_page, name="effect"),
    path("rencontres/<int:rencontre_id>/", views.detail, name="detail"),
    path("rencontres/<int:rencontre_id>/modifier", views.update, name="update"),
    path("rencontres/<int:rencontre_id>/annuler", views.cancel, name="cancel"),
    path("rencontres/<int:rencontre_id>/reponse", views.reply, name="reply"),
    path("rencontres/<int:rencontre_id>/presences", views.attendance, name="attendance"),
    path("rencontres/<int:rencontre_id>/invitation.ics", views.ics, name="ics"),
    path("rencontres/invitation/<str:token>/", views.private_reply, name="private_reply"),
]
