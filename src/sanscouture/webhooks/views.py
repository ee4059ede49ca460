"""A body administrator's webhook pages: list and subscribe, one subscription with its deliveries, rotate the
secret, disable, reactivate, replay. Another body's subscription is a 404."""

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from sanscouture.accounts.access import agent_required
from sanscouture.bodies.models import Body
from sanscouture.errors import DomainError

from .forms import SubscriptionForm
from .models import EVENT_TYPES, Subscription
from .permissions import can_manage
from .selectors import deliveries_of, delivery_get, secrets_expiry, subscriptions_for
from .services import (
    delivery_replay,
    subscription_create,
    subscription_disable,
    subscription_enable,
    subscription_secret_rotate,
)


def _managed(request: HttpRequest, body_id: int) -> Body:
    body = get_object_or_404(Body, pk=body_id, active=True)
    if not can_manage(request.user, body):
        raise Http404
    return body


def _subscription(request: HttpRequest, body: Body, webhook_id: UUID) -> Subscription:
    subscription = subscriptions_for(request.user, body_id=body.pk).filter(public_id=webhook_id).first()
    if subscription is None:
        raise Http404
    return subscription


@agent_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest, body_id: int) -> HttpResponse:
    """The body's subscriptions; POST subscribes an address and shows its secret once."""
    body = _managed(request, body_id)
    form = SubscriptionForm(request.POST or None)
    created = secret = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created, secret = subscription_create(
                    body=body,
                    url=form.cleaned_data["url"],
                    events=form.cleaned_data["events"],
                    personal_fields=form.cleaned_data["personal_fields"],
                    description=form.cleaned_data["description"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error("url" if "url" in exc.code else None, exc.message)
            else:
                status, form = 201, SubscriptionForm()
    return render(
        request,
        "webhooks/list.html",
        {
            "body": body,
            "form": form,
            "created": created,
            "secret": secret,
            "subscriptions": subscriptions_for(request.user, body_id=body.pk),
            "event_types": EVENT_TYPES,
            "title": f"Webhooks de {body.name}",
        },
        status=status,
    )


@agent_required
@require_http_methods(["GET"])
def webhook_detail(request: HttpRequest, body_id: int, webhook_id: UUID) -> HttpResponse:
    body = _managed(request, body_id)
    subscription = _subscription(request, body, webhook_id)
    return render(
        request,
        "webhooks/detail.html",
        {
            "body": body,
            "subscription": subscription,
            "deliveries": deliveries_of(subscription),
            "event_types": EVENT_TYPES,
            "old_secret_until": secrets_expiry(subscription),
            "title": f"Webhook {subscription.url}",
        },
    )


@agent_required
@require_POST
def webhook_rotate(request: HttpRequest, body_id: int, webhook_id: UUID) -> HttpResponse:
    body = _managed(request, body_id)
    subscription = _subscription(request, body, webhook_id)
    secret = subscription_secret_rotate(subscription=subscription, actor=request.user)
    return render(
        request,
        "webhooks/detail.html",
        {
            "body": body,
            "subscription": subscription,
            "secret": secret,
            "deliveries": deliveries_of(subscription),
            "event_types": EVENT_TYPES,
            "old_secret_until": secrets_expiry(subscription),
            "title": f"Webhook {subscription.url}",
        },
    )


@agent_required
@require_POST
def webhook_disable(request: HttpRequest, body_id: int, webhook_id: UUID) -> HttpResponse:
    body = _managed(request, body_id)
    subscription_disable(subscription=_subscription(request, body, webhook_id), actor=request.user)
    messages.success(request, "Abonnement désactivé : plus aucun envoi.")
    return redirect("webhooks:detail", body_id=body.pk, webhook_id=webhook_id)


@agent_required
@require_POST
def webhook_enable(request: HttpRequest, body_id: int, webhook_id: UUID) -> HttpResponse:
    body = _managed(request, body_id)
    try:
        subscription_enable(subscription=_subscription(request, body, webhook_id), actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Abonnement réactivé : les envois en attente partent dans l'ordre.")
    return redirect("webhooks:detail", body_id=body.pk, webhook_id=webhook_id)


@agent_required
@require_POST
def webhook_replay(request: HttpRequest, body_id: int, webhook_id: UUID, livraison_id: str) -> HttpResponse:
    body = _managed(request, body_id)
    subscription = _subscription(request, body, webhook_id)
    try:
        delivery_replay(delivery=delivery_get(subscription, livraison_id), actor=request.user)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, "Livraison remise en file : elle part dans un instant, avec le même webhook-id.")
    return redirect("webhooks:detail", body_id=body.pk, webhook_id=webhook_id)
