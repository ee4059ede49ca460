from django.urls import path
from django.views.generic import TemplateView

from sanscouture.accounts import views as accounts_views

from . import views

app_name = "web"
urlpatterns = [
    path("declarations/", views.declarations, name="declarations"),
    path("declarations/<int:pk>/retirer", views.declaration_withdraw, name="declaration_withdraw"),
    path("etapes-locales/", views.etapes_locales, name="etapes_locales"),
    path("etapes-locales/<int:step_id>/retirer", views.etape_locale_withdraw, name="etape_locale_withdraw"),
    path("connexion/", accounts_views.login, name="login"),
    path("deconnexion/", accounts_views.logout, name="logout"),
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
