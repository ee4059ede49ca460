"""ProConnect (OpenID Connect) login, on mozilla-django-oidc.

The library does the code flow (state, nonce, PKCE, token and userinfo calls, JWKS); we add what it leaves out:
audience and issuer checks on every signed token, optional `acr` check, matching by e-mail to an existing active
agent (never creating accounts), and French refusals. ProConnect counts as the second factor (ADR 007).
"""

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .access import STRONG

logger = logging.getLogger("sanscouture.accounts")

NO_ACCOUNT = (
    "Aucun compte agent actif ne correspond à l'adresse e-mail transmise par ProConnect. "
    "Demandez une invitation à l'administrateur de votre structure."
)
REFUSED = "La connexion avec ProConnect a été refusée (réponse invalide ou expirée). Recommencez depuis cette page."


class ProConnectBackend(OIDCAuthenticationBackend):
    """Authenticates the OIDC callback; inactive when OIDC is not configured."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if not settings.OIDC_ENABLED:
            return None
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        try:
            alg = jwt.get_unverified_header(payload).get("alg")
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation("Jeton illisible.") from exc
        if alg != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("Algorithme de signature inattendu.")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_OP_ISSUER or None,
                options={"require": ["aud", "iss"] if settings.OIDC_OP_ISSUER else ["aud"]},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"Jeton refusé ({type(exc).__name__}).") from exc

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token (userinfo JWTs carry no nonce)
            if "exp" not in payload:
                raise SuspiciousOperation("Jeton d'identité sans date d'expiration.")
            acr = settings.OIDC_ACR_VALUES.split()
            if acr and payload.get("acr") not in acr:
                raise SuspiciousOperation("Niveau d'authentification insuffisant.")
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("email"))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet:
        email = (claims.get("email") or "").strip()
        if not email:
            return get_user_model().objects.none()
        return (
            get_user_model()
            .objects.filter(email__iexact=email, is_active=True, memberships__isnull=False, api_token__isnull=True)
            .distinct()
        )

    def get_user(self, user_id: Any) -> Any:
        return ModelBackend.get_user(self, user_id)  # inactive accounts are refused, like password sessions


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    from .forms import LoginForm

    return render(
        request,
        "accounts/login.html",
        {"form": LoginForm(request), "title": "Connexion à l'espace agent", "oidc_error": message, "oidc": True},
        status=403,
    )


class ProConnectLogin(OIDCAuthenticationRequestView):
    """Starts the ProConnect login (state, nonce and PKCE verifier kept in the session)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404
        return super().get(request)

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        params = dict(super().get_extra_params(request))
        if settings.OIDC_ACR_VALUES:
            params["acr_values"] = settings.OIDC_ACR_VALUES
        return params


class ProConnectCallback(OIDCAuthenticationCallbackView):
    """ProConnect's answer: a bad state, nonce, signature, audience, issuer or a refused code gives a French 403."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404
        try:
            return super().get(request)
        except (SuspiciousOperation, requests.RequestException, jwt.PyJWTError, KeyError, ValueError) as exc:
            logger.warning("ProConnect : connexion refusée (%s)", type(exc).__name__)
            return _refused(request, REFUSED)

    def login_failure(self) -> HttpResponse:
        return _refused(self.request, NO_ACCOUNT if hasattr(self, "user") else REFUSED)

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        self.request.session[STRONG] = "oidc"
        return response
