"""Writes on bodies: derive them from the referential and the law (idempotent)."""

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any

import yaml
from django.db import connection, models, transaction
from django.utils import timezone

from sanscouture.bulk import bulk_insert, json_encoder
from sanscouture.territories.models import (
    Commune,
    CommuneKind,
    CommunePeriod,
    Departement,
    Epci,
    EpciKind,
    Ept,
    Region,
    Zone,
)

from .models import Body, BodyKind
from .naming import of_commune, of_territory
from .pivots import pivot_labels  # noqa: F401 (re-exported: routing and the API read it here)

DATA = Path(__file__).parent / "data"
SOUS_PREFECTURE = "sous-prefecture"


@cache
def special_statuses() -> dict[str, Any]:
    """The reviewed data file of special statuses (Paris, Lyon, Corse, CTM, CTG, Mayotte, COM)."""
    return yaml.safe_load((DATA / "special_statuses.yaml").read_text())


@cache
def special_regimes() -> dict[str, Any]:
    """The reviewed data file of special regimes (IDFM, Sytral, préfecture de police, BSPP, BMPM, SDIS,
    mairies d'arrondissement), each with its legal references."""
    return yaml.safe_load((DATA / "special_regimes.yaml").read_text())


def regime_communes(*, territory: dict[str, list[str]]) -> set[str]:
    """The INSEE codes of the current communes a regime's territory covers."""
    current = Commune.objects.filter(kind=CommuneKind.CURRENT)
    codes: set[str] = set(territory.get("communes") or ())
    if territory.get("regions"):
        codes |= set(current.filter(region_id__in=territory["regions"]).values_list("insee_code", flat=True))
    if territory.get("departements"):
        codes |= set(current.filter(departement_id__in=territory["departements"]).values_list("insee_code", flat=True))
    if territory.get("epci_of_departements"):
        epcis = current.filter(departement_id__in=territory["epci_of_departements"], epci__isnull=False).values("epci")
        codes |= set(current.filter(epci__in=epcis).values_list("insee_code", flat=True))
    return codes


def regime_territory(*, key: str) -> dict[str, list[str]]:
    """The territory of a body a special regime designates (IDFM, Sytral, préfecture de police, BSPP, BMPM, a
    SDIS), in the form `regime_communes` reads; {} when `key` names no such body."""
    rg = special_regimes()
    territory: dict[str, list[str]] = {}
    for r in rg["regimes"]:
        if r["key"] == key:
            for part, codes in r["territory"].items():
                territory.setdefault(part, []).extend(codes)
    for s in rg["secours"]["special"]:
        if s["key"] == key:
            return {"departements": list(s.get("departements", ())), "communes": list(s.get("communes", ()))}
    if not territory and key.startswith("sdis:"):
        territory = {"departements": [key.partition(":")[2]]}
    return territory


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


FIELDS = [
    "kind",
    "name",
    "siren",
    "pivots",
    "basis",
    "commune_id",
    "epci_id",
    "ept_id",
    "departement_id",
    "region_id",
    "source",
    "active",
]


@dataclass(slots=True)
class _Derived:
    """A body as the referential derives it, compared with the table before anything is written: a plain
    object, not a model instance (37,000 of them on a first load, ADR 027)."""

    key: str
    kind: str
    name: str
    siren: str = ""
    pivots: list[str] = field(default_factory=list)
    basis: str = ""
    commune_id: int | None = None
    epci_id: str | None = None
    ept_id: str | None = None
    departement_id: str | None = None
    region_id: str | None = None
    source: str = "referentiel"
    active: bool = True


def _wanted_bodies() -> list[_Derived]:
    st = special_statuses()
    none_social = set(st["social_security"]["none"])
    no_communes = set(st["not_modelled"])
    collectivite_communes = {c.get("commune") for c in st["collectivites"] if c.get("commune")}
    bodies: list[_Derived] = []

    communes = Commune.objects.filter(kind=CommuneKind.CURRENT).values_list(
        "pk", "insee_code", "name", "siren", "departement_id"
    )
    for pk, code, name, siren, dep in communes:
        if dep in no_communes or code in collectivite_communes:
            continue
        if code == "75056":
            bodies.append(
                _Derived(
                    key="mairie:75056",
                    kind=BodyKind.MAIRIE,
                    name="Ville de Paris",
                    siren=siren,
                    pivots=["mairie", "paris_mairie", "cg"],
                    commune_id=pk,
                    departement_id="75",
                    basis=st["departements"]["75"]["basis"],
                )
            )
            continue
        bodies.append(
            _Derived(
                key=f"mairie:{code}",
                kind=BodyKind.MAIRIE,
                name=f"Mairie {of_commune(name)}",
                siren=siren,
                pivots=["mairie"],
                commune_id=pk,
                basis="Commune (CGCT L2121-1) : le maire, officier d'état civil et agent de l'État.",
            )
        )

    for epci in Epci.objects.all():
        pivots = ["epci"]
        basis = f"{EpciKind(epci.kind).label} (CGCT L5210-1-1 et suivants)."
        if epci.kind == EpciKind.MET69:
            pivots.append("cg")
            basis = st["metropole_de_lyon"]["basis"]
        bodies.append(
            _Derived(
                key=f"epci:{epci.siren}",
                kind=BodyKind.EPCI,
                name=epci.name,
                siren=epci.siren,
                pivots=pivots,
                epci_id=epci.siren,
                basis=basis,
            )
        )
    for ept in Ept.objects.all():
        bodies.append(
            _Derived(
                key=f"ept:{ept.siren}",
                kind=BodyKind.EPT,
                name=ept.name,
                siren=ept.siren,
                pivots=["epci"],
                ept_id=ept.siren,
                basis="Établissement public territorial du Grand Paris (CGCT L5219-2).",
            )
        )

    for c in st["collectivites"]:
        commune_pk = None
        if c.get("commune"):
            commune_pk = (
                Commune.objects.filter(kind=CommuneKind.CURRENT, insee_code=c["commune"])
                .values_list("pk", flat=True)
                .first()
            )
        bodies.append(
            _Derived(
                key=c["key"],
                kind=BodyKind.COLLECTIVITE,
                name=c["name"],
                pivots=list(c["pivots"]),
                region_id=c["region"],
                departement_id=c.get("departement"),
                commune_id=commune_pk,
                basis=c["basis"],
            )
        )

    regions_replaced = set(st["regions"])
    for region in Region.objects.all():
        if region.code in regions_replaced or region.zone == Zone.COM:
            continue
        bodies.append(
            _Derived(
                key=f"region:{region.code}",
                kind=BodyKind.REGION,
                name=f"Région {region.name}",
                pivots=["cr"],
                region_id=region.code,
                basis="Région, collectivité territoriale (CGCT L4111-1).",
            )
        )

    departements_replaced = set(st["departements"])
    representatives = st["state_representatives"]
    cpam_names, caf_names = st["social_security"]["cpam_name"], st["social_security"]["caf_name"]
    for dep in Departement.objects.all():
        of = of_territory(dep.name, dep.type_liaison)
        if dep.code not in departements_replaced and dep.zone != Zone.COM:
            pivots = (
                ["cg", "cr"]
                if st["regions"].get(dep.region_id, {}).get("body") == f"departement:{dep.code}"
                else ["cg"]
            )
            bodies.append(
                _Derived(
                    key=f"departement:{dep.code}",
                    kind=BodyKind.DEPARTEMENT,
                    name=f"Département {of}",
                    pivots=pivots,
                    departement_id=dep.code,
                    region_id=dep.region_id,
                    basis="Département, collectivité territoriale (CGCT L3211-1).",
                )
            )
        if dep.code in representatives:
            key = "prefecture:977-978" if dep.code in ("977", "978") else f"prefecture:{dep.code}"
            bodies.append(
                _Derived(
                    key=key,
                    kind=BodyKind.PREFECTURE,
                    name=representatives[dep.code],
                    pivots=["prefecture"],
                    departement_id=dep.code if key.endswith(dep.code) else None,
                    region_id=dep.region_id if key.endswith(dep.code) else None,
                    basis="Représentant de l'État (Constitution, art. 72 et 74).",
                )
            )
        elif dep.zone != Zone.COM:
            bodies.append(
                _Derived(
                    key=f"prefecture:{dep.code}",
                    kind=BodyKind.PREFECTURE,
                    name=f"Préfecture {of}",
                    pivots=["prefecture"],
                    departement_id=dep.code,
                    region_id=dep.region_id,
                    basis="Préfet de département, représentant de l'État (décret n° 2004-374).",
                )
            )
        if dep.code in none_social:
            continue
        caf_name = caf_names.get(dep.code, f"CAF {of}")
        cpam_name = cpam_names.get(dep.code, f"CPAM {of}")
        caf_pivots = ["caf", "cpam"] if caf_name == cpam_name else ["caf"]
        bodies.append(
            _Derived(
                key=f"caf:{dep.code}",
                kind=st["social_security"].get("kind", {}).get(dep.code, BodyKind.CAF),
                name=caf_name,
                pivots=caf_pivots,
                departement_id=dep.code,
                region_id=dep.region_id,
                basis=st["social_security"]
                .get("basis", {})
                .get(dep.code, "Caisse d'allocations familiales (code de la sécurité sociale L212-1)."),
            )
        )
        if caf_name != cpam_name:
            bodies.append(
                _Derived(
                    key=f"cpam:{dep.code}",
                    kind=BodyKind.CPAM,
                    name=cpam_name,
                    pivots=["cpam"],
                    departement_id=dep.code,
                    region_id=dep.region_id,
                    basis="Organisme d'assurance maladie (code de la sécurité sociale L211-1, L752-1).",
                )
            )
        if dep.code in st["social_security"].get("no_mdph", ()):
            continue
        bodies.append(
            _Derived(
                key=f"mdph:{dep.code}",
                kind=BodyKind.MDPH,
                name=f"MDPH {of}",
                pivots=["maison_handicapees"],
                departement_id=dep.code,
                region_id=dep.region_id,
                basis="Maison départementale des personnes handicapées (CASF L146-3).",
            )
        )
    bodies += _sous_prefectures()
    bodies += _regime_bodies()
    bodies += _former_bodies({b.key for b in bodies})
    # Two COM share one préfecture: keep a single row.
    return list({b.key: b for b in bodies}.values())


@cache
def arrondissements() -> list[dict[str, Any]]:
    """The COG's arrondissements (code, name, chef-lieu, département), from `data/arrondissements.json`."""
    return json.loads((DATA / "arrondissements.json").read_text())


def _sous_prefectures() -> list[_Derived]:
    """One sous-préfecture per arrondissement whose chef-lieu is not the préfecture's commune (décret
    n° 2004-374 art. 14); the arrondissement chef-lieu is served by the préfecture itself."""
    chefs_lieux = dict(Departement.objects.values_list("code", "chef_lieu"))
    regions = dict(Departement.objects.values_list("code", "region_id"))
    names = dict(Commune.objects.filter(kind=CommuneKind.CURRENT).values_list("insee_code", "name"))
    found = []
    for arr in arrondissements():
        dep, chef_lieu = arr["departement"], arr["chefLieu"]
        if dep not in chefs_lieux or chef_lieu == chefs_lieux[dep] or chef_lieu not in names:
            continue
        found.append(
            _Derived(
                key=f"{SOUS_PREFECTURE}:{arr['code']}",
                kind=BodyKind.PREFECTURE,
                name=f"Sous-préfecture {of_commune(names[chef_lieu])}",
                pivots=["sous_pref"],
                departement_id=dep,
                region_id=regions[dep],
                basis=f"Sous-préfet de l'arrondissement {of_commune(arr['nom'])} (décret n° 2004-374, art. 14 ; "
                "arrondissements du COG).",
            )
        )
    return found


def _sync_sous_prefecture_communes() -> None:
    """A sous-préfecture serves the current communes of its arrondissement (replaced only where they changed)."""
    through = Body.served_communes.through
    bodies = dict(Body.objects.filter(key__startswith=f"{SOUS_PREFECTURE}:").values_list("pk", "key"))
    wanted: dict[int, set[int]] = {pk: set() for pk in bodies}
    by_arr = {key.split(":", 1)[1]: pk for pk, key in bodies.items()}
    for pk, arr in (
        Commune.objects.filter(kind=CommuneKind.CURRENT).exclude(arrondissement="").values_list("pk", "arrondissement")
    ):
        if arr in by_arr:
            wanted[by_arr[arr]].add(pk)
    old: dict[int, set[int]] = {pk: set() for pk in bodies}
    for body_id, commune_id in through.objects.filter(body_id__in=list(bodies)).values_list("body_id", "commune_id"):
        old[body_id].add(commune_id)
    changed = [pk for pk in bodies if old[pk] != wanted[pk]]
    through.objects.filter(body_id__in=changed).delete()
    bulk_insert(through, ["body_id", "commune_id"], ((pk, c) for pk in changed for c in sorted(wanted[pk])))


def _former_bodies(current: set[str]) -> list[_Derived]:
    """Mairies of former communes and former EPCI, from the dated referential: kept (inactive) so that routing
    at a past date can name them."""
    bodies: list[_Derived] = []
    departements = set(Departement.objects.values_list("code", flat=True))
    for code, name, dep in CommunePeriod.objects.order_by("insee_code", "start").values_list(
        "insee_code", "name", "departement"
    ):
        if f"mairie:{code}" not in current:
            bodies.append(
                _Derived(
                    key=f"mairie:{code}",
                    kind=BodyKind.MAIRIE,
                    name=f"Mairie {of_commune(name)}",
                    pivots=["mairie"],
                    departement_id=dep if dep in departements else None,
                    basis="Ancienne commune (référentiel daté) : le maire, officier d'état civil et agent de l'État.",
                    active=False,
                )
            )
    for siren, kind, name in (
        CommunePeriod.objects.exclude(epci_siren="")
        .order_by("epci_siren", "start")
        .values_list("epci_siren", "epci_kind", "epci_name")
    ):
        if f"epci:{siren}" not in current:
            bodies.append(
                _Derived(
                    key=f"epci:{siren}",
                    kind=BodyKind.EPCI,
                    name=name,
                    siren=siren,
                    pivots=["epci"],
                    basis=f"Ancienne intercommunalité ({kind}, référentiel daté).",
                    active=False,
                )
            )
    return bodies


def _regime_bodies() -> list[_Derived]:
    """Bodies the law designates for a territory: IDFM, Sytral, préfecture de police, one SDIS per
    département (BSPP, BMPM, SDMIS where the law says so), mairies d'arrondissement."""
    rg = special_regimes()
    today = date.today().isoformat()
    city_pk = dict(
        Commune.objects.filter(kind=CommuneKind.CURRENT, insee_code__in=("75056", "69123", "13055")).values_list(
            "insee_code", "pk"
        )
    )
    bodies: list[_Derived] = []
    for r in rg["regimes"]:
        if "name" not in r:
            continue  # a further competence of a body defined above
        communes = r["territory"].get("communes") or []
        bodies.append(
            _Derived(
                key=r["key"],
                kind=r["kind"],
                name=r["name"],
                siren=r.get("siren", ""),
                pivots=list(r.get("pivots") or []),
                region_id=(r["territory"].get("regions") or [None])[0],
                commune_id=city_pk.get(communes[0]) if len(communes) == 1 else None,
                departement_id="75" if r["key"] == "prefecture-police" else None,
                basis=r["basis"][:300],
            )
        )
    secours = rg["secours"]
    special_deps = {d: s for s in secours["special"] for d in s.get("departements", ())}
    for s in secours["special"]:
        communes = s.get("communes") or []
        bodies.append(
            _Derived(
                key=s["key"],
                kind=BodyKind.SECOURS,
                name=s["name"],
                siren=s.get("siren", ""),
                commune_id=city_pk.get(communes[0]) if communes else None,
                departement_id=s["departements"][0] if len(s.get("departements", ())) == 1 else None,
                basis=s["basis"][:300],
            )
        )
    for dep in Departement.objects.exclude(code__in=[*secours["none"], *special_deps]):
        bodies.append(
            _Derived(
                key=f"sdis:{dep.code}",
                kind=BodyKind.SECOURS,
                name=f"SDIS {of_territory(dep.name, dep.type_liaison)}",
                departement_id=dep.code,
                region_id=dep.region_id,
                basis=secours["sdis_basis"],
            )
        )
    arr = rg["arrondissements"]
    for m in arr["mairies"]:
        city = {"75": "75056", "69": "69123", "13": "13055"}[m["arrondissements"][0][:2]]
        bodies.append(
            _Derived(
                key=m["key"],
                kind=BodyKind.MAIRIE_ARRDT,
                name=m["name"],
                pivots=["paris_mairie_arrondissement"] if city == "75056" else ["mairie"],
                commune_id=city_pk.get(city),
                basis=arr["basis"][:300],
                active=not m.get("until") or str(m["until"]) >= today,
            )
        )
    return bodies


@transaction.atomic
def bodies_sync() -> SyncReport:
    """Create or update every body derived from the referential; deactivate those whose territory is gone.
    New bodies are written by COPY / executemany, changed ones by bulk_update (ADR 027)."""
    report = SyncReport()
    wanted = _wanted_bodies()
    existing = {
        row[0]: row[1:]  # key → (pk, *FIELDS)
        for row in Body.objects.filter(source="referentiel").values_list("key", "pk", *FIELDS).iterator(5000)
    }
    active_at = FIELDS.index("active") + 1
    create, update, retired = [], [], 0
    for body in wanted:
        report.by_kind[body.kind] = report.by_kind.get(body.kind, 0) + 1
        old = existing.pop(body.key, None)
        if old is None:
            create.append(body)
            continue
        values = tuple(getattr(body, f) for f in FIELDS)
        if values != old[1:]:
            update.append(Body(pk=old[0], key=body.key, **dict(zip(FIELDS, values, strict=True))))
            if not body.active and old[active_at]:
                retired += 1  # a former commune's mairie stays, inactive, for routing at past dates
    _insert(create)
    Body.objects.bulk_update(update, FIELDS, batch_size=2000)
    gone = [old[0] for old in existing.values() if old[active_at]]
    Body.objects.filter(pk__in=gone).update(active=False)
    _sync_sous_prefecture_communes()
    report.created, report.updated = len(create), len(update) - retired
    report.deactivated = len(gone) + retired
    return report


def _insert(bodies: list[_Derived]) -> None:
    """New bodies: the derived fields, the model's defaults for the others (contacts, flags), now for the
    timestamps — the constant part adapted once, `pivots` encoded once per distinct list."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    derived = ["key", *(f for f in FIELDS if f != "pivots")]
    columns, constants = [*derived, "pivots"], []
    for f in Body._meta.concrete_fields:
        if f.primary_key or f.attname in columns:
            continue
        columns.append(f.attname)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            constants.append(now)
        elif isinstance(f, models.JSONField):
            constants.append(json_encoder(f)(f.get_default()))
        else:
            constants.append(f.get_default())
    get = attrgetter(*derived)
    encode = json_encoder(Body._meta.get_field("pivots"))
    encoded: dict[tuple[str, ...], str] = {}

    def pivots(body: _Derived) -> str:
        key = tuple(body.pivots)
        text = encoded.get(key)
        if text is None:
            text = encoded[key] = encode(body.pivots)
        return text

    tail = tuple(constants)
    prepared = {c for c in columns[len(derived) :]}
    bulk_insert(Body, columns, ((*get(b), pivots(b), *tail) for b in bodies), prepared=prepared)
