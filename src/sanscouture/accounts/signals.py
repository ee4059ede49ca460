"""Sessions follow the account: recorded at login, forgotten at logout, ended when the account is deactivated."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from .access import AUTH_AT, SEEN_AT
from .services import login_session_forget, login_session_record, user_sessions_end


@receiver(user_logged_in, dispatch_uid="sanscouture-login-session")
def _on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    now = timezone.now().timestamp()
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now
    if request.session.session_key is None:
        request.session.save()
    login_session_record(user=user, session_key=request.session.session_key)


@receiver(user_logged_out, dispatch_uid="sanscouture-logout-session")
def _on_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        login_session_forget(session_key=key)


@receiver(post_save, sender=get_user_model(), dispatch_uid="sanscouture-deactivation-sessions")
def _on_user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        user_sessions_end(user=instance)
