"""Public feeds of the published actions in force or to come, per commune and per EPCI: Atom (Django's syndication
framework) and iCalendar (the `icalendar` library)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from icalendar import Calendar, Event

from sanscouture.territories.models import Commune, Epci

from .models import Action
from .selectors import actions_in_commune, actions_in_epci


def _place(kind: str, code: str) -> tuple[str, list[Action]]:
    today = timezone.localdate()
    if kind == "commune":
        commune = Commune.objects.current().filter(insee_code=code).first()
        if commune is None:
            raise Http404("Commune inconnue.")
        return commune.name, list(actions_in_commune(code=code, today=today)[:200])
    epci = Epci.objects.filter(siren=code).first()
    if epci is None:
        raise Http404("Intercommunalité inconnue.")
    return epci.name, list(actions_in_epci(siren=code, today=today)[:200])


class ActionsFeed(Feed):
    feed_type = Atom1Feed
    kind = "commune"

    def get_object(self, request: HttpRequest, code: str = "", siren: str = "") -> tuple[str, str, list[Action]]:
        name, actions = _place(self.kind, code or siren)
        return code or siren, name, actions

    def title(self, obj: tuple[str, str, list[Action]]) -> str:
        return f"Actions publiques en cours ou à venir — {obj[1]}"

    def link(self, obj: tuple[str, str, list[Action]]) -> str:
        return f"/api/v1/communes/{obj[0]}/actions" if self.kind == "commune" else f"/flux/epci/{obj[0]}/actions.atom"

    def subtitle(self, obj: tuple[str, str, list[Action]]) -> str:
        return "Travaux, fermetures de guichets, changements de règles déclarés par les structures publiques."

    def items(self, obj: tuple[str, str, list[Action]]) -> list[Action]:
        return obj[2]

    def item_title(self, item: Action) -> str:
        return f"{item.title} ({item.start:%d/%m/%Y} – {item.end:%d/%m/%Y})"

    def item_description(self, item: Action) -> str:
        return f"{item.body.name} — {item.get_kind_display()}. {item.description}".strip()

    def item_link(self, item: Action) -> str:
        first = item.communes.order_by("insee_code").values_list("insee_code", flat=True).first()
        return f"/api/v1/communes/{first}/actions#action-{item.pk}"

    def item_guid(self, item: Action) -> str:
        return f"sanscouture-action-{item.pk}-v{item.version}"

    def item_pubdate(self, item: Action):  # noqa: ANN201
        return item.published_at

    def item_author_name(self, item: Action) -> str:
        return item.body.name


class EpciActionsFeed(ActionsFeed):
    kind = "epci"


def _ics(kind: str, code: str) -> HttpResponse:
    name, actions = _place(kind, code)
    cal = Calendar()
    cal.add("prodid", "-//Sans Couture//Actions publiques//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Actions publiques — {name}")
    domain = settings.SANSCOUTURE_BASE_URL.split("//")[-1].split("/")[0] or "sanscouture"
    for a in actions:
        ev = Event()
        ev.add("uid", f"action-{a.pk}@{domain}")
        ev.add("summary", a.title)
        ev.add("description", f"{a.body.name} — {a.get_kind_display()}. {a.description}".strip())
        ev.add("dtstart", a.actual_start or a.start)
        ev.add("dtend", (a.actual_end or a.end) + timedelta(days=1))  # DTEND of a date is exclusive (RFC 5545)
        ev.add("dtstamp", a.published_at or timezone.now())
        ev.add("sequence", a.version - 1)
        ev.add("organizer", f"mailto:noreply@{domain}", parameters={"cn": a.body.name})
        cal.add_component(ev)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="actions-{kind}-{code}.ics"'
    return response


def commune_ics(request: HttpRequest, code: str) -> HttpResponse:
    return _ics("commune", code)


def epci_ics(request: HttpRequest, siren: str) -> HttpResponse:
    return _ics("epci", siren)
