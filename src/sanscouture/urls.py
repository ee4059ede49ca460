from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from .api import api
from .web.views import api_docs, healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    # The documentation page is the web shell's (French, DSFR); the API serves only its OpenAPI JSON.
    path("api/v1/docs", api_docs, {"openapi": api.get_openapi_schema}, name="api_docs"),
    path("api/v1/", api.urls),
    path("", include("sanscouture.accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("sanscouture.cases.urls")),
    path("", include("sanscouture.contracts.urls")),
    path("", include("sanscouture.notifications.urls")),
    path("", include("sanscouture.impacts.urls")),
    path("", include("sanscouture.journeys.urls")),
    path("", include("sanscouture.network.urls")),
    path("", include("sanscouture.gatherings.urls")),
    path("", include("sanscouture.shadowing.urls")),
    path("", include("sanscouture.territories.urls")),
    path("", include("sanscouture.competences.urls")),
    path("", include("sanscouture.opendata.urls")),
    path("", include("sanscouture.open311.urls")),
    path("", include("sanscouture.webhooks.urls")),
    path("", include("sanscouture.web.urls")),
]
