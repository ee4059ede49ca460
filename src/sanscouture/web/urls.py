from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import TemplateView

from . import views
from .forms import LoginForm

app_name = "web"
urlpatterns = [
    path("", views.qui, name="qui"),
    path("communes/suggestions", views.commune_suggestions, name="suggestions"),
    path("moments-de-vie/", views.moments_de_vie, name="moments_de_vie"),
    path("moments-de-vie/<str:slug>/", views.moment_de_vie, name="moment_de_vie"),
    path("moments-de-vie/<str:slug>/parcours", views.parcours, name="parcours"),
    path("declarations/", views.declarations, name="declarations"),
    path("declarations/<int:pk>/retirer", views.declaration_withdraw, name="declaration_withdraw"),
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            template_name="web/login.html",
            authentication_form=LoginForm,
            extra_context={"title": "Connexion à l'espace agent"},
        ),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accessibilite/",
        TemplateView.as_view(template_name="web/accessibilite.html", extra_context={"title": "Accessibilité"}),
        name="accessibilite",
    ),
    path(
        "mentions-legales/",
        TemplateView.as_view(template_name="web/mentions_legales.html", extra_context={"title": "Mentions légales"}),
        name="mentions_legales",
    ),
]
