"""Open311 GeoReport v2 under /open311/v2/ (outside /api/v1: its own formats and error model, docs/adr/023)."""

from django.urls import path, register_converter

from . import views


class FormatConverter:
    """The spec's format suffix: `.xml` (required) or `.json`."""

    regex = "xml|json"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "o311fmt")

app_name = "open311"
urlpatterns = [
    path("open311/v2/discovery.<o311fmt:format>", views.discovery, name="discovery"),
    path("open311/v2/services.<o311fmt:format>", views.services, name="services"),
    path("open311/v2/services/<str:service_code>.<o311fmt:format>", views.service_definition, name="service"),
    path("open311/v2/requests.<o311fmt:format>", views.requests, name="requests"),
    path("open311/v2/requests/<str:service_request_id>.<o311fmt:format>", views.request_detail, name="request"),
    path("open311/v2/tokens/<str:open311_token>.<o311fmt:format>", views.token_detail, name="token"),
    path("open311/v2/servicerequestupdates.<o311fmt:format>", views.request_updates, name="updates"),
    path("open311/<path:rest>", views.not_found_any, name="not_found"),
]
