"""Admin: the ledger and the ratings, read-only (they are derived from the product or written by agents)."""

from django.contrib import admin

from sanscouture.cases.admin import ReadOnly

from .models import Interaction, TieRating


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
