"""The iCalendar (RFC 5545) invitation of a scheduled pair, built with the `icalendar` library: one VEVENT per pair
with a stable UID, the pair's SEQUENCE (+1 at each change and at cancellation), local times in Europe/Paris with
their VTIMEZONE, METHOD:REQUEST or METHOD:CANCEL."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Pair

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_START, DEFAULT_END = time(9, 0), time(17, 0)


def _domain() -> str:
    return settings.SANSCOUTURE_BASE_URL.split("//")[-1].split("/")[0].split(":")[0] or "sanscouture"


def pair_uid(pair: Pair) -> str:
    """Stable for the life of the pair: calendars update or cancel the same event."""
    return f"vis-mon-job-{pair.pk}@{_domain()}"


def _who(user: object) -> str:
    full = f"{getattr(user, 'first_name', '')} {getattr(user, 'last_name', '')}".strip()
    return full or getattr(user, "username", "")


def pair_calendar(pair: Pair, *, cancel: bool = False) -> str:
    """The invitation (or its cancellation) as iCalendar text. Each day of the immersion is one event of the same
    series: a daily RRULE from the first to the last day, same hours."""
    cal = Calendar()
    cal.add("prodid", "-//Sans Couture//Vis mon job//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    ev = Event()
    ev.add("uid", pair_uid(pair))
    ev.add("sequence", pair.sequence)
    ev.add("dtstamp", timezone.now())
    a, b = pair.a_body.name, pair.b_body.name
    where = f"{pair.a_unit.name} ↔ {pair.b_unit.name}" if pair.internal and pair.a_unit and pair.b_unit else ""
    ev.add("summary", f"Vis mon job : {a}" + (f" ({where})" if where else f" ↔ {b}"))
    ev.add(
        "description",
        f"Immersion croisée « vis mon job » entre {_who(pair.a_user)} ({a}) et {_who(pair.b_user)} ({b}). "
        f"Convention : {settings.SANSCOUTURE_BASE_URL.rstrip('/')}/vis-mon-job/{pair.pk}/convention/",
    )
    if pair.place:
        ev.add("location", pair.place)
    start = datetime.combine(pair.start, pair.day_start or DEFAULT_START, tzinfo=PARIS)
    end = datetime.combine(pair.start, pair.day_end or DEFAULT_END, tzinfo=PARIS)
    ev.add("dtstart", start)
    ev.add("dtend", end)
    days = (pair.end - pair.start).days + 1
    if days > 1:
        ev.add("rrule", {"freq": "daily", "count": days})
    ev.add("status", "CANCELLED" if cancel else "CONFIRMED")
    organizer = vCalAddress(f"mailto:noreply@{_domain()}")
    organizer.params["cn"] = vText("Sans Couture")
    ev.add("organizer", organizer)
    for user in (pair.a_user, pair.b_user):
        if getattr(user, "email", ""):
            attendee = vCalAddress(f"mailto:{user.email}")
            attendee.params["cn"] = vText(_who(user))
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            ev.add("attendee", attendee, encode=0)
    cal.add_component(ev)
    cal.add_missing_timezones()  # the VTIMEZONE of Europe/Paris, from the tz database
    return cal.to_ical().decode()


def last_day_end(pair: Pair) -> datetime:
    return datetime.combine(pair.end, pair.day_end or DEFAULT_END, tzinfo=PARIS) + timedelta(0)
