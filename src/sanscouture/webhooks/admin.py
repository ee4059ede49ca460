"""Django admin: subscriptions and their deliveries, with a replay action (secrets are never shown)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from .models import Delivery, DeliveryStatus, Subscription, SubscriptionStatus


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("body", "url", "status", "failing_since", "created_at")
    list_filter = ("status",)
    search_fields = ("url", "body__name")
    readonly_fields = ("public_id", "failing_since", "disabled_at", "created_by", "created_at")
    raw_id_fields = ("body",)


@admin.action(description="Rejouer les livraisons choisies (même webhook-id)")
def replay(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    count = (
        queryset.filter(subscription__status=SubscriptionStatus.ACTIVE)
        .exclude(status=DeliveryStatus.SENDING)
        .update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now())
    )
    modeladmin.message_user(request, f"{count} livraison(s) remise(s) en file.", messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("message_id", "event_type", "subscription", "status", "attempts", "last_status_code", "created_at")
    list_filter = ("status", "event_type")
    search_fields = ("message_id",)
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = [replay]
