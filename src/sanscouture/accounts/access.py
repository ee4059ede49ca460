"""Who is acting: the agent's verified session, or a body's API token. Agent pages use `agent_required`."""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url

from sanscouture.bodies.models import Body

from .models import ApiToken, Membership

# Session keys (the session is server-side; the cookie carries only its id).
AUTH_AT = "sc_auth_at"  # login time (absolute timeout)
SEEN_AT = "sc_seen_at"  # last request (idle timeout)
STRONG = "sc_strong"  # "oidc" when the identity provider did the strong authentication
PENDING = "sc_pending"  # password checked, second factor awaited: {"user", "at", "next"}


def is_agent_verified(request: HttpRequest) -> bool:
    """Logged in, active, and the second factor done (TOTP in this session, or ProConnect)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if request.session.get(STRONG) == "oidc":
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorator for every agent page: anonymous people, or sessions without the second factor, go to the
    login page (with `next`); the view runs only for a verified agent."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_agent_verified(request):
            if getattr(request, "user", None) is not None and request.user.is_authenticated:
                logout(request)  # half-open sessions (e.g. an admin login without code) are closed
            login_url = resolve_url(settings.LOGIN_URL)
            return HttpResponseRedirect(f"{login_url}?next={quote(request.get_full_path())}")
        return view(request, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class Acting:
    """The acting user and the bodies they act for, whichever the authentication.

    `user` is the agent, or the token's service account (a member of the token's body with its role), so it
    can be stored as an author. `token` is set when a body's system calls with an API token.
    """

    user: AbstractBaseUser
    memberships: list[Membership] = field(default_factory=list)
    token: ApiToken | None = None

    @property
    def bodies(self) -> list[Body]:
        return [m.body for m in self.memberships]

    @property
    def body_ids(self) -> set[int]:
        return {m.body_id for m in self.memberships}

    def role_in(self, body: Body | int) -> str | None:
        body_id = body if isinstance(body, int) else body.pk
        return next((m.role for m in self.memberships if m.body_id == body_id), None)


def acting(request: HttpRequest) -> Acting | None:
    """Who acts in this request: a verified agent's session or an API token (None otherwise).

    Memberships of inactive bodies are left out; a token only ever acts for its own body.
    """
    token = getattr(request, "api_token", None)
    if isinstance(token, ApiToken):
        user = token.service_user
        memberships = Membership.objects.filter(user=user, body=token.body, body__active=True)
    elif is_agent_verified(request):
        user = request.user
        memberships = Membership.objects.filter(user=user, body__active=True)
    else:
        return None
    return Acting(user=user, memberships=list(memberships.select_related("body").order_by("body__name")), token=token)
