from django.urls import path

from . import views

app_name = "journeys"
urlpatterns = [
    path("moments-de-vie/", views.moments_de_vie, name="moments_de_vie"),
    path("moments-de-vie/<str:slug>/", views.moment_de_vie, name="moment_de_vie"),
    path("moments-de-vie/<str:slug>/parcours", views.parcours, name="parcours"),
]
