"""Writes on accounts: agents, TOTP devices, invitations, memberships, login failures, sessions, API tokens."""

import base64
import binascii
import logging
import secrets
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from sanscouture.bodies.models import Body, BodyUnit, UnitKind

from .errors import AccountError
from .models import (
    AccountAction,
    AccountEvent,
    AnonymousWrite,
    ApiToken,
    Invitation,
    LoginFailure,
    LoginSession,
    Membership,
    Role,
)
from .selectors import address_key, failure_keys, token_hash

logger = logging.getLogger("sanscouture.accounts")

INVITATION_DAYS = 7
TOKEN_PREFIX = "sc_"  # noqa: S105 — API tokens look like sc_XXXX…: recognisable by secret scanners


def _hex_key(totp_secret: str | None) -> str:
    """A TOTP secret given in base32 (as shown to people), as the hex key django-otp stores."""
    if totp_secret is None:
        return secrets.token_hex(20)
    try:
        raw = base64.b32decode(totp_secret.replace(" ", "").upper() + "=" * (-len(totp_secret) % 8))
    except binascii.Error as exc:
        raise AccountError("Le secret TOTP doit être en base32.") from exc
    return raw.hex()


@transaction.atomic
def agent_create(
    *,
    username: str,
    email: str = "",
    password: str | None,
    body: Body | None,
    role: str = Role.AGENT,
    totp_secret: str | None = None,
) -> tuple[AbstractBaseUser, TOTPDevice]:
    """An active agent of `body` (when given) with a confirmed TOTP device (secret in base32, random if None).
    For the demo command and tests; people join through invitations."""
    user = get_user_model().objects.create_user(username=username, email=email, password=password)
    if body is not None:
        Membership.objects.create(user=user, body=body, role=role)
    device = TOTPDevice.objects.create(user=user, name="Application d'authentification", key=_hex_key(totp_secret))
    return user, device


def totp_enrolment_device(*, user: AbstractBaseUser) -> TOTPDevice:
    """The user's unconfirmed TOTP device being enrolled (created on first call, then the same one)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Application d'authentification", confirmed=False)


@transaction.atomic
def totp_enrolment_confirm(*, device: TOTPDevice, code: str) -> bool:
    """Confirm an enrolment with a code from the app; other unconfirmed devices of the user are dropped."""
    if device.confirmed or not device.verify_token(code):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).delete()
    return True


def login_failure_record(*, username: str, ip: str | None) -> None:
    """One failed password or code: counted for the username and for the IP address (see selectors)."""
    now = timezone.now()
    LoginFailure.objects.bulk_create([LoginFailure(key=key, at=now) for key in failure_keys(username=username, ip=ip)])
    LoginFailure.objects.filter(at__lt=now - timedelta(seconds=settings.SANSCOUTURE_LOGIN_WINDOW)).delete()


def anonymous_write_admit(*, ip: str) -> int | None:
    """Admit one anonymous write from `ip` and count it, or refuse it: None when admitted, else the seconds to wait.

    Limits (settings): SANSCOUTURE_ANON_WRITES_PER_ADDRESS per address and SANSCOUTURE_ANON_WRITES_GLOBAL for all
    addresses together, within a sliding window of SANSCOUTURE_ANON_WRITE_WINDOW seconds. A table, so the limits
    hold across processes and hosts; refused writes are not counted (waiting is enough to be admitted again)."""
    now = timezone.now()
    window = timedelta(seconds=settings.SANSCOUTURE_ANON_WRITE_WINDOW)
    since = now - window
    key = address_key(ip)
    recent = AnonymousWrite.objects.filter(at__gte=since)
    limits = (
        (recent.filter(key=key), settings.SANSCOUTURE_ANON_WRITES_PER_ADDRESS),
        (recent, settings.SANSCOUTURE_ANON_WRITES_GLOBAL),
    )
    for scope, limit in limits:
        count = scope.count()
        if count >= limit:
            # Admitted again once enough of the counted writes have left the window.
            frees = scope.order_by("at").values_list("at", flat=True)[count - limit] if limit > 0 else now
            return max(1, int((frees + window - now).total_seconds()) + 1)
    AnonymousWrite.objects.create(key=key, at=now)
    AnonymousWrite.objects.filter(at__lt=since).delete()
    return None


def login_failures_clear(*, username: str) -> None:
    """A successful login forgets the username's failures (not the IP's)."""
    LoginFailure.objects.filter(key__in=failure_keys(username=username, ip=None)).delete()


def login_session_record(*, user: AbstractBaseUser, session_key: str) -> None:
    LoginSession.objects.get_or_create(session_key=session_key, defaults={"user": user})


def login_session_forget(*, session_key: str) -> None:
    LoginSession.objects.filter(session_key=session_key).delete()


def user_sessions_end(*, user: AbstractBaseUser) -> int:
    """End every session of the user on the server: their next request is anonymous."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(LoginSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    LoginSession.objects.filter(user=user).delete()
    return len(keys)


def _send_invitation(*, invitation_id: int, link: str) -> None:
    invitation = Invitation.objects.select_related("body", "invited_by").get(pk=invitation_id)
    context = {"invitation": invitation, "link": link, "days": INVITATION_DAYS}
    try:
        send_mail(
            subject=f"Sans Couture : invitation à rejoindre {invitation.body.name}",
            message=render_to_string("accounts/invitation_email.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except Exception as exc:  # noqa: BLE001 — the invitation stays valid; the administrator can send another
        logger.warning("invitation %s : envoi impossible (%s)", invitation_id, type(exc).__name__)


@transaction.atomic
def invitation_create(*, body: Body, email: str, role: str, invited_by: AbstractBaseUser) -> tuple[Invitation, str]:
    """Invite `email` into `body` with `role`; the e-mail with the link leaves after the commit.
    Returns the invitation and the token (the link's only copy)."""
    if role not in Role.values:
        raise AccountError("Rôle inconnu.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        body=body,
        email=email.strip(),
        role=role,
        token_hash=token_hash(token),
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    AccountEvent.objects.create(
        action=AccountAction.INVITED, actor=invited_by, body=body, invitation=invitation, detail=f"rôle {role}"
    )
    link = f"{settings.SANSCOUTURE_BASE_URL.rstrip('/')}/invitation/{token}/"
    transaction.on_commit(lambda: _send_invitation(invitation_id=invitation.pk, link=link))
    return invitation, token


@transaction.atomic
def invitation_accept(*, invitation: Invitation, username: str, password: str) -> AbstractBaseUser:
    """Create the invited agent's account (password checked by the validators) and membership; single use."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at or locked.revoked_at or locked.expires_at <= timezone.now():
        raise AccountError("Cette invitation n'est plus valable. Demandez-en une nouvelle à l'administrateur.")
    users = get_user_model().objects
    if users.filter(username__iexact=username).exists():
        raise AccountError("Cet identifiant est déjà pris.", field="username")
    user = users.model(username=username, email=locked.email)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages), field="password1") from exc
    user.set_password(password)
    user.save()
    Membership.objects.create(user=user, body=locked.body, role=locked.role)
    locked.accepted_at = timezone.now()
    locked.accepted_by = user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    AccountEvent.objects.create(
        action=AccountAction.JOINED, actor=user, body=locked.body, user=user, invitation=locked, detail=locked.role
    )
    return user


@transaction.atomic
def membership_role_change(*, membership: Membership, role: str, actor: AbstractBaseUser) -> Membership:
    if role not in Role.values:
        raise AccountError("Rôle inconnu.")
    if membership.role == Role.ADMIN and role != Role.ADMIN and _last_admin(membership):
        raise AccountError("La structure doit garder au moins un administrateur.")
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    AccountEvent.objects.create(
        action=AccountAction.ROLE_CHANGED,
        actor=actor,
        body=membership.body,
        user=membership.user,
        detail=f"{old} → {role}",
    )
    return membership


@transaction.atomic
def body_actions_validation_set(*, body: Body, required: bool, actor: AbstractBaseUser) -> Body:
    """Whether an agent's declared action waits for an administrator or référent before publication (issue 11,
    docs/adr/017). The body's administrators decide (the view checks it); recorded in the account journal."""
    body.actions_need_validation = bool(required)
    body.save(update_fields=["actions_need_validation", "updated_at"])
    AccountEvent.objects.create(
        action=AccountAction.VALIDATION_SET,
        actor=actor,
        body=body,
        detail="validation requise" if required else "publication directe par les agents",
    )
    return body


def _last_admin(membership: Membership) -> bool:
    return not Membership.objects.filter(body=membership.body, role=Role.ADMIN).exclude(pk=membership.pk).exists()


@transaction.atomic
def membership_deactivate(*, membership: Membership, actor: AbstractBaseUser) -> None:
    """Remove an agent from a body. Without any other body, the account is deactivated and its sessions end."""
    if membership.role == Role.ADMIN and _last_admin(membership):
        raise AccountError("La structure doit garder au moins un administrateur.")
    user = membership.user
    AccountEvent.objects.create(action=AccountAction.DEACTIVATED, actor=actor, body=membership.body, user=user)
    membership.delete()
    if not Membership.objects.filter(user=user).exists() and not user.is_superuser:
        user.is_active = False
        user.save(update_fields=["is_active"])  # the post_save signal ends the sessions
    else:
        user_sessions_end(user=user)  # their rights changed: they log in again


@transaction.atomic
def api_token_create(
    *, body: Body, name: str, role: str, created_by: AbstractBaseUser, secret: str | None = None
) -> tuple[ApiToken, str]:
    """A token for the body's own systems; returns it with its value, shown once and never stored.

    `secret` (demo data only: `sanscouture demo` derives reproducible tokens) replaces the random part."""
    if role not in (Role.AGENT, Role.REFERENT):
        raise AccountError("Un jeton d'API a le rôle agent ou référent.")
    raw = TOKEN_PREFIX + (secret or secrets.token_urlsafe(32))
    service_user = get_user_model().objects.create_user(username=f"api-{secrets.token_hex(6)}", password=None)
    Membership.objects.create(user=service_user, body=body, role=role)
    token = ApiToken.objects.create(
        body=body,
        name=name.strip()[:100],
        role=role,
        prefix=raw[:10],
        token_hash=token_hash(raw),
        service_user=service_user,
        created_by=created_by,
    )
    AccountEvent.objects.create(
        action=AccountAction.TOKEN_CREATED, actor=created_by, body=body, user=service_user, detail=token.name
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: AbstractBaseUser) -> None:
    if token.revoked_at:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    user = token.service_user
    user.is_active = False
    user.save(update_fields=["is_active"])
    AccountEvent.objects.create(
        action=AccountAction.TOKEN_REVOKED, actor=actor, body=token.body, user=user, detail=token.name
    )


def api_token_touch(*, token: ApiToken) -> None:
    """Record the token's use, at most once a minute (no write on every request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# --- A body's organisation: its directions and services (issue 12, docs/adr/018) ---------------------------------


def _require_body_admin(actor: AbstractBaseUser, body: Body) -> None:
    if not Membership.objects.filter(user=actor, body=body, role=Role.ADMIN).exists():
        raise AccountError("Seul un administrateur de la structure décrit son organisation.")


@transaction.atomic
def unit_create(
    *, body: Body, name: str, kind: str = UnitKind.SERVICE, parent: BodyUnit | None = None, actor: AbstractBaseUser
) -> BodyUnit:
    """Add a direction or a service to the body's tree (its administrator only)."""
    _require_body_admin(actor, body)
    name = " ".join((name or "").split())[:200]
    if not name:
        raise AccountError("Indiquez le nom du service.", field="nom")
    if kind not in UnitKind.values:
        raise AccountError("Type inconnu : direction ou service.", field="type")
    if parent is not None and parent.body_id != body.pk:
        raise AccountError("La direction parente appartient à une autre structure.", field="parent")
    if BodyUnit.objects.filter(body=body, name=name).exists():
        raise AccountError("Un service de ce nom existe déjà dans la structure.", field="nom")
    return BodyUnit.objects.create(body=body, name=name, kind=kind, parent=parent)


@transaction.atomic
def membership_units_set(*, membership: Membership, units: list[BodyUnit], actor: AbstractBaseUser) -> Membership:
    """Place an agent in one or more services of their body (its administrator only)."""
    _require_body_admin(actor, membership.body)
    if any(u.body_id != membership.body_id for u in units):
        raise AccountError("Un agent n'appartient qu'aux services de sa structure.", field="services")
    membership.units.set(units)
    return membership
