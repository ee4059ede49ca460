"""`{% notifications_badge %}`: the header link to the notifications with the unread count (agents only)."""

from django import template

from sanscouture.accounts.access import is_agent_verified

from ..selectors import unread_for

register = template.Library()


@register.inclusion_tag("notifications/_badge.html", takes_context=True)
def notifications_badge(context: template.Context) -> dict[str, object]:
    """One COUNT on the (recipient, read_at) index, for verified agents only; nothing for anyone else."""
    request = context.get("request")
    if request is None or not is_agent_verified(request):
        return {"show": False}
    return {"show": True, "unread_count": unread_for(request.user).count()}
