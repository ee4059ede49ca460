from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.qui, name="qui"),
    path("communes/suggestions", views.commune_suggestions, name="suggestions"),
    path("declarations/", views.declarations, name="declarations"),
    path("declarations/<int:pk>/retirer", views.declaration_withdraw, name="declaration_withdraw"),
    path("connexion/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
]
