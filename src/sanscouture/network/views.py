"""Pages of the network (DSFR, French): the network of a territory, the network between a body's services, the
services of a body (its administrators), and the one-click rating of a tie."""

import json
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sanscouture.accounts.access import agent_required
from sanscouture.accounts.errors import AccountError
from sanscouture.accounts.models import Membership, Role
from sanscouture.accounts.services import membership_units_set, unit_create
from sanscouture.bodies.models import Body, BodyKind, BodyUnit
from sanscouture.cases.models import Handover, HandoverStatus
from sanscouture.errors import DomainError

from .forms import LABELS, NetworkFilterForm, PeriodForm, RatingForm, UnitForm
from .models import TieRating
from .permissions import body_for_internal_network
from .selectors import Graph, network_of_body, network_of_territory, period_parse, territory_parse, trends_of_territory
from .services import interactions_sync, tie_rate

# DSFR illustrative colours, one per type of body (the legend repeats them in words).
COLOURS = {
    BodyKind.MAIRIE: "#000091",
    BodyKind.EPCI: "#6a6af4",
    BodyKind.DEPARTEMENT: "#c9191e",
    BodyKind.REGION: "#a558a0",
    BodyKind.CAF: "#18753c",
    BodyKind.CPAM: "#0078f3",
    BodyKind.MDPH: "#b34000",
    BodyKind.PREFECTURE: "#3a3a3a",
}
OTHER_COLOUR = "#716043"


def _territories(user: Any) -> list[tuple[str, str]]:
    """The territories of the agent's bodies: their département, région and intercommunalité."""
    seen: dict[str, str] = {}
    for m in Membership.objects.filter(user=user).select_related(
        "body__departement", "body__region", "body__epci", "body__commune__departement", "body__commune__epci"
    ):
        body = m.body
        dep = body.departement or (body.commune.departement if body.commune else None)
        epci = body.epci or (body.commune.epci if body.commune else None)
        if dep:
            seen.setdefault(f"departement:{dep.pk}", f"Département : {dep.name}")
        if epci:
            seen.setdefault(f"epci:{epci.pk}", f"Intercommunalité : {epci.name}")
        region = body.region or (dep.region if dep else None)
        if region:
            seen.setdefault(f"region:{region.pk}", f"Région : {region.name}")
    return list(seen.items())


# A département has thousands of bodies: the page draws and lists the most active, the CSV exports give them all.
GRAPH_NODES = 150
TABLE_ROWS = 300


def _shown(graph: Graph) -> Graph:
    """The page's share of a large network: the TABLE_ROWS most active bodies (and every isolated one) with the ties
    among them; the graph view keeps GRAPH_NODES of them."""
    if len(graph.nodes) <= TABLE_ROWS:
        return graph
    ranked = sorted(graph.nodes, key=lambda n: -n["activite"])
    kept = ranked[:TABLE_ROWS] + [n for n in ranked[TABLE_ROWS:] if n["isolee"]]
    ids = {n["id"] for n in kept}
    links = [link for link in graph.links if link["source"] in ids and link["cible"] in ids][:TABLE_ROWS]
    return Graph(kept, links, graph.groups, graph.explanations, graph.how)


def _graph_data(graph: Graph) -> dict[str, Any]:
    """What the graph view draws (no figure it does not show in the tables too)."""
    drawn = {n["id"] for n in sorted(graph.nodes, key=lambda n: -n["activite"])[:GRAPH_NODES]}
    return {
        "noeuds": [
            {
                "id": str(n["id"]),
                "nom": n["nom"],
                "type": n["type"],
                "activite": n["activite"],
                "isolee": n["isolee"],
                "couleur": COLOURS.get(n["type"], OTHER_COLOUR),
            }
            for n in graph.nodes
            if n["id"] in drawn
        ],
        "liens": [
            {"source": str(link["source"]), "cible": str(link["cible"]), "interactions": link["interactions"]}
            for link in graph.links
            if link["source"] in drawn and link["cible"] in drawn
        ],
    }


def _named(graph: Graph) -> list[dict[str, Any]]:
    """The links with the names of their two ends, for the table."""
    names = {n["id"]: n["nom"] for n in graph.nodes}
    return [
        {**link, "source_nom": names.get(link["source"]), "cible_nom": names.get(link["cible"])} for link in graph.links
    ]


def _rateable(user: Any) -> list[dict[str, Any]]:
    """Hand-overs between two bodies decided in the last quarter (92 days) where one of my bodies is a party, whose
    tie my body has not rated this month: the latest per partner, five at most."""
    mine = set(Membership.objects.filter(user=user).values_list("body_id", flat=True))
    since = timezone.now() - timedelta(days=92)
    month = timezone.localdate().replace(day=1)
    rated = set(TieRating.objects.filter(rater_body_id__in=mine, month=month).values_list("rater_body", "rated_body"))
    rows = (
        Handover.objects.filter(Q(from_body_id__in=mine) | Q(to_body_id__in=mine), decided_at__gte=since)
        .exclude(status=HandoverStatus.PENDING)
        .exclude(from_body=F("to_body"))
        .select_related("from_body", "to_body")
        .order_by("-decided_at")
    )
    out, pairs = [], set()
    for h in rows:
        rater = h.from_body if h.from_body_id in mine else h.to_body
        other = h.to_body if rater == h.from_body else h.from_body
        if (rater.pk, other.pk) in rated or (rater.pk, other.pk) in pairs:
            continue
        pairs.add((rater.pk, other.pk))
        out.append({"handover": h, "rater": rater, "other": other, "form": RatingForm(prefix=f"o{h.pk}")})
        if len(out) == 5:
            break
    return out


@agent_required
@require_GET
def network_page(request: HttpRequest) -> HttpResponse:
    """The network between the bodies of a territory: graph, explanations, tables, trends, exports."""
    territories = _territories(request.user)
    if not territories:
        return render(request, "network/no_network.html", status=200)
    data = request.GET if request.GET.get("territoire") else None
    form = NetworkFilterForm(data, territories=territories, initial={"territoire": territories[0][0]})
    status, error, context = 200, None, {}
    if data is not None and not form.is_valid():
        status, error = 400, "Choisissez un territoire de vos structures et des dates valides."
    else:
        cleaned = form.cleaned_data if data is not None else {"territoire": territories[0][0], "du": None, "au": None}
        try:
            territory = territory_parse(cleaned["territoire"])
            period = period_parse(du=cleaned["du"], au=cleaned["au"], today=timezone.localdate())
        except DomainError as exc:
            status, error = 400, exc.message
        else:
            interactions_sync()
            full = network_of_territory(territory=territory, period=period)
            graph = _shown(full)
            trends = trends_of_territory(territory=territory, period=period)
            query = f"territoire={territory.key}&du={period.start}&au={period.end}"
            context = {
                "territory": territory,
                "period": period,
                "graph": graph,
                "totals": {"nodes": len(full.nodes), "links": len(full.links)},
                "graph_data": _graph_data(graph),
                "legend": sorted(
                    {(n["type"], dict(BodyKind.choices).get(n["type"], n["type"])) for n in graph.nodes},
                    key=lambda item: item[1],
                ),
                "colours": COLOURS,
                "trends": trends,
                "chart_x": json.dumps([[t["mois"] for t in trends]]),
                "chart_y": json.dumps([[t["interactions"] for t in trends], [t["orientations"] for t in trends]]),
                "query": query,
                "links": _named(graph),
                "rateable": _rateable(request.user),
                "labels": LABELS,
            }
    my_bodies = Body.objects.filter(memberships__user=request.user).order_by("name")
    return render(
        request,
        "network/network.html",
        {"form": form, "error": error, "my_bodies": my_bodies, **context},
        status=status,
    )


@agent_required
@require_POST
def rate(request: HttpRequest, handover_id: int) -> HttpResponse:
    """One side of a decided hand-over rates the tie (PARTNER's six items)."""
    mine = Q(from_body__memberships__user=request.user) | Q(to_body__memberships__user=request.user)
    handover = get_object_or_404(Handover.objects.filter(mine).distinct(), pk=handover_id)
    form = RatingForm(request.POST, prefix=f"o{handover.pk}")
    if not form.is_valid():
        messages.error(request, "Évaluation incomplète : donnez une note de 1 à 4 à chacun des six points.")
        return redirect("network:network")
    try:
        tie_rate(handover=handover, actor=request.user, scores=form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Merci : votre évaluation du lien est enregistrée.")
    return redirect("network:network")


@agent_required
@require_GET
def internal_page(request: HttpRequest, body_id: int) -> HttpResponse:
    """The network between the services of one of my bodies."""
    body = body_for_internal_network(request.user, body_id)
    form = PeriodForm(request.GET or None)
    status, error, context = 200, None, {}
    cleaned = form.cleaned_data if request.GET and form.is_valid() else {"du": None, "au": None}
    if request.GET and not form.is_valid():
        status, error = 400, "Dates invalides (AAAA-MM-JJ)."
    else:
        try:
            period = period_parse(du=cleaned["du"], au=cleaned["au"], today=timezone.localdate())
        except DomainError as exc:
            status, error = 400, exc.message
        else:
            interactions_sync()
            graph = network_of_body(body=body, period=period)
            context = {
                "period": period,
                "graph": graph,
                "graph_data": _graph_data(graph),
                "links": _named(graph),
                "query": f"du={period.start}&au={period.end}",
            }
    is_admin = Membership.objects.filter(user=request.user, body=body, role=Role.ADMIN).exists()
    return render(
        request,
        "network/internal.html",
        {"body": body, "form": form, "error": error, "is_admin": is_admin, **context},
        status=status,
    )


@agent_required
@require_http_methods(["GET", "POST"])
def units_page(request: HttpRequest, body_id: int) -> HttpResponse:
    """A body's directions and services, and which agents belong to which (its administrators only)."""
    body = get_object_or_404(
        Body.objects.filter(memberships__user=request.user, memberships__role=Role.ADMIN).distinct(), pk=body_id
    )
    form = UnitForm(request.POST if request.POST.get("action") == "creer" else None, body=body)
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "creer":
                if form.is_valid():
                    unit_create(
                        body=body,
                        name=form.cleaned_data["nom"],
                        kind=form.cleaned_data["type"],
                        parent=form.cleaned_data["parent"],
                        actor=request.user,
                    )
                    messages.success(request, "Service ajouté.")
                    return redirect("network:units", body_id=body.pk)
                status = 400
            elif request.POST.get("action") == "affecter":
                membership = get_object_or_404(Membership.objects.filter(body=body), pk=request.POST.get("agent"))
                ids = [int(v) for v in request.POST.getlist("services") if v.isdigit()]
                units = list(BodyUnit.objects.filter(body=body, pk__in=ids))
                membership_units_set(membership=membership, units=units, actor=request.user)
                messages.success(request, "Services de l'agent enregistrés.")
                return redirect("network:units", body_id=body.pk)
            else:
                status = 400
        except AccountError as exc:
            form.add_error(None, exc.message)
            status = 400
    units = list(BodyUnit.objects.filter(body=body).select_related("parent"))
    children: dict[int | None, list[BodyUnit]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u)
    tree: list[tuple[int, BodyUnit]] = []

    def walk(parent: int | None, depth: int) -> None:
        for u in sorted(children.get(parent, []), key=lambda x: x.name):
            tree.append((depth, u))
            walk(u.pk, depth + 1)

    walk(None, 0)
    members = Membership.objects.filter(body=body).select_related("user").prefetch_related("units")
    return render(
        request,
        "network/units.html",
        {"body": body, "form": form, "tree": tree, "units": units, "members": members},
        status=status,
    )
