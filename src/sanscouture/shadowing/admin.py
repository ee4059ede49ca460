"""Staff see the opt-ins and pairs; the pairs, their journal and the feedback are written by the workflow only."""

from django.contrib import admin
from django.http import HttpRequest

from .models import Feedback, Pair, PairEvent, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("job", "body", "created_at")
    raw_id_fields = ("user", "body")
    filter_horizontal = ("units",)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Pair)
class PairAdmin(_ReadOnly):
    list_display = ("pk", "a_body", "b_body", "status", "start", "end")
    list_filter = ("status",)


@admin.register(PairEvent)
class PairEventAdmin(_ReadOnly):
    list_display = ("pair", "action", "at", "body")

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Feedback)
class FeedbackAdmin(_ReadOnly):
    list_display = ("pair", "body", "usefulness", "created_at")
