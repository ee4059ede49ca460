"""Admin: read-only views for support. Personal data (CaseData, messages, notes) is not shown here: it is read
through the case pages, where every read is recorded in the journal."""

from django.contrib import admin
from django.http import HttpRequest

from .models import AccessLog, Case, Handover, IdempotencyKey, Task


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnly):
    list_display = ("reference", "life_event_title", "commune", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("public_id",)
    exclude = ("person_token_hash",)


@admin.register(Task)
class TaskAdmin(ReadOnly):
    list_display = ("case", "body", "status", "due_date")
    list_filter = ("status",)
    list_select_related = ("case", "body")


@admin.register(Handover)
class HandoverAdmin(ReadOnly):
    list_display = ("task", "from_body", "to_body", "status", "created_at")
    list_filter = ("status",)


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnly):
    list_display = ("at", "action", "case_ref", "body", "user", "by_person", "purpose")
    list_filter = ("action",)
    search_fields = ("case_ref",)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnly):
    list_display = ("created_at", "caller", "operation", "status_code")
    exclude = ("response",)  # it holds the follow-up token of a declaration
