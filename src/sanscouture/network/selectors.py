"""Reads of the network app: the figures of the cooperation network of a territory (between bodies) and of one
body (between its services), per period, computed from the interaction ledger. Figures are about bodies and
services, never about agents."""

import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import F, Q, QuerySet, Sum

from sanscouture.accounts.models import Membership
from sanscouture.bodies.models import Body, BodyKind, BodyUnit
from sanscouture.territories.models import Commune, CommuneKind, Departement, Epci, Region

from . import metrics
from .errors import InvalidPeriod, InvalidTerritory, UnknownTerritory
from .models import Interaction, InteractionKind, InteractionMonth, TieRating

MAX_PERIOD_DAYS = 5 * 366
DEFAULT_DAYS = 365
# Kinds that say who went to whom (the directed graph of reciprocity and brokerage); a case worked together goes
# both ways.
DIRECTED = (InteractionKind.HANDOVER_SENT, InteractionKind.OPINION, InteractionKind.MESSAGE, InteractionKind.NOTICE)
DECISIONS = (InteractionKind.HANDOVER_ACCEPTED, InteractionKind.HANDOVER_REFUSED)
# Done together, stored once per pair: both ways in the directed graph. Gatherings and job shadowing are written
# into the ledger by their own apps (issue 13).
SYMMETRIC = (InteractionKind.CASE_SHARED, InteractionKind.GATHERING)
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
    "envoyées et décidées, messages, avis, rencontres et « vis mon job »), avec toute autre structure.",
    "part_inter_institutions": "Part de ces interactions avec une autre structure (le reste : entre ses propres "
    "services).",
    "partenaires": "Nombre de structures distinctes avec qui elle a interagi.",
    "reciprocite": "Part de ses liens orientés (orientations, messages) qui vont dans les deux sens (définition de "
    "networkx).",
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
    """The bodies anchored in the territory: by their own anchor or their commune's; for a département or a région,
    also those anchored by a group of communes (EPCI, EPT, syndicat, office serving communes) with a member commune
    in it, as `bodies.selectors.body_territory` counts them."""
    if territory.kind == "epci":
        return Body.objects.filter(Q(epci_id=territory.code) | Q(commune__epci_id=territory.code))
    field = "departement_id" if territory.kind == "departement" else "region_id"
    where = Q(**{field: territory.code}) | Q(**{f"commune__{field}": territory.code})
    if territory.kind == "region":
        where |= Q(departement__region_id=territory.code)
    members = Commune.objects.filter(kind=CommuneKind.CURRENT, **{field: territory.code})
    where |= Q(epci_id__in=members.filter(epci__isnull=False).values("epci_id"))
    where |= Q(ept_id__in=members.filter(ept__isnull=False).values("ept_id"))
    served = Body.served_communes.through.objects.filter(commune__in=members).values("body_id")
    where |= Q(kind__in=(BodyKind.OFFICE, BodyKind.SYNDICAT), pk__in=served)
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


# Kinds whose delays the figures read (the aggregate keeps more: network.services.TIMED).
TIMED_READ = (InteractionKind.HANDOVER_ACCEPTED, InteractionKind.NOTICE_ANSWER)
TIMED = set(TIMED_READ)
# The same logical columns in the ledger and in its monthly aggregate.
RAW_COLUMNS = {"a": "from_body_id", "b": "to_body_id", "ua": "from_unit_id", "ub": "to_unit_id"}
MONTH_COLUMNS = {"a": "from_body_id", "b": "to_body_id", "ua": "from_unit", "ub": "to_unit"}


def _chunks(rows: QuerySet, fields: tuple[str, ...] | None) -> Iterator[list[tuple]]:
    """The rows' tuples straight from the database cursor, in chunks: Django's per-row conversion of `values_list`
    cost more than the counting itself at a million rows."""
    rows = rows if fields is None else rows.values_list(*fields)
    sql, params = rows.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(20_000):
            yield chunk


def _json_lists(values: list) -> list:
    """Delay lists as the database gives them: text on SQLite, decoded in one call per chunk (a call per row cost
    half a second at a département's size); lists already on PostgreSQL."""
    if values and isinstance(values[0], str):
        return json.loads("[" + ",".join(values) + "]")
    return values


def _whole_months(period: Period) -> tuple[date, date]:
    """The whole months inside the period, as [first day of the first, first day after the last)."""
    first = period.start if period.start.day == 1 else (period.start + timedelta(days=32)).replace(day=1)
    return first, (period.end + timedelta(days=1)).replace(day=1)


def _facts(period: Period, where: Q, keys: tuple[str, ...]) -> Iterator[tuple]:
    """The period's interactions matching `where` as (kind, count, delays or None, *keys): for its whole months,
    the monthly aggregate summed per key and kind by the database, then the delays the figures use (a fact of
    count 0); for its partial months and for rows not yet folded into the aggregate (written since the last
    synchronisation, by any app), the ledger's own rows. Services are None when unknown."""
    first, after = _whole_months(period)
    raw = Interaction.objects.filter(where)
    raw_fields = ("kind", "delay_seconds", *(RAW_COLUMNS[k] for k in keys))
    if first < after:
        parts = [
            raw.filter(day__gte=period.start, day__lt=first),
            raw.filter(day__gte=after, day__lte=period.end),
            raw.filter(day__gte=first, day__lt=after, folded=False),
        ]
        months = InteractionMonth.objects.filter(where, month__gte=first, month__lt=after)
        columns = [MONTH_COLUMNS[k] for k in keys]
        units = any(k in ("ua", "ub") for k in keys)

        def keyed(rest: list) -> list:  # service ids: 0 (none known) in the aggregate, NULL in the ledger
            if units:
                return [v if v != 0 or k not in ("ua", "ub") else None for k, v in zip(keys, rest, strict=True)]
            return rest

        summed = months.values(*columns, "kind").annotate(n=Sum("count")).values_list("kind", "n", *columns)
        for chunk in _chunks(summed, None):
            for kind, n, *rest in chunk:
                yield (kind, n, None, *keyed(rest))
        for chunk in _chunks(months.filter(kind__in=TIMED_READ), ("kind", "delays", *columns)):
            decoded = _json_lists([row[1] for row in chunk])
            for (kind, _, *rest), delays in zip(chunk, decoded, strict=True):
                yield (kind, 0, delays, *keyed(rest))
    else:
        parts = [raw.filter(day__gte=period.start, day__lte=period.end)]
    for part in parts:
        for chunk in _chunks(part, raw_fields):
            for kind, delay, *rest in chunk:
                yield (kind, 1, None if delay is None else [delay], *rest)


def _ledger(facts: Iterable[tuple], internal: dict[Any, int] | None = None) -> _Ledger:
    """The facts (kind, count, delays, x, y) counted per ordered pair and kind; with `internal`, the counts of facts
    from a node to itself go there instead (between two services of one body)."""
    ledger = _Ledger()
    counts, delays = ledger.counts, ledger.delays
    for kind, n, values, x, y in facts:
        if internal is not None and x == y:
            internal[x] += n
            continue
        if n:
            counts[(x, y, kind)] += n
        if values and kind in TIMED:
            delays[(x, y, kind)].extend(values)
    return ledger


KIND_CODES = {kind: code for code, kind in enumerate(InteractionKind.values)}
_CODE = {name: KIND_CODES[kind] for name, kind in InteractionKind.__members__.items()}
_DIRECTED_CODES = [KIND_CODES[k] for k in DIRECTED]
_SYMMETRIC_CODES = [KIND_CODES[k] for k in SYMMETRIC]
_DECISION_CODES = [KIND_CODES[k] for k in DECISIONS]


def _compute(
    ledger: _Ledger, nodes: dict[Any, dict[str, Any]], group: dict[Any, str], internal: dict[Any, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Callable[[Any], set[Any]], dict[str, float | None]]:
    """Per node and per pair figures from the aggregated ledger (ids of bodies or of services). The (pair, kind)
    sums are numpy arrays indexed by the nodes' positions: Python loops over them cost seconds at a département's
    size (benchmarks/bench_network.py). Also returns who a broker links (asked for the explanations only)."""
    order = list(nodes)
    n = len(order)
    index = {node: i for i, node in enumerate(order)}
    rows = [
        (index[x], index[y], KIND_CODES[kind], count)
        for (x, y, kind), count in ledger.counts.items()
        if x in index and y in index
    ]
    xs, ys, ks, ns = np.asarray(rows, dtype=np.int64).reshape(-1, 4).T
    activity = np.bincount(xs, weights=ns, minlength=n) + np.bincount(ys, weights=ns, minlength=n)
    # Links: each unordered pair once, the lower id as source; per kind, its count.
    ids = np.asarray(order)
    first = ids[xs] <= ids[ys]
    source, target = np.where(first, xs, ys), np.where(first, ys, xs)
    pairs, link_of = np.unique(source * n + target, return_inverse=True)
    by_kind = np.zeros((len(pairs), len(KIND_CODES)), dtype=np.int64)
    np.add.at(by_kind, (link_of, ks), ns)
    # Hand-over decisions received, and delays.
    decided = np.isin(ks, _DECISION_CODES)
    received_decided = np.bincount(ys[decided], weights=ns[decided], minlength=n)
    refused = ks == _CODE["HANDOVER_REFUSED"]
    received_refused = np.bincount(ys[refused], weights=ns[refused], minlength=n)
    received_accept: dict[Any, list[int]] = defaultdict(list)
    notice_delays: dict[Any, list[int]] = defaultdict(list)
    pair_accept: dict[tuple[Any, Any], list[int]] = defaultdict(list)
    for (x, y, kind), delays in ledger.delays.items():
        if kind == InteractionKind.HANDOVER_ACCEPTED:
            received_accept[y].extend(delays)
            pair_accept[(x, y) if x <= y else (y, x)].extend(delays)
        elif kind == InteractionKind.NOTICE_ANSWER:
            notice_delays[x].extend(delays)  # the answer goes from the body notified to the author
    # The graphs: every interaction in the undirected one; who went to whom in the directed one (a case worked
    # together, a gathering: both ways).
    undirected = metrics.tie_arrays(n, xs, ys, ns, undirected=True)
    one_way = np.isin(ks, _DIRECTED_CODES)
    both_ways = np.isin(ks, _SYMMETRIC_CODES)
    directed = metrics.tie_arrays(
        n,
        np.concatenate([xs[one_way | both_ways], ys[both_ways]]),
        np.concatenate([ys[one_way | both_ways], xs[both_ways]]),
        np.concatenate([ns[one_way | both_ways], ns[both_ways]]),
        undirected=False,
    )
    degree = undirected.degree()
    recip = metrics.reciprocity(directed)
    between = metrics.betweenness(undirected)
    constraint = metrics.constraint(undirected)
    directed_ties = dict(
        zip(zip(directed.heads.tolist(), directed.tails.tolist(), strict=True), directed.weights.tolist(), strict=True)
    )
    by_position = metrics.brokerage_roles(directed_ties, {i: group[node] for i, node in enumerate(order)})
    brokerage = {order[i]: roles for i, roles in by_position.items()}

    def ends_of(node: Any) -> set[Any]:
        return {order[i] for i in metrics.brokerage_ends(directed_ties, index[node])}

    one_direction = metrics.tie_arrays(n, xs, ys, ns, undirected=False)  # E-I counts each direction
    ei = metrics.ei_index(
        {
            (order[x], order[y]): w
            for x, y, w in zip(
                one_direction.heads.tolist(), one_direction.tails.tolist(), one_direction.weights.tolist(), strict=True
            )
        },
        {node: group[node] for node in order},
    )
    out_nodes = []
    for i, node in enumerate(order):
        act, decisions = int(activity[i]), int(received_decided[i])
        total = act + internal.get(node, 0)
        out_nodes.append(
            {
                **nodes[node],
                "activite": act,
                "part_inter_institutions": round(act / total, 3) if total else None,
                "partenaires": int(degree[i]),
                "reciprocite": recip[i],
                "delai_median_acceptation_heures": _median_hours(received_accept[node]),
                "orientations_recues_decidees": decisions,
                "orientations_recues_refusees": int(received_refused[i]),
                "taux_refus": round(int(received_refused[i]) / decisions, 3) if decisions else None,
                "delai_median_reponse_avis_heures": _median_hours(notice_delays[node]),
                "intermediarite": between[i],
                "contrainte": constraint[i],
                "courtage": brokerage[node].as_dict(),
                "isolee": bool(degree[i] == 0),
            }
        )
    links = []
    kinds = InteractionKind.values
    accepted_col, refused_col, sent_col = _CODE["HANDOVER_ACCEPTED"], _CODE["HANDOVER_REFUSED"], _CODE["HANDOVER_SENT"]
    for key, counts in zip(pairs.tolist(), by_kind.tolist(), strict=True):
        a, b = order[key // n], order[key % n]
        accepted, refused = counts[accepted_col], counts[refused_col]
        links.append(
            {
                "source": a,
                "cible": b,
                "interactions": sum(counts),
                "par_type": {kinds[c]: v for c, v in enumerate(counts) if v},
                "orientations": counts[sent_col],
                "acceptees": accepted,
                "refusees": refused,
                "taux_refus": round(refused / (accepted + refused), 3) if accepted + refused else None,
                "delai_median_acceptation_heures": _median_hours(pair_accept.get((a, b), [])),
            }
        )
    links.sort(key=lambda link: (-link["interactions"], link["source"], link["cible"]))  # ties in a stable order
    return out_nodes, links, ends_of, ei


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
    ends_of: Callable[[Any], set[Any]],
    nodes: dict,
    kinds: dict,
    period: Period,
    members_word: str,
    other: str = "une autre structure",
) -> list[str]:
    lines = []
    span = f"du {period.start:%d/%m/%Y} au {period.end:%d/%m/%Y}"
    brokers = sorted((n for n in out_nodes if n["courtage"]["total"]), key=lambda n: -n["courtage"]["total"])
    for node in brokers[:1]:  # the main broker; the others are in the table (column « Courtage »)
        linked = ends_of(node["id"])
        roles = sorted(((n, role) for role, n in node["courtage"].items() if role != "total" and n), reverse=True)
        detail = ", ".join(f"{ROLE_LABELS[role]} {n}" for n, role in roles[:2])
        lines.append(
            f"{node['nom']} fait le lien entre {_between(nodes, linked, kinds)} : elle est l'intermédiaire obligé "
            f"de {node['courtage']['total']} chemins ({detail}), {span}."
        )
    for node in out_nodes:
        if node["isolee"]:
            lines.append(f"{node['nom']} est {members_word} mais n'a eu aucune interaction avec {other} {span}.")
    return lines


def network_of_territory(*, territory: Territory, period: Period) -> Graph:
    """The network between the bodies of a territory: the bodies on the platform (with an agent) or with an
    interaction in the period, their partners outside the territory, every tie among them."""
    inside = set(territory_bodies(territory).values_list("pk", flat=True))
    internal: dict[int, int] = defaultdict(int)
    where = Q(from_body_id__in=inside) | Q(to_body_id__in=inside)
    ledger = _ledger(_facts(period, where, ("a", "b")), internal)
    on_platform = set(Membership.objects.filter(body_id__in=inside).values_list("body_id", flat=True))
    ids = on_platform | {x for x, _, _ in ledger.counts} | {y for _, y, _ in ledger.counts}
    bodies = {b.pk: b for b in Body.objects.filter(pk__in=ids)}
    nodes = {
        pk: {"id": pk, "cle": b.key, "nom": b.name, "type": b.kind, "dans_territoire": pk in inside}
        for pk, b in sorted(bodies.items(), key=lambda item: item[1].name)
    }
    kinds = {pk: b.kind for pk, b in bodies.items()}
    out_nodes, links, ends_of, ei = _compute(ledger, nodes, kinds, internal)
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
    return Graph(out_nodes, links, groups, _explain(out_nodes, ends_of, nodes, kinds, period, "inscrite"))


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

    # One read of the body's interactions: between its own services (the ledger of this network) and with other
    # bodies (each service's ties outside). A service deleted since is no node: its rows are left out.
    outside: dict[int, int] = defaultdict(int)
    inner: list[tuple] = []
    for kind, n, delays, a, b, ua, ub in _facts(period, Q(from_body=body) | Q(to_body=body), ("a", "b", "ua", "ub")):
        if a == b:
            if ua in units and ub in units:
                inner.append((kind, n, delays, ua, ub))
            continue
        if a == body.pk and ua is not None:
            outside[ua] += n
        if b == body.pk and ub is not None:
            outside[ub] += n
    ledger = _ledger(inner)
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
    out_nodes, links, ends_of, ei = _compute(ledger, nodes, group, {})
    for node in out_nodes:
        own, other = node["activite"], node["avec_autres_structures"]
        node["part_inter_institutions"] = round(other / (own + other), 3) if own + other else None
    groups = [
        {"type": name, "libelle": name, "structures": sum(1 for g in group.values() if g == name), "indice_ei": value}
        for name, value in sorted(ei.items(), key=lambda item: str(item[0]))
    ]
    kinds = {pk: group[pk] for pk in units}
    lines = _explain(out_nodes, ends_of, nodes, kinds, period, "décrit dans l'organisation", "un autre service")
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
    where = Q(from_body_id__in=inside) | Q(to_body_id__in=inside)
    per_month: dict[str, dict[str, Any]] = {}
    delays: dict[str, list[int]] = defaultdict(list)
    active: dict[str, set[int]] = defaultdict(set)

    def add(month: str, kind: str, n: int) -> None:
        entry = per_month.setdefault(month, {"interactions": 0, "orientations": 0, "refusees": 0, "acceptees": 0})
        entry["interactions"] += n
        if kind == InteractionKind.HANDOVER_SENT:
            entry["orientations"] += n
        elif kind == InteractionKind.HANDOVER_REFUSED:
            entry["refusees"] += n
        elif kind == InteractionKind.HANDOVER_ACCEPTED:
            entry["acceptees"] += n

    first, after = _whole_months(period)
    crossing = ~Q(from_body=F("to_body"))
    raw = Interaction.objects.filter(where, crossing)
    if first < after:
        # Whole months from the aggregate, summed and deduplicated by the database; read from the cursor (Django's
        # per-row date conversion cost a second at a million interactions).
        months = InteractionMonth.objects.filter(where, crossing, month__gte=first, month__lt=after)
        summed = months.values("month", "kind").annotate(n=Sum("count")).values_list("month", "kind", "n")
        for chunk in _chunks(summed, None):
            for month, kind, n in chunk:
                add(str(month)[:7], kind, n)
        for column in ("from_body_id", "to_body_id"):
            for chunk in _chunks(months.values_list("month", column).distinct(), None):
                for month, body_id in chunk:
                    active[str(month)[:7]].add(body_id)
        for chunk in _chunks(months.filter(kind=InteractionKind.HANDOVER_ACCEPTED), ("month", "delays")):
            for (month, _), values in zip(chunk, _json_lists([row[1] for row in chunk]), strict=True):
                delays[str(month)[:7]].extend(values)
        parts = [
            raw.filter(day__gte=period.start, day__lt=first),
            raw.filter(day__gte=after, day__lte=period.end),
            raw.filter(day__gte=first, day__lt=after, folded=False),
        ]
    else:
        parts = [raw.filter(day__gte=period.start, day__lte=period.end)]
    for part in parts:
        for chunk in _chunks(part, ("day", "kind", "delay_seconds", "from_body_id", "to_body_id")):
            for day, kind, delay, a, b in chunk:
                month = str(day)[:7]
                add(month, kind, 1)
                if kind == InteractionKind.HANDOVER_ACCEPTED and delay is not None:
                    delays[month].append(delay)
                active[month] |= {a, b}
    out = []
    month = period.start.replace(day=1)
    while month <= period.end:
        key = f"{month:%Y-%m}"
        entry = per_month.get(key, {"interactions": 0, "orientations": 0, "refusees": 0, "acceptees": 0})
        decided = entry["acceptees"] + entry["refusees"]
        out.append(
            {
                "mois": f"{month:%Y-%m}",
                **entry,
                "taux_refus": round(entry["refusees"] / decided, 3) if decided else None,
                "delai_median_acceptation_heures": _median_hours(delays.get(key, [])),
                "structures_actives": len(active.get(key, set())),
            }
        )
        month = (month + timedelta(days=32)).replace(day=1)
    return out


def ties_figures(*, ties: set[tuple[int, int]], period: Period, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The figures of a set of ties between bodies (pairs, lower id first) over a period: interactions (per tie and
    per 30 days), hand-overs decided, refusal rate, median acceptance delay, mean trust of the ties' ratings. Used by
    the gatherings' effect panel (issue 13) on treated and comparable ties alike; `exclude`: kinds left out."""
    ids = {x for pair in ties for x in pair}
    where = Q(from_body_id__in=ids, to_body_id__in=ids) & ~Q(from_body=F("to_body")) & ~Q(kind__in=exclude)
    ledger = _ledger(_facts(period, where, ("a", "b")))
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
