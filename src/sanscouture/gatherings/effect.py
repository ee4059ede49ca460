"""The effect panel (issue 13, item 3): for each gathering attended and each completed job-shadowing pair, the
interactions between the bodies concerned in the 3 and 6 months before and after, beside the same figures for
comparable bodies that took part in nothing, and a plain difference-in-differences with its caveats.

Treated ties: every pair among the bodies concerned (a gathering's organiser and the bodies that came; a pair's two
bodies). Comparable ties: each treated tie with one end replaced by a comparable body — same type, same territory
(a mairie's intercommunalité, otherwise the département), that took part in no gathering and no pair within six
months of the event. The figures are the network's (`network.selectors.ties_figures`); the gathering's own
interaction is not counted."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations
from typing import Any

from django.db.models import Q

from sanscouture.bodies.models import Body, BodyKind
from sanscouture.network.models import InteractionKind
from sanscouture.network.selectors import Period, ties_figures
from sanscouture.territories.models import Commune

from .ics import PARIS
from .models import Gathering, GatheringStatus

WINDOWS = {3: 91, 6: 182}  # months → days
METRICS = ("par_lien_par_mois", "taux_refus", "delai_median_acceptation_heures", "confiance")
LABELS = {
    "par_lien_par_mois": "interactions par lien et par mois",
    "taux_refus": "taux de refus des orientations",
    "delai_median_acceptation_heures": "délai médian d'acceptation (heures)",
    "confiance": "confiance (évaluations PARTNER, 1 à 4)",
}
MAX_COMPARABLES = 30
EXCLUDED_KINDS = (InteractionKind.GATHERING,)


@dataclass(frozen=True)
class Treatment:
    """One event whose effect is measured: a gathering attended or a completed job-shadowing pair."""

    kind: str  # rencontre | vis_mon_job
    ref: str  # gathering:<id> | pair:<id>
    label: str
    day: date
    bodies: tuple[int, ...]


def treatments_of_gatherings(gatherings: Iterable[Gathering]) -> list[Treatment]:
    """Gatherings held with their attendance recorded: the organiser and every body that came."""
    out = []
    for g in gatherings:
        if g.status != GatheringStatus.SCHEDULED or g.attendance_recorded_at is None:
            continue
        came = set(g.invitations.filter(attended=True).values_list("body_id", flat=True)) | {g.organiser_id}
        if len(came) > 1:
            out.append(
                Treatment(
                    "rencontre", f"gathering:{g.pk}", g.title, g.starts_at.astimezone(PARIS).date(), tuple(sorted(came))
                )
            )
    return out


def treatment_of_pair(*, ref: str, label: str, day: date, body_a: int, body_b: int) -> Treatment | None:
    """A completed job-shadowing pair between two bodies (a pair inside one body is read in its internal network,
    not here)."""
    if body_a == body_b:
        return None
    return Treatment("vis_mon_job", ref, label, day, tuple(sorted((body_a, body_b))))


def treatments_of_pairs(pairs: Iterable[dict[str, Any]]) -> list[Treatment]:
    """Completed pairs as `shadowing.selectors.pairs_completed` gives them (`id`, `interne`, `structure_a`,
    `structure_b`, `debut`, `fin`): the event's day is the immersion's last day."""
    out = []
    for p in pairs:
        if p.get("interne"):
            continue
        a, b = p["structure_a"], p["structure_b"]
        t = treatment_of_pair(
            ref=f"pair:{p['id']}",
            label=f"{a.name} et {b.name}",
            day=p["fin"],
            body_a=a.pk,
            body_b=b.pk,
        )
        if t:
            out.append(t)
    return out


def _territory(body: Body) -> Q:
    if body.kind == BodyKind.EPCI and body.epci_id:  # an intercommunalité: those of the same département(s)
        deps = Commune.objects.filter(epci_id=body.epci_id).values("departement_id")
        return Q(epci_id__in=Commune.objects.filter(departement_id__in=deps).values("epci_id"))
    commune = body.commune
    if body.kind == BodyKind.MAIRIE and commune is not None and commune.epci_id:
        return Q(commune__epci_id=commune.epci_id)
    dep = body.departement_id or (commune.departement_id if commune is not None else None)
    if dep:
        return Q(departement_id=dep) | Q(commune__departement_id=dep)
    return Q(pk__in=[])


def _comparables(body: Body, busy: set[int]) -> list[int]:
    """Same type, same territory, took part in nothing (capped, lowest ids first: deterministic)."""
    found = (
        Body.objects.filter(_territory(body), kind=body.kind, active=True)
        .exclude(pk__in=busy | {body.pk})
        .order_by("pk")
        .values_list("pk", flat=True)[:MAX_COMPARABLES]
    )
    return list(found)


def _did(t_before: Any, t_after: Any, c_before: Any, c_after: Any) -> float | None:
    if None in (t_before, t_after, c_before, c_after):
        return None
    return round((t_after - t_before) - (c_after - c_before), 3)


def _caveats(t: Treatment, treated: int, control: int, alone: list[str], pending: list[int]) -> list[str]:
    out = [
        "Lecture : la différence des différences compare l'évolution (après − avant) des liens entre les structures "
        "concernées à celle des mêmes liens avec des structures comparables qui n'ont participé à rien. Elle "
        "suppose que, sans l'événement, les deux auraient évolué de la même façon (tendances parallèles) : rien "
        "ici ne permet de le vérifier.",
        "Les participants sont volontaires : des structures qui viennent coopéraient peut-être déjà davantage, ou "
        "allaient le faire (biais de sélection). Un écart n'est pas une preuve que l'événement en est la cause.",
        f"Peu de données : {treated} lien{'s' if treated > 1 else ''} suivi{'s' if treated > 1 else ''} et "
        f"{control} lien{'s' if control > 1 else ''} comparable{'s' if control > 1 else ''} ; quelques "
        "interactions de plus ou de moins suffisent à changer le signe. Aucun test statistique n'est fait.",
        "Les interactions de la rencontre elle-même ne sont pas comptées ; d'autres événements de la période "
        "(transfert de compétence, arrivée d'agents, nouveau dossier) comptent autant que l'événement.",
    ]
    if alone:
        out.append(
            "Sans structure comparable sur le même territoire (seule de son type) : " + ", ".join(alone) + " ; ses "
            "liens ne sont comparés qu'à travers l'autre bout du lien."
        )
    for months in pending:
        out.append(
            f"Moins de {months} mois se sont écoulés depuis l'événement : les chiffres « après » sur {months} mois "
            "ne sont pas encore disponibles (une fenêtre inachevée les fausserait)."
        )
    return out


def effect_of(t: Treatment, *, busy: dict[int, list[date]], today: date) -> dict[str, Any]:
    """The panel of one event: treated and comparable figures per window, their difference-in-differences."""
    bodies = {b.pk: b for b in Body.objects.filter(pk__in=t.bodies).select_related("commune")}
    horizon = timedelta(days=max(WINDOWS.values()))
    took_part = {b for b, days in busy.items() if any(abs(d - t.day) <= horizon for d in days)}
    treated = {(a, b) for a, b in combinations(sorted(t.bodies), 2)}
    comp = {pk: _comparables(body, took_part) for pk, body in bodies.items()}
    control: set[tuple[int, int]] = set()
    for a, b in treated:
        control |= {(min(x, b), max(x, b)) for x in comp.get(a, [])}
        control |= {(min(a, y), max(a, y)) for y in comp.get(b, [])}
    control -= treated
    alone = sorted(bodies[pk].name for pk, found in comp.items() if not found and pk in bodies)
    windows = []
    pending = []
    for months, days in WINDOWS.items():
        before = Period(t.day - timedelta(days=days), t.day - timedelta(days=1))
        # An « after » window not yet over gives no figures: a few weeks would pass for the whole window.
        end = t.day + timedelta(days=days)
        after = Period(t.day + timedelta(days=1), end) if end <= today else None
        if after is None:
            pending.append(months)
        figures = {}
        for name, ties in (("suivis", treated), ("comparables", control)):
            figures[name] = {
                "avant": ties_figures(ties=ties, period=before, exclude=EXCLUDED_KINDS) if ties else None,
                "apres": ties_figures(ties=ties, period=after, exclude=EXCLUDED_KINDS) if ties and after else None,
            }
        did = {}
        for metric in METRICS:
            parts = [
                figures[g][w][metric] if figures[g][w] else None
                for g in ("suivis", "comparables")
                for w in ("avant", "apres")
            ]
            did[metric] = _did(parts[0], parts[1], parts[2], parts[3])
        windows.append(
            {
                "mois": months,
                "avant": {"du": before.start, "au": before.end},
                "apres": {"du": after.start, "au": after.end} if after else None,
                "apres_disponible": after is not None,
                **figures,
                "difference_des_differences": did,
            }
        )
    return {
        "type": t.kind,
        "ref": t.ref,
        "titre": t.label,
        "date": t.day,
        "structures": [{"id": pk, "nom": bodies[pk].name, "type": bodies[pk].kind} for pk in t.bodies if pk in bodies],
        "liens_suivis": len(treated),
        "liens_comparables": len(control),
        "fenetres": windows,
        "precautions": _caveats(t, len(treated), len(control), alone, pending),
    }


def participations(*, pairs: Iterable[Treatment] = ()) -> dict[int, list[date]]:
    """Every body's days of participation: gatherings attended (or organised), completed pairs."""
    busy: dict[int, list[date]] = defaultdict(list)
    held = Gathering.objects.filter(status=GatheringStatus.SCHEDULED, attendance_recorded_at__isnull=False)
    for g in held.prefetch_related("invitations"):
        day = g.starts_at.astimezone(PARIS).date()
        came = {i.body_id for i in g.invitations.all() if i.attended}
        if came:
            for body_id in came | {g.organiser_id}:
                busy[body_id].append(day)
    for t in pairs:
        for body_id in t.bodies:
            busy[body_id].append(t.day)
    return busy


def effects(treatments: list[Treatment], *, pairs: Iterable[Treatment] = (), today: date) -> list[dict[str, Any]]:
    busy = participations(pairs=pairs)
    return [effect_of(t, busy=busy, today=today) for t in sorted(treatments, key=lambda t: t.day, reverse=True)]


def aggregate(panels: list[dict[str, Any]]) -> dict[str, Any]:
    """The territory's view: for each window and group, the mean over events of each figure (every event weighs
    the same), and the difference-in-differences of these means."""
    out = []
    for index, months in enumerate(WINDOWS):
        means: dict[str, dict[str, dict[str, float | None]]] = {}
        for group in ("suivis", "comparables"):
            means[group] = {}
            for when in ("avant", "apres"):
                means[group][when] = {}
                for metric in METRICS:
                    values = [
                        p["fenetres"][index][group][when][metric]
                        for p in panels
                        if p["fenetres"][index][group][when] and p["fenetres"][index][group][when][metric] is not None
                    ]
                    means[group][when][metric] = round(sum(values) / len(values), 3) if values else None
        did = {
            m: _did(
                means["suivis"]["avant"][m],
                means["suivis"]["apres"][m],
                means["comparables"]["avant"][m],
                means["comparables"]["apres"][m],
            )
            for m in METRICS
        }
        # Not yet available while no event has its window over (the means skip the events still waiting).
        ready = not panels or any(p["fenetres"][index]["apres_disponible"] for p in panels)
        out.append({"mois": months, **means, "apres_disponible": ready, "difference_des_differences": did})
    return {
        "evenements": len(panels),
        "rencontres": sum(1 for p in panels if p["type"] == "rencontre"),
        "paires": sum(1 for p in panels if p["type"] == "vis_mon_job"),
        "fenetres": out,
        "precautions": [
            "Moyenne des événements du territoire, chacun comptant pour un : une grande rencontre et une paire de "
            "vis mon job pèsent autant.",
            "Mêmes réserves que pour chaque événement : volontaires, tendances parallèles supposées, petits "
            "nombres, aucune preuve de cause.",
        ],
    }
