"""Reads for screens and the API: an agent's notifications."""

from django.contrib.auth.models import AbstractBaseUser

from .models import Notification, NotificationQuerySet


def for_user(user: AbstractBaseUser) -> NotificationQuerySet:
    """The user's notifications, newest first."""
    return Notification.objects.for_user(user).select_related("body")


def unread_for(user: AbstractBaseUser) -> NotificationQuerySet:
    """The user's unread notifications, newest first (`.count()` for the badge)."""
    return for_user(user).unread()
