"""The gathering's calendar file (RFC 5545 / iTIP RFC 5546), built with `icalendar`: METHOD:REQUEST for the
invitation and each update (same UID, SEQUENCE one higher each time), METHOD:CANCEL on cancellation; times in
Europe/Paris with its VTIMEZONE."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Gathering

PARIS = ZoneInfo("Europe/Paris")


def _domain() -> str:
    return settings.SANSCOUTURE_BASE_URL.split("//")[-1].split("/")[0].split(":")[0] or "sanscouture"


def gathering_ics(
    gathering: Gathering, *, attendee_email: str = "", attendee_name: str = "", now: datetime | None = None
) -> str:
    """The calendar text of `gathering` as it stands (REQUEST, or CANCEL once cancelled)."""
    cal = Calendar()
    cal.add("prodid", "-//Sans Couture//Rencontres//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if gathering.cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"{gathering.uid}@{_domain()}")
    event.add("sequence", gathering.sequence)
    event.add("dtstamp", now or timezone.now())
    event.add("dtstart", gathering.starts_at.astimezone(PARIS))
    event.add("dtend", gathering.ends_at.astimezone(PARIS))
    event.add("summary", gathering.title)
    if gathering.description:
        event.add("description", gathering.description)
    event.add("location", gathering.place)
    event.add("status", "CANCELLED" if gathering.cancelled else "CONFIRMED")
    organiser = vCalAddress(f"mailto:ne-pas-repondre@{_domain()}")
    organiser.params["cn"] = vText(gathering.organiser.name)
    event.add("organizer", organiser)
    if attendee_email:
        attendee = vCalAddress(f"mailto:{attendee_email}")
        attendee.params["cn"] = vText(attendee_name or attendee_email)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["rsvp"] = vText("FALSE")  # replies go through the private link, not back by e-mail
        event.add("attendee", attendee)
    cal.add_component(event)
    cal.add_missing_timezones()  # the VTIMEZONE of Europe/Paris, for every TZID used
    return cal.to_ical().decode()
