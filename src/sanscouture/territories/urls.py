from django.urls import path

from . import views

app_name = "territories"
urlpatterns = [
    path("communes/suggestions", views.commune_suggestions, name="suggestions"),
]
