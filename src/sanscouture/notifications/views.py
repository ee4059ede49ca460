"""Agents' in-app notifications: the list (newest first), mark one or all as read (POST, CSRF).

Every query starts from the agent's own notifications: another person's id is a 404 and changes nothing.
With htmx, marking one as read swaps its row and the header badge; without JavaScript the forms redirect."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from sanscouture.accounts.access import agent_required

from .models import Notification
from .selectors import for_user, unread_for
from .services import notifications_mark_all_read, notifications_mark_read

PER_PAGE = 30


def safe_link(notification: Notification) -> str | None:
    """The notification's link when it is a path of this application (never another site)."""
    url = notification.url
    return url if url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None) else None


def _rows(notifications: list[Notification]) -> list[tuple[Notification, str | None]]:
    return [(n, safe_link(n)) for n in notifications]


@agent_required
@never_cache  # one agent's list and counts: never kept by the browser or a shared cache
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    only_unread = request.GET.get("non-lues") == "1"
    queryset = unread_for(request.user) if only_unread else for_user(request.user)
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {
            "title": "Notifications",
            "page": page,
            "rows": _rows(list(page)),
            "only_unread": only_unread,
            "unread_count": unread_for(request.user).count(),
        },
    )


@agent_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(for_user(request.user), pk=pk)
    notifications_mark_read(user=request.user, ids=[notification.pk])
    if request.htmx:
        notification.refresh_from_db()
        return render(
            request,
            "notifications/_read.html",
            {"n": notification, "link": safe_link(notification), "unread_count": unread_for(request.user).count()},
        )
    return redirect(_back(request))


@agent_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notifications_mark_all_read(user=request.user)
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """Back to the list the form was on (its page and filter), never elsewhere."""
    query = {k: request.POST.get(k, "") for k in ("page", "non-lues")}
    parts = [f"{k}={v}" for k, v in query.items() if v.isdigit()]
    return "/notifications/" + ("?" + "&".join(parts) if parts else "")
