"""Admin: the ledger and the ratings, read-only (they are derived from the product or written by agents)."""

from django.contrib import admin
from django.http import HttpRequest

from .models import Interaction, TieRating


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Interaction)
class InteractionAdmin(ReadOnly):
    list_display = ("kind", "from_body", "to_body", "at", "delay_seconds")
    list_filter = ("kind",)
    list_select_related = ("from_body", "to_body")


@admin.register(TieRating)
class TieRatingAdmin(ReadOnly):
    list_display = ("rater_body", "rated_body", "month", "created_at")
    list_select_related = ("rater_body", "rated_body")
    exclude = ("rater",)
