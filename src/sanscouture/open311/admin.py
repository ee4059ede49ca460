from django.contrib import admin

from .models import ServiceRequest


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    """Read-only: requests are written by Open311 clients, worked as tasks."""

    list_display = ("pk", "service_code", "commune", "body", "submitted_by", "requested_at")
    list_filter = ("service_code",)
    readonly_fields = [f.name for f in ServiceRequest._meta.fields]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
