"""Read-only admin views: actions, notices and the exchanges are written by the product only."""

from django.contrib import admin

from .models import Action, Exchange, Notice


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False


@admin.register(Action)
class ActionAdmin(ReadOnly):
    list_display = ("title", "body", "kind", "status", "start", "end", "version")
    list_filter = ("status", "kind")
    search_fields = ("title",)
    raw_id_fields = ("body", "counter", "created_by")


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ("action", "body", "due_on", "answer", "answered_at")
    list_filter = ("answer",)
    raw_id_fields = ("action", "body", "answered_by")


@admin.register(Exchange)
class ExchangeAdmin(ReadOnly):
    list_display = ("at", "kind", "from_body", "to_body", "action")
    list_filter = ("kind",)
    raw_id_fields = ("action", "notice", "from_body", "to_body")
