"""Helpers for tests (and scripts driving a test server): TOTP codes and verified logins. Not used by the product."""

import base64
import time
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_code_from_secret(secret: str, *, step_offset: int = 0) -> str:
    """The current 6-digit code of a base32 secret (as shown on the enrolment page), `step_offset` steps away."""
    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key, step=30, digits=6, drift=step_offset):06d}"


def totp_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the current one, or the next step's if the current one was already used
    (django-otp refuses a code twice; its tolerance accepts the next step)."""
    device.refresh_from_db()
    now_t = int(time.time() - device.t0) // device.step
    target = max(now_t + device.drift, device.last_t + 1)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, target - now_t):0{device.digits}d}"


def login_verified(client: Any, user: AbstractBaseUser) -> TOTPDevice:
    """Django test client logged in as `user` with the second factor done (creates a device if needed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test"
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
