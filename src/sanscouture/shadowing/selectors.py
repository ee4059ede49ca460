"""Reads of « vis mon job »: the suggested pairs of a body (where interdependence is high and ties are weak), the
opted-in agents, each person's pairs, and the completed pairs the gatherings' effect panel reads.

The score of a suggestion, written in `METHOD` and shown with it:
interdependence × weakness, where
- interdependence (over the last 12 months, from the network's ledger) = cases worked together + hand-overs sent
  either way + notices of impact and opinions asked either way, + ½ per commune where routing makes one body
  competent for a competence the other's depends on (reviewed file of dependencies; 20 communes at most);
- weakness (0 to 1) = the largest of: the refusal rate of the hand-overs between them; the median acceptance delay
  over 72 hours; (4 − trust) ÷ 3 for the tie's PARTNER trust rating; and « few interactions »: 1 ÷ (1 + positive
  exchanges ÷ 5), positive exchanges being accepted hand-overs, opinions given, answers to notices, messages and
  previous immersions.
A pair is suggested when interdependence ≥ 2 and weakness ≥ 0.3; pairs already formed between the two sides are
said, not hidden (several agents may swap; a completed immersion counts among the positive exchanges)."""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q

from sanscouture.accounts.models import Membership
from sanscouture.bodies.models import Body, BodyUnit
from sanscouture.competences.routing import communes_served, route_all
from sanscouture.impacts.dependencies import dependencies
from sanscouture.network.models import Interaction, InteractionKind, TieRating

from .models import OPEN_STATUSES, Pair, PairStatus, Profile

WINDOW_DAYS = 365
MIN_INTERDEPENDENCE = 2
MIN_WEAKNESS = 0.3
MAX_COMMUNES = 20
ROUTING_COMMUNES_SCANNED = 400
METHOD = (
    "Score = interdépendance × faiblesse du lien. Interdépendance (12 derniers mois) : dossiers travaillés ensemble "
    "+ orientations dans les deux sens + avis d'impact et demandes d'avis + ½ par commune où le routage rend l'une "
    "compétente pour ce dont dépend une compétence de l'autre (20 communes au plus). Faiblesse (0 à 1) : la plus "
    "forte de ces valeurs — taux de refus des orientations, délai médian d'acceptation rapporté à 72 h, confiance "
    "notée (4 − note) ÷ 3, et « peu d'échanges » 1 ÷ (1 + échanges positifs ÷ 5). Suggestion si interdépendance ≥ 2 "
    "et faiblesse ≥ 0,3 ; les binômes déjà formés entre eux sont signalés."
)
INTERDEPENDENT = {
    InteractionKind.CASE_SHARED: "cases",
    InteractionKind.HANDOVER_SENT: "handovers",
    InteractionKind.NOTICE: "notices",
    InteractionKind.OPINION: "opinions",
}
POSITIVE = (
    InteractionKind.HANDOVER_ACCEPTED,
    InteractionKind.OPINION_GIVEN,
    InteractionKind.NOTICE_ANSWER,
    InteractionKind.MESSAGE,
    InteractionKind.GATHERING,
)


@dataclass
class Suggestion:
    """One suggested pair: two bodies (`internal`: two services of one body), the score and its parts, the
    reasons in plain French, the opted-in agents on the other side."""

    internal: bool
    body: Body
    other_body: Body
    unit: BodyUnit | None = None
    other_unit: BodyUnit | None = None
    interdependence: float = 0.0
    weakness: float = 0.0
    figures: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    agents: list[Profile] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(self.interdependence * self.weakness, 2)

    @property
    def key(self) -> str:
        if self.internal:
            return f"service:{self.unit.pk}-service:{self.other_unit.pk}"
        return f"structure:{self.body.pk}-structure:{self.other_body.pk}"


@dataclass
class _Tie:
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    delays: list[int] = field(default_factory=list)
    communes: int = 0
    dependency: str = ""


def _plural(n: float, one: str, many: str) -> str:
    return f"{n:g} {one if n < 2 else many}"


def _routing_ties(body_key: str, today: date) -> dict[int, tuple[int, str]]:
    """Other bodies whose competences depend on this body's (or the reverse) on the same communes, through routing:
    body id → (communes, one sentence of why, from the reviewed file of dependencies)."""
    edges = {(e.source, e.target): e.reason for es in dependencies().values() for e in es}
    out: dict[int, list] = {}
    for code in communes_served(body_key)[:ROUTING_COMMUNES_SCANNED]:
        answers = route_all(commune=code, on=today)
        mine = {r.subject for r in answers if any(b.key == body_key for b in r.bodies)}
        if not mine:
            continue
        seen: set[int] = set()
        for r in answers:
            for other in r.bodies:
                if other.key == body_key or other.id in seen:
                    continue
                why = next(
                    (
                        edges.get((m, r.subject)) or edges.get((r.subject, m))
                        for m in mine
                        if (m, r.subject) in edges or (r.subject, m) in edges
                    ),
                    None,
                )
                if why:
                    seen.add(other.id)
                    entry = out.setdefault(other.id, [0, why])
                    entry[0] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def _weakness(tie: _Tie, trust: float | None) -> tuple[float, list[str], dict[str, Any]]:
    parts: list[tuple[float, str]] = []
    figures: dict[str, Any] = {}
    accepted = tie.counts[InteractionKind.HANDOVER_ACCEPTED]
    refused = tie.counts[InteractionKind.HANDOVER_REFUSED]
    if accepted + refused:
        rate = refused / (accepted + refused)
        figures["taux_refus"] = round(rate, 3)
        if rate > 0:
            total = accepted + refused
            said = f"{round(rate * 100)} % des orientations entre vous sont refusées ({refused} sur {total})"
            parts.append((rate, said))
    if tie.delays:
        hours = statistics.median(tie.delays) / 3600
        figures["delai_median_acceptation_heures"] = round(hours, 1)
        if hours >= 24:
            parts.append((min(hours / 72, 1.0), f"une orientation met {hours:.0f} heures (médiane) à être acceptée"))
    if trust is not None:
        figures["confiance"] = round(trust, 2)
        if trust < 3:
            parts.append(((4 - trust) / 3, f"la confiance notée est de {trust:.1f} sur 4".replace(".", ",")))
    positive = sum(tie.counts[k] for k in POSITIVE)
    figures["echanges_positifs"] = positive
    few = 1 / (1 + positive / 5)
    parts.append((few, "peu d'échanges directs" + (f" ({positive} sur un an)" if positive else " (aucun sur un an)")))
    best = max(p for p, _ in parts)
    reasons = [text for p, text in sorted(parts, key=lambda x: -x[0]) if p >= MIN_WEAKNESS]
    return round(best, 3), reasons, figures


def _interdependence(tie: _Tie, other_name: str) -> tuple[float, list[str], dict[str, Any]]:
    c = tie.counts
    figures = {
        "dossiers_partages": c[InteractionKind.CASE_SHARED],
        "orientations": c[InteractionKind.HANDOVER_SENT],
        "avis": c[InteractionKind.NOTICE] + c[InteractionKind.OPINION],
        "communes_competences_liees": tie.communes,
    }
    value = figures["dossiers_partages"] + figures["orientations"] + figures["avis"]
    value += min(tie.communes, MAX_COMMUNES) / 2
    said = []
    if figures["dossiers_partages"]:
        said.append(_plural(figures["dossiers_partages"], "dossier travaillé ensemble", "dossiers travaillés ensemble"))
    if figures["orientations"]:
        said.append(_plural(figures["orientations"], "orientation", "orientations"))
    if figures["avis"]:
        said.append(_plural(figures["avis"], "avis échangé", "avis échangés"))
    reasons = []
    if said:
        reasons.append(f"Vous dépendez l'un de l'autre avec {other_name} : " + ", ".join(said) + " en un an.")
    if tie.communes:
        reasons.append(
            f"Sur {_plural(tie.communes, 'commune', 'communes')}, le routage vous rend compétents pour des domaines "
            f"liés : {tie.dependency}."
        )
    return value, reasons, figures


def _suggestion(s: Suggestion, tie: _Tie, trust: float | None, other_name: str) -> Suggestion | None:
    value, why_inter, inter_figures = _interdependence(tie, other_name)
    if value < MIN_INTERDEPENDENCE:
        return None
    weak, why_weak, weak_figures = _weakness(tie, trust)
    if weak < MIN_WEAKNESS:
        return None
    s.interdependence, s.weakness = value, weak
    s.figures = {**inter_figures, **weak_figures, "interdependance": value, "faiblesse": weak, "score": s.score}
    s.reasons = why_inter + ["Mais le lien est faible : " + " ; ".join(why_weak) + "."]
    return s


def _recent_pairs(body: Body, since: date) -> list[Pair]:
    return list(
        Pair.objects.filter(Q(a_body=body) | Q(b_body=body)).filter(
            Q(status__in=OPEN_STATUSES) | Q(status=PairStatus.DONE, end__gte=since)
        )
    )


def _say_pairs(s: Suggestion, pairs: list[Pair]) -> None:
    """Pairs already formed between the two sides do not hide the suggestion (several agents may swap), they are
    said."""
    s.figures["binomes_en_cours"] = sum(1 for p in pairs if p.open)
    s.figures["binomes_realises"] = sum(1 for p in pairs if p.status == PairStatus.DONE)
    done = [p for p in pairs if p.status == PairStatus.DONE]
    if done:
        s.reasons.append(f"Un binôme a déjà été réalisé entre vous (le {max(p.end for p in done):%d/%m/%Y}).")
    elif s.figures["binomes_en_cours"]:
        s.reasons.append("Un binôme est déjà en cours entre vous : d'autres agents peuvent en former un.")


def suggestions_for_body(*, body: Body, today: date, limit: int = 20) -> list[Suggestion]:
    """The pairs suggested to `body`: with the other bodies (on the platform) and between its own services, best
    score first."""
    since = today - timedelta(days=WINDOW_DAYS)
    rows = Interaction.objects.between(since, today).filter(Q(from_body=body) | Q(to_body=body))
    ties: dict[int, _Tie] = defaultdict(_Tie)
    unit_ties: dict[tuple[int, int], _Tie] = defaultdict(_Tie)
    fields = ("from_body_id", "to_body_id", "from_unit_id", "to_unit_id", "kind", "delay_seconds")
    for a, b, ua, ub, kind, delay in rows.values_list(*fields).iterator(chunk_size=5000):
        if a == b:
            if ua is None or ub is None or ua == ub:
                continue
            tie = unit_ties[(min(ua, ub), max(ua, ub))]
        else:
            tie = ties[b if a == body.pk else a]
        tie.counts[kind] += 1
        if kind == InteractionKind.HANDOVER_ACCEPTED and delay is not None:
            tie.delays.append(delay)
    on_platform = set(Membership.objects.values_list("body_id", flat=True).distinct())
    for other, (n, why) in _routing_ties(body.key, today).items():
        if other in on_platform:
            ties[other].communes, ties[other].dependency = n, why
    ties.pop(body.pk, None)
    trust = _trust(body.pk, set(ties), since)
    busy = _recent_pairs(body, since)
    others = Body.objects.in_bulk([pk for pk in ties if pk in on_platform])
    out = []
    for pk, other in others.items():
        s = _suggestion(Suggestion(False, body, other), ties[pk], trust.get(pk), other.name)
        if s:
            _say_pairs(s, [p for p in busy if not p.internal and pk in (p.a_body_id, p.b_body_id)])
            out.append(s)
    units = BodyUnit.objects.in_bulk({u for pair in unit_ties for u in pair})
    for (u, v), tie in unit_ties.items():
        if u not in units or v not in units:
            continue
        s = _suggestion(Suggestion(True, body, body, units[u], units[v]), tie, None, units[v].name)
        if s:
            s.reasons[0] = s.reasons[0].replace("Vous dépendez l'un de l'autre avec", f"{units[u].name} et")
            s.reasons[0] = s.reasons[0].replace(
                f"et {units[v].name} :", f"et {units[v].name} dépendent l'un de l'autre :"
            )
            _say_pairs(s, [p for p in busy if p.internal and {p.a_unit_id, p.b_unit_id} == {u, v}])
            out.append(s)
    out.sort(key=lambda s: (-s.score, s.other_body.name))
    out = out[:limit]
    _attach_agents(out)
    return out


def _trust(body_id: int, others: set[int], since: date) -> dict[int, float]:
    per: dict[int, list[float]] = defaultdict(list)
    rows = TieRating.objects.filter(month__gte=since.replace(day=1)).filter(
        Q(rater_body_id=body_id, rated_body_id__in=others) | Q(rated_body_id=body_id, rater_body_id__in=others)
    )
    for r in rows:
        per[r.rated_body_id if r.rater_body_id == body_id else r.rater_body_id].append(r.trust)
    return {k: sum(v) / len(v) for k, v in per.items()}


def _attach_agents(suggestions: list[Suggestion]) -> None:
    """The opted-in agents on each side (of the other body; of each of the two services inside one body)."""
    bodies = {s.other_body.pk for s in suggestions} | {s.body.pk for s in suggestions}
    profiles = list(Profile.objects.filter(body_id__in=bodies).select_related("user", "body").prefetch_related("units"))
    for s in suggestions:
        if s.internal:
            s.agents = [
                p
                for p in profiles
                if p.body_id == s.body.pk and {u.pk for u in p.units.all()} & {s.unit.pk, s.other_unit.pk}
            ]
        else:
            s.agents = [p for p in profiles if p.body_id == s.other_body.pk]


def profiles_for_partner(*, body: Body | None = None) -> list[Profile]:
    qs = Profile.objects.select_related("user", "body").prefetch_related("units").order_by("body__name", "job")
    return list(qs.filter(body=body) if body else qs)


def pairs_completed(*, since: date, until: date) -> list[dict[str, Any]]:
    """The pairs done whose last day is in since..until, for the gatherings' effect panel: both bodies and
    services, the dates. No person's name."""
    rows = (
        Pair.objects.completed_between(since, until)
        .select_related("a_body", "b_body", "a_unit", "b_unit")
        .order_by("end", "pk")
    )
    return [
        {
            "id": p.pk,
            "interne": p.internal,
            "structure_a": p.a_body,
            "structure_b": p.b_body,
            "service_a": p.a_unit,
            "service_b": p.b_unit,
            "debut": p.start,
            "fin": p.end,
            "realise_le": p.done_at,
        }
        for p in rows
    ]


def my_pairs(*, user: Any, admin_body_ids: set[int]) -> list[Pair]:
    return list(
        Pair.objects.visible_to(user=user, admin_body_ids=admin_body_ids)
        .select_related("a_user", "b_user", "a_body", "b_body", "a_unit", "b_unit")
        .order_by("-created_at", "-pk")[:200]
    )
