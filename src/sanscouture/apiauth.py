"""API authentication shared by the routers."""

from django.conf import settings
from django.http import HttpRequest
from ninja.security import SessionAuth


class AgentSession(SessionAuth):
    """Django session of a logged-in agent. Without a session the answer is 401 (not a CSRF 403);
    with one, unsafe methods need the CSRF token like any form."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super()._get_key(request)


agent_session = AgentSession()
