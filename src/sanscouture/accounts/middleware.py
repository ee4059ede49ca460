"""Session lifetime (idle and absolute timeouts) and the Content-Security-Policy with a per-request nonce."""

import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .access import AUTH_AT, SEEN_AT

SEEN_WRITE_EVERY = 30  # seconds: the last-seen time is written at most this often (no session write per request)
EXPIRED = "Votre session a expiré. Reconnectez-vous pour continuer."


class SessionLifetimeMiddleware:
    """Logs out (server-side: the session row is deleted) after SANSCOUTURE_SESSION_IDLE seconds without a request,
    or SANSCOUTURE_SESSION_ABSOLUTE seconds after login, whichever comes first. Place after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            now = timezone.now().timestamp()
            session = request.session
            auth_at = session.get(AUTH_AT) or now
            seen_at = session.get(SEEN_AT) or now
            if (
                now - seen_at > settings.SANSCOUTURE_SESSION_IDLE
                or now - auth_at > settings.SANSCOUTURE_SESSION_ABSOLUTE
            ):
                logout(request)
                messages.warning(request, EXPIRED)
            elif now - seen_at >= SEEN_WRITE_EVERY or AUTH_AT not in session:
                session[AUTH_AT] = auth_at
                session[SEEN_AT] = now
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Sets `request.csp_nonce` (used by the DSFR script tags) and the Content-Security-Policy header.

    Scripts: same origin, or inline with this request's nonce. Styles: same origin and inline (DSFR and htmx set
    inline styles). No framing (frame-ancestors 'none'), no plugins, forms post to this site only.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = SimpleLazyObject(lambda: secrets.token_urlsafe(16))  # type: ignore[attr-defined]
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            nonce = str(request.csp_nonce)  # type: ignore[attr-defined]
            response["Content-Security-Policy"] = "; ".join(
                [
                    "default-src 'self'",
                    f"script-src 'self' 'nonce-{nonce}'",
                    "style-src 'self' 'unsafe-inline'",
                    "img-src 'self' data:",
                    "font-src 'self' data:",
                    "connect-src 'self'",
                    "object-src 'none'",
                    "base-uri 'self'",
                    "form-action 'self'",
                    "frame-ancestors 'none'",
                ]
            )
        return response
