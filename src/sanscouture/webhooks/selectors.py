"""Reads, scoped by permission: a subscription the caller does not manage does not exist for them."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet

from .errors import DeliveryNotFound, SubscriptionNotFound
from .models import Delivery, DeliveryStatus, Subscription
from .permissions import bodies_managed_by


def subscriptions_for(user: AbstractBaseUser | AnonymousUser, *, body_id: int | None = None) -> QuerySet:
    """Subscriptions of the bodies the user manages, with counts of waiting and delivered deliveries."""
    bodies = [b.pk for b in bodies_managed_by(user)]
    if body_id is not None:
        bodies = [b for b in bodies if b == body_id]
    return (
        Subscription.objects.filter(body_id__in=bodies)
        .select_related("body")
        .annotate(
            waiting=Count(
                "deliveries", filter=Q(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])
            ),
            delivered=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
        )
        .order_by("body__name", "created_at", "id")
    )


def subscription_get_for(user: AbstractBaseUser | AnonymousUser, public_id: object) -> Subscription:
    subscription = subscriptions_for(user).filter(public_id=public_id).first()
    if subscription is None:
        raise SubscriptionNotFound("Abonnement introuvable.")
    return subscription


def deliveries_of(subscription: Subscription, *, status: str | None = None, limit: int = 100) -> list[Delivery]:
    rows = subscription.deliveries.order_by("-created_at", "-id")
    if status:
        rows = rows.filter(status=status)
    return list(rows[:limit])


def delivery_get(subscription: Subscription, message_id: str) -> Delivery:
    delivery = subscription.deliveries.filter(message_id=message_id).select_related("subscription__body").first()
    if delivery is None:
        raise DeliveryNotFound("Livraison introuvable.")
    return delivery


def secrets_expiry(subscription: Subscription) -> object:
    """When the previous secret stops signing (None: only one secret signs)."""
    from django.utils import timezone

    row = subscription.secrets.filter(expires_at__gt=timezone.now()).order_by("-expires_at").first()
    return row.expires_at if row else None
