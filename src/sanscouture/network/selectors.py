"""Reads of the network app: the figures of the cooperation network of a territory (between bodies) and of one
body (between its services), per period, computed from the interaction ledger. Figures are about bodies and
services, never about agents."""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth

from sanscouture.accounts.models import Membership
from sanscouture.bodies.models import Body, BodyKind, BodyUnit
from sanscouture.territories.models import Departement, Epci, Region

from . import metrics
from .errors import InvalidPeriod, InvalidTerritory, UnknownTerritory
from .models import Interaction, InteractionKind, TieRating

MAX_PERIOD_DAYS = 5 * 366
DEFAULT_DAYS = 365
# Kinds that say who went to whom (the directed graph of reciprocity and brokerage); a case worked together goes
# both ways.
DIRECTED = (InteractionKind.HANDOVER_SENT, InteractionKind.OPINION, InteractionKind.MESSAGE, InteractionKind.NOTICE)
DECISIONS = (InteractionKind.HANDOVER_ACCEPTED, InteractionKind.HANDOVER_REFUSED)
PLURAL = {
    BodyKind.MAIRIE: "mairies",
    BodyKind.EPCI: "intercommunalités",
    BodyKind.DEPARTEMENT: "départements",
    BodyKind.REGION: "régions",
    BodyKind.CAF: "CAF",
    BodyKind.CPAM: "caisses d'assurance maladie",
    BodyKind.MDPH: "MDPH",
    BodyKind.PREFECTURE: "préfectures",
    BodyKind.OFFICE: "guichets",
}
ROLE_LABELS = {
    "coordinateur": "coordinatrice",
    "gardien": "gardienne",
    "representant": "représentante",
    "consultant": "consultante",
    "liaison": "liaison",
}
HOW = {
    "activite": "Nombre d'interactions de la structure sur la période (dossiers travaillés ensemble, orientations "
    "envoyées et décidées, messages), avec toute autre structure.",
    "part_inter_institutions": "Part de ces interactions avec une autre structure (le reste : entre ses propres "
    "services).",
    "partenaires": "Nombre de structures distinctes avec qui elle a interagi.",
    "reciprocite": "Part de ses liens orientés (orientations, messages) qui vont dans les deux sens (networkx).",
    "delai_median_acceptation_heures": "Médiane, en heures, du délai entre l'envoi et l'acceptation des orientations "
    "qu'elle a reçues.",
    "taux_refus": "Orientations reçues refusées ÷ orientations reçues décidées.",
    "delai_median_reponse_avis_heures": "Médiane du délai de réponse aux avis d'impact reçus (quand ils existent).",
    "intermediarite": "Centralité d'intermédiarité normalisée (définition de networkx, algorithme de Brandes, graphe "
    f"non orienté) : exacte jusqu'à {metrics.BETWEENNESS_SAMPLE} structures, estimée au-delà sur un échantillon "
    "de structures de départ.",
    "contrainte": "Contrainte de Burt (formule de networkx, pondérée par les interactions) : proche de 1, tous ses "
    "liens mènent aux mêmes partenaires liés entre eux ; faible, elle relie des mondes séparés (trous structuraux).",
    "courtage": "Rôles de courtage de Gould et Fernandez, les types de structure comme groupes : pour chaque chemin "
    "A → structure → C sans lien direct A → C, coordinateur (trois du même type), gardien (A d'un autre type), "
    "représentant (C d'un autre type), consultant (A et C d'un même autre type), liaison (trois types).",
    "isolee": "Structure inscrite sur la plateforme (au moins un agent) sans aucune interaction avec une autre "
    "structure sur la période.",
    "confiance": "Moyenne des évaluations reçues (alignement, ouverture, fiabilité ; 1 à 4, questionnaire PARTNER).",
    "valeur": "Moyenne des évaluations reçues (ressources, influence, engagement ; 1 à 4).",
    "indice_ei": "Indice E-I de Krackhardt par type : (externes − internes) ÷ total des interactions ; négatif, "
    "le type fonctionne en silo.",
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date


def period_parse(*, du: date | None, au: date | None, today: date) -> Period:
    """The period of the figures: `au` defaults to today, `du` to a year before `au`; at most 5 years."""
    end = au or today
    start = du or end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise InvalidPeriod("La période est inversée : « du » doit précéder « au ».", details={"du": str(start)})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidPeriod("La période dépasse 5 ans : choisissez une période plus courte.")
    return Period(start, end)


@dataclass(frozen=True)
class Territory:
    kind: str  # epci, departement, region
    code: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code}"


def territory_parse(value: str) -> Territory:
    """`epci:<siren>`, `departement:<code>` or `region:<code>`."""
    kind, _, code = (value or "").strip().partition(":")
    if kind not in ("epci", "departement", "region") or not code or len(code) > 9:
        raise InvalidTerritory(
            "Territoire attendu sous la forme epci:<siren>, departement:<code> ou region:<code>.",
            details={"territoire": value[:40]},
        )
    model = {"epci": Epci, "departement": Departement, "region": Region}[kind]
    found = model.objects.filter(pk=code.upper() if kind == "departement" else code).first()
    if found is None:
        raise UnknownTerritory(f"Territoire inconnu : {kind} {code[:9]}.", details={"territoire": value[:40]})
    return Territory(kind, found.pk, found.name)


def territory_of_user(user: Any) -> Territory:
    """The default territory of an agent: the département of their first body (its région for a regional body)."""
    memberships = Membership.objects.filter(user=user).select_related("body__commune") if user.is_authenticated else []
    for membership in memberships:
        body = membership.body
        code = body.departement_id or (body.commune.departement_id if body.commune else None)
        if code:
            return territory_parse(f"departement:{code}")
        if body.region_id:
            return territory_parse(f"region:{body.region_id}")
    raise InvalidTerritory("Précisez le territoire : epci:<siren>, departement:<code> ou region:<code>.")


def territory_bodies(territory: Territory) -> QuerySet[Body]:
    """The bodies anchored in the territory: by their own anchor or their commune's."""
    if territory.kind == "epci":
        where = Q(epci_id=territory.code) | Q(commune__epci_id=territory.code)
    elif territory.kind == "departement":
        where = Q(departement_id=territory.code) | Q(commune__departement_id=territory.code)
    else:
        where = Q(region_id=territory.code) | Q(departement__region_id=territory.code)
        where |= Q(commune__region_id=territory.code)
    return Body.objects.filter(where)


# --- The computation -------------------------------------------------------------------------------------------


@dataclass
class Graph:
    """The figures of one network (bodies of a territory, or services of one body) over a period."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)
    how: dict[str, str] = field(default_factory=lambda: dict(HOW))


def _median_hours(values: list[int]) -> float | None:
    return round(statistics.median(values) / 3600, 1) if values else None


def _ratings(body_ids: set[int], period: Period) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = {}
    rows = TieRating.objects.filter(
        rated_body_id__in=body_ids, month__gte=period.start.replace(day=1), month__lte=period.end
    )
    per: dict[int, list[TieRating]] = defaultdict(list)
    for r in rows:
        per[r.rated_body_id].append(r)
    for body_id, items in per.items():
        out[body_id] = {
            "confiance": round(sum(r.trust for r in items) / len(items), 2),
            "valeur": round(sum(r.value for r in items) / len(items), 2),
            "evaluations": len(items),
        }
    return out


def _pair_ratings(pairs: set[tuple[int, int]], period: Period) -> dict[tuple[int, int], dict[str, float]]:
    """Trust and value of each tie (both directions' ratings together)."""
    per: dict[tuple[int, int], list[TieRating]] = defaultdict(list)
    rows = TieRating.objects.filter(month__gte=period.start.replace(day=1), month__lte=period.end)
    for r in rows:
        key = (min(r.rater_body_id, r.rated_body_id), max(r.rater_body_id, r.rated_body_id))
        if key in pairs:
            per[key].append(r)
    return {
        key: {
            "confiance": round(sum(r.trust for r in items) / len(items), 2),
            "valeur": round(sum(r.value for r in items) / len(items), 2),
            "evaluations": len(items),
        }
        for key, items in per.items()
    }


@dataclass
class _Ledger:
    """The period's interactions aggregated per ordered pair and kind, and the delays of decisions."""

    counts: dict[tuple[Any, Any, str], int] = field(default_factory=lambda: defaultdict(int))
    delays: dict[tuple[Any, Any, str], list[int]] = field(default_factory=lambda: defaultdict(list))


def _ledger(rows: QuerySet[Interaction], a: str, b: str) -> _Ledger:
    """One read of the period's rows, counted here: SQLite's GROUP BY over a million rows sorted them in a temporary
    b-tree (34 s in benchmarks/bench_network.py) where streaming the tuples into a dictionary takes a few seconds."""
    ledger = _Ledger()
    counts, delays = ledger.counts, ledger.delays
    timed = {*DECISIONS, InteractionKind.NOTICE_ANSWER}
    for x, y, kind, delay in rows.values_list(a, b, "kind", "delay_seconds").order_by().iterator(chunk_size=20_000):
        counts[(x, y, kind)] += 1
        if delay is not None and kind in timed:
            delays[(x, y, kind)].append(delay)
    return ledger


def _compute(
    ledger: _Ledger, nodes: dict[Any, dict[str, Any]], group: dict[Any, str], internal: dict[Any, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[Any, metrics.Brokerage], dict[str, float | None]]:
    """Per node and per pair figures from the aggregated ledger (ids of bodies or of services)."""
    undirected_ties: dict[tuple[Any, Any], float] = defaultdict(float)
    directed_ties: dict[tuple[Any, Any], float] = defaultdict(float)
    activity: dict[Any, int] = defaultdict(int)
    pair: dict[tuple[Any, Any], dict[str, Any]] = {}
    for (x, y, kind), n in ledger.counts.items():
        undirected_ties[(x, y)] += n
        activity[x] += n
        activity[y] += n
        if kind == InteractionKind.CASE_SHARED:
            directed_ties[(x, y)] += n
            directed_ties[(y, x)] += n
        elif kind in DIRECTED:
            directed_ties[(x, y)] += n
        key = (x, y) if str(x) <= str(y) else (y, x)
        link = pair.setdefault(key, {"source": key[0], "cible": key[1], "interactions": 0, "par_type": {}})
        link["interactions"] += n
        link["par_type"][kind] = link["par_type"].get(kind, 0) + n
    # Hand-over decisions per pair (both directions) and per receiving node.
    received_accept: dict[Any, list[int]] = defaultdict(list)
    received_refused: dict[Any, int] = defaultdict(int)
    received_decided: dict[Any, int] = defaultdict(int)
    notice_delays: dict[Any, list[int]] = defaultdict(list)
    pair_accept: dict[tuple[Any, Any], list[int]] = defaultdict(list)
    for (x, y, kind), delays in ledger.delays.items():
        key = (x, y) if str(x) <= str(y) else (y, x)
        if kind == InteractionKind.HANDOVER_ACCEPTED:
            received_accept[y].extend(delays)
            pair_accept[key].extend(delays)
        elif kind == InteractionKind.NOTICE_ANSWER:
            notice_delays[x].extend(delays)  # the answer goes from the body notified to the author
    for (_, y, kind), n in ledger.counts.items():
        if kind in DECISIONS:
            received_decided[y] += n
            if kind == InteractionKind.HANDOVER_REFUSED:
                received_refused[y] += n
    order = list(nodes)
    undirected = metrics.undirected(undirected_ties, order)
    directed = metrics.directed(directed_ties, order)
    recip = metrics.reciprocity(directed)
    between = metrics.betweenness(undirected)
    constraint = metrics.constraint(undirected)
    brokerage = metrics.brokerage_roles(directed_ties, {n: group[n] for n in order})
    ei = metrics.ei_index(undirected_ties, {n: group[n] for n in order})
    out_nodes = []
    for node in order:
        total = activity[node] + internal.get(node, 0)
        decided = received_decided[node]
        out_nodes.append(
            {
                **nodes[node],
                "activite": activity[node],
                "part_inter_institutions": round(activity[node] / total, 3) if total else None,
                "partenaires": undirected.degree(node),
                "reciprocite": recip.get(node),
                "delai_median_acceptation_heures": _median_hours(received_accept[node]),
                "orientations_recues_decidees": decided,
                "taux_refus": round(received_refused[node] / decided, 3) if decided else None,
                "delai_median_reponse_avis_heures": _median_hours(notice_delays[node]),
                "intermediarite": between.get(node, 0.0),
                "contrainte": constraint.get(node),
                "courtage": brokerage[node].as_dict(),
                "isolee": undirected.degree(node) == 0,
            }
        )
    links = []
    for key, link in pair.items():
        accepted = link["par_type"].get(InteractionKind.HANDOVER_ACCEPTED, 0)
        refused = link["par_type"].get(InteractionKind.HANDOVER_REFUSED, 0)
        links.append(
            {
                **link,
                "orientations": link["par_type"].get(InteractionKind.HANDOVER_SENT, 0),
                "acceptees": accepted,
                "refusees": refused,
                "taux_refus": round(refused / (accepted + refused), 3) if accepted + refused else None,
                "delai_median_acceptation_heures": _median_hours(pair_accept[key]),
            }
        )
    links.sort(key=lambda link: -link["interactions"])
    return out_nodes, links, brokerage, ei


def _between(nodes: dict[Any, dict[str, Any]], linked: set[Any], kinds: dict[Any, str]) -> str:
    """« le Département de l'Hérault et 14 mairies »: the ends a broker links, one name or a count per type."""
    ends: dict[str, list[Any]] = defaultdict(list)
    for node in linked:
        ends[kinds[node]].append(node)
    parts = []
    for kind, members in sorted(ends.items(), key=lambda item: (-len(item[1]), item[0])):
        if len(members) == 1:
            parts.append(nodes[members[0]]["nom"])
        else:
            parts.append(f"{len(members)} {PLURAL.get(kind, 'structures')}")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]


def _explain(
    out_nodes: list[dict[str, Any]],
    brokerage: dict[Any, metrics.Brokerage],
    nodes: dict,
    kinds: dict,
    period: Period,
    members_word: str,
) -> list[str]:
    lines = []
    span = f"du {period.start:%d/%m/%Y} au {period.end:%d/%m/%Y}"
    brokers = sorted((n for n in out_nodes if n["courtage"]["total"]), key=lambda n: -n["courtage"]["total"])
    for node in brokers[:1]:  # the main broker; the others are in the table (column « Courtage »)
        linked = brokerage[node["id"]].ends
        roles = sorted(((n, role) for role, n in node["courtage"].items() if role != "total" and n), reverse=True)
        detail = ", ".join(f"{ROLE_LABELS[role]} {n}" for n, role in roles[:2])
        lines.append(
            f"{node['nom']} fait le lien entre {_between(nodes, linked, kinds)} : elle est l'intermédiaire obligé "
            f"de {node['courtage']['total']} chemins ({detail}), {span}."
        )
    for node in out_nodes:
        if node["isolee"]:
            lines.append(
                f"{node['nom']} est {members_word} mais n'a eu aucune interaction avec une autre structure {span}."
            )
    return lines


def network_of_territory(*, territory: Territory, period: Period) -> Graph:
    """The network between the bodies of a territory: the bodies on the platform (with an agent) or with an
    interaction in the period, their partners outside the territory, every tie among them."""
    inside = set(territory_bodies(territory).values_list("pk", flat=True))
    rows = Interaction.objects.between(period.start, period.end).filter(
        Q(from_body_id__in=inside) | Q(to_body_id__in=inside)
    )
    crossing = rows.exclude(from_body=F("to_body"))
    ledger = _ledger(crossing, "from_body_id", "to_body_id")
    internal: dict[int, int] = defaultdict(int)
    for body_id, n in (
        rows.filter(from_body=F("to_body")).values_list("from_body_id").annotate(n=Count("id")).order_by()
    ):
        internal[body_id] += n
    on_platform = set(Membership.objects.filter(body_id__in=inside).values_list("body_id", flat=True))
    ids = on_platform | {x for x, _, _ in ledger.counts} | {y for _, y, _ in ledger.counts}
    bodies = {b.pk: b for b in Body.objects.filter(pk__in=ids)}
    nodes = {
        pk: {"id": pk, "cle": b.key, "nom": b.name, "type": b.kind, "dans_territoire": pk in inside}
        for pk, b in sorted(bodies.items(), key=lambda item: item[1].name)
    }
    kinds = {pk: b.kind for pk, b in bodies.items()}
    out_nodes, links, brokerage, ei = _compute(ledger, nodes, kinds, internal)
    ratings = _ratings(set(nodes), period)
    for node in out_nodes:
        node.update(ratings.get(node["id"], {"confiance": None, "valeur": None, "evaluations": 0}))
    pair_ratings = _pair_ratings({(link["source"], link["cible"]) for link in links}, period)
    for link in links:
        link.update(
            pair_ratings.get((link["source"], link["cible"]), {"confiance": None, "valeur": None, "evaluations": 0})
        )
    labels = dict(BodyKind.choices)
    groups = [
        {
            "type": kind,
            "libelle": labels.get(kind, kind),
            "structures": sum(1 for k in kinds.values() if k == kind),
            "indice_ei": value,
        }
        for kind, value in sorted(ei.items())
    ]
    return Graph(out_nodes, links, groups, _explain(out_nodes, brokerage, nodes, kinds, period, "inscrite"))


def network_of_body(*, body: Body, period: Period) -> Graph:
    """The network between the services of one body: hand-overs between them and cases they worked together.
    Groups are the top-level directions (a service without direction is its own group)."""
    units = {u.pk: u for u in BodyUnit.objects.filter(body=body)}

    def top(unit: BodyUnit) -> BodyUnit:
        seen = set()
        while unit.parent_id and unit.parent_id in units and unit.pk not in seen:
            seen.add(unit.pk)
            unit = units[unit.parent_id]
        return unit

    rows = Interaction.objects.between(period.start, period.end).filter(
        from_body=body, to_body=body, from_unit__isnull=False, to_unit__isnull=False
    )
    ledger = _ledger(rows, "from_unit_id", "to_unit_id")
    outside: dict[int, int] = defaultdict(int)
    crossing = Interaction.objects.between(period.start, period.end).filter(Q(from_body=body) | Q(to_body=body))
    crossing = crossing.exclude(from_body=F("to_body"))
    for unit_id, n in (
        crossing.filter(from_body=body, from_unit__isnull=False)
        .values_list("from_unit_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        outside[unit_id] += n
    for unit_id, n in (
        crossing.filter(to_body=body, to_unit__isnull=False)
        .values_list("to_unit_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        outside[unit_id] += n
    nodes = {
        pk: {
            "id": pk,
            "cle": f"service:{pk}",
            "nom": u.name,
            "type": u.kind,
            "direction": top(u).name,
            "parent": u.parent_id,
            "avec_autres_structures": outside.get(pk, 0),
        }
        for pk, u in sorted(units.items(), key=lambda item: item[1].name)
    }
    group = {pk: top(u).name for pk, u in units.items()}
    # Inside one body, "cross-institution" is with other bodies: the share counts the service's ties outside.
    out_nodes, links, brokerage, ei = _compute(ledger, nodes, group, {})
    for node in out_nodes:
        own, other = node["activite"], node["avec_autres_structures"]
        node["part_inter_institutions"] = round(other / (own + other), 3) if own + other else None
    groups = [
        {"type": name, "libelle": name, "structures": sum(1 for g in group.values() if g == name), "indice_ei": value}
        for name, value in sorted(ei.items(), key=lambda item: str(item[0]))
    ]
    kinds = {pk: group[pk] for pk in units}
    lines = _explain(out_nodes, brokerage, nodes, kinds, period, "décrit dans l'organisation")
    how = dict(HOW) | {
        "part_inter_institutions": "Part des interactions du service avec d'autres structures, parmi toutes ses "
        "interactions.",
        "isolee": "Service sans aucune interaction avec un autre service de la structure sur la période.",
        "courtage": HOW["courtage"].replace("les types de structure", "les directions"),
        "indice_ei": "Indice E-I de Krackhardt par direction : négatif, la direction fonctionne en silo.",
    }
    return Graph(out_nodes, links, groups, lines, how)


def trends_of_territory(*, territory: Territory, period: Period) -> list[dict[str, Any]]:
    """Month by month: interactions, hand-overs sent, refused, median acceptance delay, bodies with a tie."""
    inside = set(territory_bodies(territory).values_list("pk", flat=True))
    rows = (
        Interaction.objects.between(period.start, period.end)
        .filter(Q(from_body_id__in=inside) | Q(to_body_id__in=inside))
        .exclude(from_body=F("to_body"))
    )
    per_month: dict[date, dict[str, Any]] = {}
    for month, kind, n in (
        rows.annotate(m=TruncMonth("day")).values_list("m", "kind").annotate(n=Count("id")).order_by()
    ):
        entry = per_month.setdefault(month, {"interactions": 0, "orientations": 0, "refusees": 0, "acceptees": 0})
        entry["interactions"] += n
        if kind == InteractionKind.HANDOVER_SENT:
            entry["orientations"] += n
        elif kind == InteractionKind.HANDOVER_REFUSED:
            entry["refusees"] += n
        elif kind == InteractionKind.HANDOVER_ACCEPTED:
            entry["acceptees"] += n
    delays: dict[date, list[int]] = defaultdict(list)
    accepted = rows.filter(kind=InteractionKind.HANDOVER_ACCEPTED).annotate(m=TruncMonth("day"))
    for month, delay in accepted.values_list("m", "delay_seconds"):
        delays[month].append(delay)
    active: dict[date, set[int]] = defaultdict(set)
    for month, a, b in rows.annotate(m=TruncMonth("day")).values_list("m", "from_body_id", "to_body_id").distinct():
        active[month] |= {a, b}
    out = []
    month = period.start.replace(day=1)
    while month <= period.end:
        entry = per_month.get(month, {"interactions": 0, "orientations": 0, "refusees": 0, "acceptees": 0})
        decided = entry["acceptees"] + entry["refusees"]
        out.append(
            {
                "mois": f"{month:%Y-%m}",
                **entry,
                "taux_refus": round(entry["refusees"] / decided, 3) if decided else None,
                "delai_median_acceptation_heures": _median_hours(delays.get(month, [])),
                "structures_actives": len(active.get(month, set())),
            }
        )
        month = (month + timedelta(days=32)).replace(day=1)
    return out


def ties_figures(*, ties: set[tuple[int, int]], period: Period, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The figures of a set of ties between bodies (pairs, lower id first) over a period: interactions (per tie and
    per 30 days), hand-overs decided, refusal rate, median acceptance delay, mean trust of the ties' ratings. Used by
    the gatherings' effect panel (issue 13) on treated and comparable ties alike; `exclude`: kinds left out."""
    ids = {x for pair in ties for x in pair}
    rows = (
        Interaction.objects.between(period.start, period.end)
        .filter(from_body_id__in=ids, to_body_id__in=ids)
        .exclude(from_body=F("to_body"))
        .exclude(kind__in=exclude)
    )
    ledger = _ledger(rows, "from_body_id", "to_body_id")
    total = accepted = refused = 0
    delays: list[int] = []
    for (x, y, kind), n in ledger.counts.items():
        if (min(x, y), max(x, y)) not in ties:
            continue
        total += n
        if kind == InteractionKind.HANDOVER_ACCEPTED:
            accepted += n
            delays.extend(ledger.delays.get((x, y, kind), []))
        elif kind == InteractionKind.HANDOVER_REFUSED:
            refused += n
    ratings = _pair_ratings(ties, period)
    scored = [r for r in ratings.values() if r["confiance"] is not None]
    weight = sum(r["evaluations"] for r in scored)
    days = (period.end - period.start).days + 1
    return {
        "liens": len(ties),
        "interactions": total,
        "par_lien_par_mois": round(total / len(ties) * 30 / days, 3) if ties and days > 0 else None,
        "orientations_decidees": accepted + refused,
        "taux_refus": round(refused / (accepted + refused), 3) if accepted + refused else None,
        "delai_median_acceptation_heures": _median_hours(delays),
        "confiance": round(sum(r["confiance"] * r["evaluations"] for r in scored) / weight, 2) if weight else None,
        "evaluations": weight,
    }
