"""API authentication: an agent's verified session, or a body's API token (Authorization: Bearer sc_…).

Operations declare `auth=agent_or_token` (or one of the two) and call `sanscouture.accounts.access.acting(request)`
for the acting user and bodies.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from .access import is_agent_verified
from .models import ApiToken
from .selectors import api_token_from_bearer
from .services import api_token_touch


class AgentSession(SessionAuth):
    """Django session of a logged-in agent who passed the second factor. Without a session the answer is 401
    (not a CSRF 403); with one, unsafe methods need the CSRF token like any form."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if is_agent_verified(request) else None


class ApiTokenAuth(HttpBearer):
    """A body's API token: `request.user` becomes the token's service account, `request.api_token` the token."""

    openapi_description = "Jeton d'API d'une structure (créé par son administrateur), en « Bearer »."

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = api_token_from_bearer(token)
        if api_token is None:
            return None
        api_token_touch(token=api_token)
        request.user = api_token.service_user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token


class Anonymous:
    """Admits everyone: put it last, `auth=[*agent_or_token, anonymous]`, for operations open to people without an
    account that agents may also call (their credentials are then used). The OpenAPI says so (`security: [{}]`);
    anonymous writes are throttled at the edge (web.middleware)."""

    def __call__(self, request: HttpRequest) -> str:
        return "anonyme"


agent_session = AgentSession()
anonymous = Anonymous()
api_token_auth = ApiTokenAuth()
agent_or_token = [agent_session, api_token_auth]
