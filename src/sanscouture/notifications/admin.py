from django.contrib import admin

from .models import Notification, OutboxEmail


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "recipient", "case_ref", "created_at", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("recipient", "body")
    search_fields = ("case_ref",)


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """Read-only: the worker owns these rows; an admin may look at statuses and errors."""

    list_display = ("id", "kind", "status", "attempts", "created_at", "sent_at", "last_error")
    list_filter = ("status", "kind")
    exclude = ("to", "text_body", "html_body", "claim_token")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
