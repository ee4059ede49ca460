"""Demo data: the CC du Grand Pic Saint-Loup's waste-collection software subscribes to the events of its tasks.
Its address is fictitious (`.invalid`), so the subscription stays disabled: its page shows what waits and the
"Réactiver" button. Idempotent; run by `sanscouture demo` after the cases' demo (agents come from there)."""

from django.contrib.auth import get_user_model

from sanscouture.bodies.models import Body

from .models import EVENT_PATTERNS, EVENT_TYPES, Secret, Subscription, SubscriptionStatus
from .services import new_secret

URL = "https://logiciel-dechets.grand-pic-saint-loup.invalid/webhooks/sans-couture"


def demo_webhooks() -> list[Subscription]:
    body = Body.objects.get(key="epci:200022986")
    subscription = Subscription.objects.filter(body=body, url=URL).first()
    if subscription is None:
        subscription = Subscription.objects.create(
            body=body,
            url=URL,
            description="DÉMO — logiciel de collecte des déchets (adresse fictive : réactivez avec la vôtre)",
            events=[e for e in EVENT_TYPES if not e.startswith("orientation.")] + sorted(EVENT_PATTERNS),
            status=SubscriptionStatus.DISABLED,
            created_by=get_user_model().objects.get(username="demo-cc-pic-saint-loup"),
        )
        Secret.objects.create(subscription=subscription, value=new_secret())
    return [subscription]
