"""The data·inclusion export (schema v1, PyPI `data-inclusion-schema`): bodies become structures, the competences
and types of office they exercise become services whose `zone_eligibilite` lists the communes routing sends people
to them for (ADR 020).

Generated once per edition (the routing date and the routing version) into two JSON files in the data directory,
each row validated by the official models and scored by their 10-criterion quality score; an index of byte offsets
beside each file lets the API serve any page of the national export without reading the rest.
"""

import fcntl
import json
import logging
import os
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pydantic
from data_inclusion.schema.v1 import Service, Structure, score_qualite
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sanscouture.bodies.models import Body, BodyKind
from sanscouture.competences.catalogue import catalogue
from sanscouture.competences.models import RoutingVersion
from sanscouture.competences.routing import check_date, communes_served, pivot_labels, route_everywhere
from sanscouture.territories.models import Commune

logger = logging.getLogger("sanscouture.opendata")
Progress = Callable[[str, int, int], None]
# Up to this many current communes a request may write a missing edition itself (the test referential: ≈ 5 s);
# above, all of France (≈ 700,000 services, minutes), a background thread writes it and requests are served the
# latest written edition meanwhile, or told to come back (503) when there is none yet; the task worker writes it.
SYNC_COMMUNES = 5000
RETRY_AFTER = 120
NAME = "data-inclusion"
SOURCE = "sans-couture"
DATASETS = ("structures", "services")

# `reseaux_porteurs` (the schema's enum, v1/extra/reseaux-porteurs.json) from a body's kind; the Annuaire's
# offices (kind `office`) take theirs from their types of office (pivots) below. The State's offices
# (préfectures, sous-préfectures) have no network in the enum: none is given rather than a wrong one.
KIND_NETWORKS: dict[str, tuple[str, ...]] = {
    BodyKind.MAIRIE: ("communes",),
    BodyKind.MAIRIE_ARRDT: ("communes",),
    BodyKind.EPCI: ("communes",),  # the enum's label: « Communes, mairies, communautés de communes, etc. »
    BodyKind.EPT: ("communes",),
    BodyKind.SYNDICAT: ("communes",),
    BodyKind.MOBILITE: ("communes",),
    BodyKind.DEPARTEMENT: ("departements",),
    BodyKind.SECOURS: ("departements",),  # the SDIS is a public body of the département
    BodyKind.COLLECTIVITE: ("departements", "regions"),  # Corse, Guyane, Martinique, Mayotte, Lyon, Paris
    BodyKind.REGION: ("regions",),
    BodyKind.CAF: ("caf",),
    BodyKind.CPAM: ("cpam",),
    BodyKind.MDPH: ("mdph",),
}
PIVOT_NETWORKS: dict[str, str] = {
    "mairie": "communes",
    "mairie_com": "communes",
    "mairie_passeport_bio": "communes",
    "paris_mairie": "communes",
    "paris_mairie_arrondissement": "communes",
    "epci": "communes",
    "cg": "departements",
    "cdas": "departements",
    "edas": "departements",
    "sdsei": "departements",
    "pmi": "departements",
    "mds": "maisons-des-solidarites",
    "cr": "regions",
    "caf": "caf",
    "cpam": "cpam",
    "msa": "mutualite-sociale-agricole",
    "maison_handicapees": "mdph",
    "pole_emploi": "france-travail",
    "mission_locale": "mission-locale",
    "cap_emploi": "cap-emploi-reseau-cheops",
    "ccas": "ccas-cias",
    "paris_casvp": "ccas-cias",
    "cidf": "cidff",
    "cidff": "cidff",
    "msap": "france-service",
    "france_services": "france-service",
    "cij": "reseau-information-jeunesse",
    "mjd": "points-justice",
    "spip": "spip",
    "ddpjj": "pjj",
    "drpjj": "pjj",
    "afpa": "afpa",
    "agefiph": "agefiph",
}
# The schema's thematiques where a competence plainly serves one (the others have none rather than a stretch).
THEMES: dict[str, tuple[str, ...]] = {
    "etat-civil": ("difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",),
    "elections": ("difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-a-la-citoyennete",),
    "cni-passeports": ("difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",),
    "titres-sejour": ("difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",),
    "permis-conduire": ("mobilite--preparer-un-permis",),
    "orientation": ("choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",),
    "formation-apprentissage": ("se-former--trouver-sa-formation",),
    "mobilite-aom": ("mobilite--mobilite-douce-partagee-collective",),
    "transports-interurbains-ter": ("mobilite--mobilite-douce-partagee-collective",),
    "action-sociale-departement": ("difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",),
    "ccas": ("difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere",),
    "rsa": ("difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",),
    "pmi": ("famille--soutien-a-la-parentalite-et-a-leducation",),
    "ase": ("famille--soutien-a-la-parentalite-et-a-leducation",),
    "apa-personnes-agees": ("famille--prise-en-charge-personne-dependante",),
    "handicap-mdph": ("sante--constituer-un-dossier-mdph-invalidite",),
    "petite-enfance": ("famille--garde-denfants",),
    "prestations-familiales": ("difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",),
    "assurance-maladie": ("sante--acces-aux-soins",),
    "fsl": (
        "logement-hebergement--se-maintenir-dans-le-logement",
        "logement-hebergement--reduire-les-impayes-de-loyer",
    ),
    "habitat-plh": ("logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",),
    "logement-social-aides-pierre": ("logement-hebergement--louer-un-logement",),
    "developpement-economique": ("creer-une-entreprise--developper-son-entreprise",),
    "aides-entreprises": ("creer-une-entreprise--developper-son-entreprise",),
    "culture": ("remobilisation--activites-sportives-et-culturelles",),
    "sport": ("remobilisation--activites-sportives-et-culturelles",),
    "numerique-thd": ("numerique--acceder-a-une-connexion-internet",),
}
PUBLICS: dict[str, tuple[str, ...]] = {
    "rsa": ("beneficiaires-des-minimas-sociaux",),
    "handicap-mdph": ("personnes-en-situation-de-handicap",),
    "apa-personnes-agees": ("seniors",),
    "pmi": ("familles",),
    "ase": ("familles",),
    "petite-enfance": ("familles",),
    "prestations-familiales": ("familles",),
    "titres-sejour": ("personnes-exilees",),
    "orientation": ("jeunes",),
    "colleges": ("jeunes",),
    "lycees": ("jeunes",),
    "enseignement-superieur": ("etudiants",),
}
# Competences whose access is free by law (a right, an allowance, a public record): the others (water, waste,
# passports, school meals…) may charge, so `frais` is left empty rather than guessed.
FREE = frozenset(
    {
        "etat-civil", "elections", "recensement", "rsa", "pmi", "ase", "action-sociale-departement", "ccas",
        "handicap-mdph", "prestations-familiales", "assurance-maladie", "fsl", "apa-personnes-agees", "orientation",
        "ecoles", "colleges", "lycees",
    }
)  # fmt: skip
CRITERIA = tuple(c.__name__ for c in score_qualite.CRITERES)


@dataclass(frozen=True)
class Export:
    """One generated edition: the date routing answered for, the routing version, the files, the counts, the
    data·inclusion quality score of the services (mean over the services, and per criterion where it applies)."""

    on: date
    version: int
    directory: Path
    stem: str
    counts: dict[str, int]
    invalid: dict[str, int]
    score: float
    criteria: dict[str, float]

    def path(self, dataset: str) -> Path:
        return self.directory / f"{self.stem}-{dataset}.json"

    def size(self, dataset: str) -> int:
        return self.path(dataset).stat().st_size

    def page(self, dataset: str, *, offset: int, limit: int) -> bytes:
        """Rows [offset, offset + limit) as a JSON array, read from the file through its offsets index."""
        n = self.counts[dataset]
        first, last = max(0, offset), min(n, offset + limit)
        if first >= last:
            return b"[]"
        index = self.directory / f"{self.stem}-{dataset}.idx"
        with index.open("rb") as idx:
            idx.seek(8 * first)
            start = array("q", idx.read(8))[0]
            idx.seek(8 * (n + last - 1))
            end = array("q", idx.read(8))[0]
        with self.path(dataset).open("rb") as data:
            data.seek(start)
            return b"[" + data.read(end - start) + b"]"


def _directory() -> Path:
    return Path(settings.DATA_DIR) / "opendata"


def _routing_version() -> int:
    return RoutingVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _name(text: str) -> str:
    """3 to 150 characters, no final point (the schema warns on one)."""
    text = " ".join(text.split())
    if len(text) > 150:
        text = text[:149].rstrip() + "…"
    return text.rstrip(".").ljust(3, "_") if len(text.rstrip(".")) < 3 else text.rstrip(".")


def _contact(body: Body) -> dict:
    """What a body's Annuaire record gives: one address, one phone, one e-mail, one web site (first of each)."""
    out: dict = {}
    address = next((a for a in body.addresses if a.get("lines") or a.get("postcode")), None)
    if address:
        postcode = (address.get("postcode") or "").strip()
        out["adresse"] = ", ".join(address.get("lines") or []) or None
        out["code_postal"] = postcode if len(postcode) == 5 and postcode.isdigit() else None
        out["commune"] = address.get("city") or None
        out["latitude"] = address.get("lat")
        out["longitude"] = address.get("lon")
    phone = next((p.get("number") for p in body.phones if p.get("number")), None)
    if phone:
        out["telephone"] = phone
    email = next((e for e in body.emails if e), None)
    if email:
        out["courriel"] = email
    site = next((w.get("url") for w in body.websites if (w.get("url") or "").startswith(("http://", "https://"))), None)
    if site:
        out["site_web"] = site
    return out


def _networks(body: Body) -> list[str] | None:
    networks = set(KIND_NETWORKS.get(body.kind, ()))
    if body.kind == BodyKind.OFFICE or not networks:
        networks |= {PIVOT_NETWORKS[p] for p in body.pivots if p in PIVOT_NETWORKS}
    if body.kind == BodyKind.SECU_SOCIALE and "msa" in body.pivots:
        networks.add("mutualite-sociale-agricole")
    return sorted(networks) or None


def _date_maj(body: Body, today: date) -> date:
    """The body's last change (computed once per body: a body has up to 50 services)."""
    day = body.__dict__.get("_date_maj")
    if day is None:
        day = body.__dict__["_date_maj"] = min(timezone.localdate(body.updated_at), today)
    return day


def structure_row(body: Body, *, today: date) -> dict:
    """One body as a data·inclusion structure. `siren` is an additional property: the v1 schema has only a SIRET,
    which the referential does not hold (a SIREN names the legal unit, not one of its establishments)."""
    contact = _contact(body)
    row = {
        "source": SOURCE,
        "id": f"{SOURCE}--{body.key}",
        "nom": _name(body.name),
        "date_maj": _date_maj(body, today).isoformat(),
        "description": body.basis if len(body.basis) >= 5 else None,
        "siret": None,
        "siren": body.siren or None,
        "code_insee": body.commune.insee_code if body.commune_id else None,
        "reseaux_porteurs": _networks(body),
        "horaires_accueil": None,  # the Annuaire's hours are French prose, not the OSM format the schema requires
        "lien_source": body.annuaire_url or None,
        **{k: contact.get(k) for k in ("adresse", "code_postal", "commune", "latitude", "longitude")},
        **{k: contact.get(k) for k in ("telephone", "courriel", "site_web")},
    }
    return row


def service_row(
    body: Body, *, code: str, label: str, description: str, communes: list[str], today: date, contact: dict
) -> dict:
    """One competence (or type of office) a body exercises, eligible in the communes routing names it for."""
    where = "la commune" if len(communes) == 1 else f"{len(communes)} communes"
    text = (
        f"{description} Pour {where}, la structure compétente est {body.name}, d'après le routage de Sans Couture "
        "(lois, déclarations des structures, BANATIC, Annuaire de l'administration)."
    )
    modes = []
    if contact.get("adresse"):
        modes.append("se-presenter")
    if contact.get("telephone"):
        modes.append("telephoner")
    if contact.get("courriel"):
        modes.append("envoyer-un-courriel")
    if contact.get("site_web"):
        modes.append("utiliser-lien-mobilisation")
    return {
        "source": SOURCE,
        "structure_id": f"{SOURCE}--{body.key}",
        "id": f"{SOURCE}--{body.key}--{code}",
        "nom": _name(label),
        "description": text[:10000],
        "date_maj": _date_maj(body, today).isoformat(),
        "type": "information",
        "thematiques": list(THEMES.get(code, ())) or None,
        "publics": list(PUBLICS.get(code, ("tous-publics",))),
        "frais": "gratuit" if code in FREE else None,
        "modes_accueil": ["en-presentiel"] if contact.get("adresse") else None,
        "modes_mobilisation": modes or None,
        "mobilisable_par": ["usagers", "professionnels"],
        "lien_mobilisation": contact.get("site_web"),
        "zone_eligibilite": communes,
        **{k: contact.get(k) for k in ("adresse", "code_postal", "commune", "telephone", "courriel")},
        "code_insee": body.commune.insee_code if body.commune_id else None,
    }


def _zones(on: date, bodies: dict[int, Body], progress: Progress | None) -> dict[tuple[int, str], list[str]]:
    """(body id, competence or pivot) → the communes where routing names the body: one pass of route_everywhere,
    then the types of office of the bodies that hold no competence (the Annuaire's offices)."""
    zones: dict[tuple[int, str], list[str]] = defaultdict(list)
    last, communes, total = None, 0, Commune.objects.current().count()
    for place, comp, answer in route_everywhere(on=on):
        if place is not last:
            last, communes = place, communes + 1
            if progress and communes % 1000 == 0:
                progress("communes", communes, total)
        for info in answer.bodies:
            zones[(info.id, comp.code)].append(place.insee_code)
    if progress:
        progress("communes", communes, max(total, communes))
    holding = {body_id for body_id, _ in zones}
    for body in bodies.values():
        if body.id in holding or not body.pivots:
            continue
        served = list(communes_served(body.key))
        if served:
            for pivot in body.pivots:
                zones[(body.id, f"guichet-{pivot}")] = served
    return zones


def _services(on: date, bodies: dict[int, Body], progress: Progress | None) -> Iterator[dict]:
    comps = catalogue().competences
    pivots = pivot_labels()
    order = {code: i for i, code in enumerate(comps)}
    today = timezone.localdate()
    zones = _zones(on, bodies, progress)
    contacts: dict[int, dict] = {}
    for body_id, code in sorted(zones, key=lambda k: (k[0], order.get(k[1], len(order)), k[1])):
        body = bodies.get(body_id)
        if body is None:  # an inactive body routing still names: not published
            continue
        contact = contacts.get(body_id)
        if contact is None:
            contact = contacts[body_id] = _contact(body)
        if code.startswith("guichet-"):
            pivot = code.removeprefix("guichet-")
            label = pivots.get(pivot, pivot)
            description = f"Guichet de type « {label} » (Annuaire de l'administration)."
        else:
            comp = comps[code]
            label, description = comp.label, comp.description
        communes = sorted(set(zones[(body_id, code)]))
        yield service_row(
            body, code=code, label=label, description=description, communes=communes, today=today, contact=contact
        )


_SCORE_FIELDS = ("modes_accueil", "modes_mobilisation", "mobilisable_par", "frais", "date_maj", "source")
_SCORE_PRESENT = ("adresse", "telephone", "courriel", "lien_mobilisation", "thematiques", "publics", "frais_precisions")


def _score_key(row: dict) -> tuple:
    """What the package's criteria read of a service: rows that differ only by their commune or name score
    alike, and pendulum's date arithmetic is most of the cost over 700,000 services."""
    return (
        *(tuple(v) if isinstance(v := row.get(f), list) else v for f in _SCORE_FIELDS),
        *(bool(row.get(f)) for f in _SCORE_PRESENT),
        len(row["description"]),
    )


class _Writer:
    """A JSON array file, one row a line, and its offsets index (starts of every row, then ends)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = path.open("wb")
        self.file.write(b"[\n")
        self.starts, self.ends = array("q"), array("q")

    def write(self, data: bytes) -> None:
        if self.starts:
            self.file.write(b",\n")
        self.starts.append(self.file.tell())
        self.file.write(data)
        self.ends.append(self.file.tell())

    def close(self, index: Path) -> None:
        self.file.write(b"\n]\n")
        self.file.close()
        index.write_bytes(self.starts.tobytes() + self.ends.tobytes())


def data_inclusion_write(*, directory: Path, on: date | None = None, progress: Progress | None = None) -> Export:
    """Write the edition for `on` (default: today) into `directory`: every row validated with the official
    models (a row they refuse is counted and left out), the services scored. Renamed into place whole."""
    on = check_date(on)
    directory.mkdir(parents=True, exist_ok=True)
    version = _routing_version()
    stem = f"{NAME}-{on.isoformat()}-v{version}"
    today = timezone.localdate()
    bodies = {b.id: b for b in Body.objects.filter(active=True).select_related("commune").order_by("pk")}
    tmp = {d: directory / f".{stem}-{d}.{os.getpid()}.json" for d in DATASETS}
    counts = dict.fromkeys(DATASETS, 0)
    invalid = dict.fromkeys(DATASETS, 0)
    scored: dict[tuple, tuple[float, dict]] = {}  # score key → the package's score and criteria
    scored_rows: dict[tuple, int] = defaultdict(int)  # score key → how many services have it
    writers = {d: _Writer(tmp[d]) for d in DATASETS}
    try:
        rows = ((structure_row(b, today=today) for b in bodies.values()), _services(on, bodies, progress))
        for dataset, model, produced in zip(DATASETS, (Structure, Service), rows, strict=True):
            for row in produced:
                try:
                    checked = model.model_validate(row, context={"ignore_warnings": False})
                except pydantic.ValidationError:
                    invalid[dataset] += 1
                    continue
                if model is Service:
                    key = _score_key(row)
                    if key not in scored:
                        scored[key] = score_qualite.score(checked)
                    scored_rows[key] += 1
                writers[dataset].write(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode())
                counts[dataset] += 1
        for dataset in DATASETS:
            writers[dataset].close(directory / f"{stem}-{dataset}.idx")
            tmp[dataset].replace(directory / f"{stem}-{dataset}.json")
    finally:
        for dataset in DATASETS:
            writers[dataset].file.close()
            tmp[dataset].unlink(missing_ok=True)
    score_sum = sum(scored[k][0] * n for k, n in scored_rows.items())
    totals, applicable = dict.fromkeys(CRITERIA, 0.0), dict.fromkeys(CRITERIA, 0)
    for key, n in scored_rows.items():
        for name, value in scored[key][1].items():
            if value is not None:
                totals[name] += value * n
                applicable[name] += n
    export = Export(
        on=on,
        version=version,
        directory=directory,
        stem=stem,
        counts=counts,
        invalid=invalid,
        score=round(score_sum / counts["services"], 2) if counts["services"] else 0.0,
        criteria={k: round(totals[k] / applicable[k], 2) for k in CRITERIA if applicable[k]},
    )
    # Written last: an edition whose metadata exists is complete.
    meta = {"counts": counts, "invalid": invalid, "score": export.score, "criteria": export.criteria}
    (directory / f"{stem}.json").write_text(json.dumps(meta))
    return export


def data_inclusion_edition(
    *, on: date | None = None, progress: Progress | None = None, wait: bool = True
) -> Export | None:
    """The edition for `on` (default: today) at the current routing version: the stored one, or generated now
    (one process at a time, under a file lock; older editions removed once the new one is in place). With
    `wait=False` (the task worker), None when another process is writing it."""
    on = check_date(on)
    directory = _directory()
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{NAME}-{on.isoformat()}-v{_routing_version()}"
    export = _stored(directory, stem, on)
    if export:
        return export
    with (directory / f".{NAME}.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # another process is writing it
        export = _stored(directory, stem, on) or data_inclusion_write(directory=directory, on=on, progress=progress)
    _remove_older(directory, stem)
    return export


def data_inclusion_available() -> Export | None:
    """What the site and the API serve: today's edition at the current routing version if it is written; else,
    on a small referential, that edition written now; on a national one, the latest written edition (None if
    there is none yet) while a background thread writes the current one. `sanscouture export data-inclusion`
    after each import avoids the wait."""
    on = check_date(None)
    directory = _directory()
    stem = f"{NAME}-{on.isoformat()}-v{_routing_version()}"
    export = _stored(directory, stem, on)
    if export:
        return export
    if Commune.objects.current().count() <= SYNC_COMMUNES:
        return data_inclusion_edition(on=on)
    _write_in_background(directory, stem, on)
    return _latest(directory)


_asked: set[str] = set()  # editions this process already handed to the worker


def _write_in_background(directory: Path, stem: str, on: date) -> None:
    """Hand the edition to the task worker (`data_inclusion_write_task`), once per edition and process: the web
    process never spends minutes of CPU (and its GIL) on it while it serves requests."""
    if stem in _asked:
        return
    _asked.add(stem)
    from .tasks import data_inclusion_write_task

    transaction.on_commit(lambda: data_inclusion_write_task.enqueue(on.isoformat()))


def _remove_older(directory: Path, stem: str) -> None:
    for old in directory.glob(f"{NAME}-*"):
        if not old.name.startswith(stem + ".") and not old.name.startswith(stem + "-"):
            old.unlink(missing_ok=True)


def _latest(directory: Path) -> Export | None:
    metas = sorted(
        (p for p in directory.glob(f"{NAME}-*-v*.json") if not p.stem.endswith(DATASETS)),
        key=lambda p: p.stat().st_mtime,
    )
    for meta in reversed(metas):
        stem = meta.stem
        try:
            on = date.fromisoformat(stem.removeprefix(f"{NAME}-").rsplit("-v", 1)[0])
        except ValueError:
            continue
        export = _stored(directory, stem, on)
        if export and all(export.path(d).exists() for d in DATASETS):
            return export
    return None


def _stored(directory: Path, stem: str, on: date) -> Export | None:
    meta = directory / f"{stem}.json"
    if not meta.exists():
        return None
    data = json.loads(meta.read_text())
    return Export(
        on=on,
        version=int(stem.rsplit("-v", 1)[1]),
        directory=directory,
        stem=stem,
        counts=data["counts"],
        invalid=data["invalid"],
        score=data["score"],
        criteria=data["criteria"],
    )
