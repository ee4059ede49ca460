"""Login steps, invitations and a body's administration. `/connexion/` and `/deconnexion/` are in web.urls."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.http import urlencode

from . import oidc, views

app_name = "accounts"


def admin_login(request: HttpRequest) -> HttpResponse:
    """Django admin's own login would skip the second factor: staff log in through /connexion/."""
    return redirect(f"/connexion/?{urlencode({'next': request.GET.get('next', '/admin/')})}")


urlpatterns = [
    path("admin/login/", admin_login, name="admin_login"),
    path("connexion/code/", views.login_code, name="code"),
    path("connexion/double-authentification/", views.enrol, name="enrol"),
    path("connexion/proconnect/", oidc.ProConnectLogin.as_view(), name="oidc_login"),
    path("connexion/proconnect/retour/", oidc.ProConnectCallback.as_view(), name="oidc_callback"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("structures/<int:body_id>/agents/", views.body_agents, name="body_agents"),
    path("structures/<int:body_id>/agents/<int:membership_id>/role", views.member_role, name="member_role"),
    path(
        "structures/<int:body_id>/agents/<int:membership_id>/retirer", views.member_deactivate, name="member_deactivate"
    ),
    path("structures/<int:body_id>/validation-actions", views.body_validation, name="body_validation"),
    path("structures/<int:body_id>/jetons/", views.body_tokens, name="body_tokens"),
    path("structures/<int:body_id>/jetons/<int:token_id>/revoquer", views.body_token_revoke, name="body_token_revoke"),
]
