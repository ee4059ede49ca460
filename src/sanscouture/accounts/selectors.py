"""Reads on accounts: invitations by token, login locks, members of a body, API tokens."""

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from sanscouture.bodies.models import Body

from .models import ApiToken, Invitation, LoginFailure, Membership


def token_hash(token: str) -> str:
    """SHA-256 of a high-entropy token (invitation link, API token): what the database keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def address_key(ip: str) -> str:
    """Keyed hash of a client address (throttles): the database never holds the address."""
    return hmac.new(settings.SECRET_KEY.encode(), b"ip:" + ip.encode(), hashlib.sha256).hexdigest()


def failure_keys(*, username: str, ip: str | None) -> list[str]:
    """Keyed hashes for the rate limit: the username (case-insensitive) and the IP address."""
    secret = settings.SECRET_KEY.encode()
    keys = [hmac.new(secret, b"u:" + username.strip().lower().encode(), hashlib.sha256).hexdigest()]
    if ip:
        keys.append(address_key(ip))
    return keys


def login_is_locked(*, username: str, ip: str | None) -> bool:
    """True after SANSCOUTURE_LOGIN_MAX_FAILURES failures for the username, or SANSCOUTURE_LOGIN_MAX_FAILURES_PER_IP
    from the IP, within the last SANSCOUTURE_LOGIN_WINDOW seconds (shared by every process: a table)."""
    since = timezone.now() - timedelta(seconds=settings.SANSCOUTURE_LOGIN_WINDOW)
    keys = failure_keys(username=username, ip=ip)
    recent = LoginFailure.objects.filter(at__gte=since)
    if recent.filter(key=keys[0]).count() >= settings.SANSCOUTURE_LOGIN_MAX_FAILURES:
        return True
    return len(keys) > 1 and recent.filter(key=keys[1]).count() >= settings.SANSCOUTURE_LOGIN_MAX_FAILURES_PER_IP


def invitation_from_token(token: str) -> Invitation | None:
    """The pending invitation a link designates (None when unknown, used, revoked or expired)."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("body", "invited_by")
        .filter(
            token_hash=token_hash(token),
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


def totp_device_confirmed(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def bodies_administered_by(user: AbstractBaseUser) -> list[Body]:
    if not user.is_authenticated:
        return []
    return [
        m.body
        for m in Membership.objects.filter(user=user, role="admin", body__active=True)
        .select_related("body")
        .order_by("body__name")
    ]


def members_of(body: Body) -> QuerySet[Membership]:
    """The people of a body (API service accounts excluded), by username."""
    return (
        Membership.objects.filter(body=body, user__api_token__isnull=True)
        .select_related("user")
        .order_by("user__username")
    )


def invitations_pending(body: Body) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        body=body, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def api_tokens_of(body: Body) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(body=body).select_related("created_by").order_by("revoked_at", "name")


def api_token_from_bearer(raw: str) -> ApiToken | None:
    """The live token a bearer value designates: not revoked, its body active, its service account active."""
    if not raw or len(raw) > 200:
        return None
    return (
        ApiToken.objects.select_related("body", "service_user")
        .filter(token_hash=token_hash(raw), revoked_at__isnull=True, body__active=True, service_user__is_active=True)
        .first()
    )


def memberships_of(user: AbstractBaseUser) -> list[Membership]:
    """The agent's active bodies with their role, by body name (the header says who is logged in for whom)."""
    if not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user, body__active=True).select_related("body").order_by("body__name"))
