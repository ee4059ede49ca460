"""A test-only API with one operation protected by `agent_or_token`, answering who acts."""

from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI

from sanscouture.accounts.access import acting
from sanscouture.apiauth import agent_or_token
from sanscouture.urls import urlpatterns as product_urlpatterns

api = NinjaAPI(urls_namespace="test-acting", docs_url=None)


@api.get("/moi", auth=agent_or_token)
def whoami(request: HttpRequest) -> dict[str, object]:
    who = acting(request)
    return {
        "user": who.user.get_username(),
        "bodies": [b.key for b in who.bodies],
        "token": who.token.name if who.token else None,
    }


@api.post("/ecrire", auth=agent_or_token)
def write(request: HttpRequest) -> dict[str, str]:
    return {"by": acting(request).user.get_username()}


urlpatterns = [path("api/", api.urls), *product_urlpatterns]
