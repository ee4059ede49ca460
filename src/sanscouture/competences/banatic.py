"""Reading the BANATIC national export (DGCL): both generations, row by row, checked before anything is written.

- current export (since 2024): an XLSX, one row per groupement × member, competence columns
  « <4-digit code> - <libellé> (<base légale>) » valued OUI / NON;
- former export (BANATIC V5, ≤ 2023): per-département tab-separated text in cp1252, no quoting, competence columns
  « C<4 digits> » valued 1.

Column facts: shared/reference/DATA_FORMATS.md §3. What each BANATIC competence means in our catalogue is the
reviewed file data/banatic.yaml (each line with its reason). Nothing here writes: services.banatic_import does,
in one transaction, once the whole file has been read without error.
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from sanscouture.errors import InvalidInput

from .catalogue import catalogue

MAPPING_FILE = Path(__file__).parent / "data" / "banatic.yaml"
SIREN = re.compile(r"^\d{9}$")
NEW_COLUMN = re.compile(r"^(\d{4}) - (.+)$", re.S)
OLD_COLUMN = re.compile(r"^C\d{4}$")
# EPCI à fiscalité propre (bodies of the referential, key epci:<siren>) and EPT (ept:<siren>).
FISCAL_NATURES = {"CC", "CA", "CU", "METRO", "MET69"}
NATURES = {
    "CC": "Communauté de communes",
    "CA": "Communauté d'agglomération",
    "CU": "Communauté urbaine",
    "METRO": "Métropole",
    "MET69": "Métropole de Lyon",
    "EPT": "Établissement public territorial",
    "SIVU": "Syndicat intercommunal à vocation unique",
    "SIVOM": "Syndicat intercommunal à vocation multiple",
    "SMF": "Syndicat mixte fermé",
    "SMO": "Syndicat mixte ouvert",
    "PETR": "Pôle d'équilibre territorial et rural",
    "POLEM": "Pôle métropolitain",
}


class BanaticInvalid(InvalidInput):
    code = "banatic_invalide"


def _norm(text: str) -> str:
    """Labels compared without case, accents' encoding, typographic apostrophes or runs of spaces."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass(frozen=True)
class MappingLine:
    competence: str | None  # None: reviewed and deliberately not kept
    reason: str


@dataclass(frozen=True)
class Mapping:
    old: dict[str, MappingLine]  # C-code → line
    new_codes: dict[str, MappingLine]  # 4-digit code → line
    new_labels: dict[str, MappingLine]  # normalised libellé → line

    def line(self, code: str, label: str) -> MappingLine | None:
        if code.startswith("C"):
            return self.old.get(code)
        if code in self.new_codes:
            return self.new_codes[code]
        wanted = _norm(label)
        found = self.new_labels.get(wanted)
        if found is None:
            # The header may add the legal basis after the libellé: « Eau (…) (Art. L. 2224-7 CGCT) ».
            for known, line in self.new_labels.items():
                if wanted.startswith(known + " ("):
                    return line
        return found


def parse_mapping(raw: dict) -> Mapping:
    """Check the reviewed file: every line has a reason, and a competence of the catalogue or none."""
    codes = catalogue().competences
    old, new_codes, new_labels = {}, {}, {}
    for section in ("old", "new"):
        for item in raw.get(section) or ():
            comp = item.get("competence")
            reason = str(item.get("reason") or "").strip()
            where = item.get("code") or item.get("label")
            if not reason:
                raise ValueError(f"banatic.yaml : la ligne {where} n'a pas de raison")
            if comp is not None and comp not in codes:
                raise ValueError(f"banatic.yaml : compétence inconnue {comp} ({where})")
            line = MappingLine(competence=comp, reason=reason)
            if section == "old":
                if not OLD_COLUMN.match(str(item["code"])):
                    raise ValueError(f"banatic.yaml : code ancien invalide {item['code']}")
                old[str(item["code"])] = line
            else:
                if item.get("code"):
                    new_codes[str(item["code"])] = line
                if item.get("label"):
                    new_labels[_norm(str(item["label"]))] = line
    return Mapping(old=old, new_codes=new_codes, new_labels=new_labels)


@cache
def mapping() -> Mapping:
    return parse_mapping(yaml.safe_load(MAPPING_FILE.read_text()))


@dataclass(frozen=True)
class CompetenceColumn:
    index: int
    code: str  # "C1502" or "1502"
    label: str
    competence: str | None
    reason: str
    known: bool  # in the mapping file (kept or deliberately not kept)


@dataclass
class Member:
    siren: str
    name: str
    kind: str  # commune | groupement | autre (as the file says; groupements are recognised again later)
    substitution: bool


@dataclass
class Groupement:
    siren: str
    name: str
    nature: str
    epage: bool = False
    eptb: bool = False
    codes: frozenset[str] = frozenset()  # competence columns valued OUI / 1
    members: dict[str, Member] = field(default_factory=dict)
    row: int = 0  # first row, for messages


@dataclass
class Export:
    generation: str  # "xlsx" (current) or "tsv" (BANATIC V5)
    rows: int
    columns: list[CompetenceColumn]
    groupements: dict[str, Groupement]


Progress = Callable[[str, int, int], None]


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _column_index(ref: str) -> int:
    """0-based column of a cell reference (« AB12 » → 27)."""
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + (ord(ch.upper()) - 64)
    return n - 1


def _first_sheet(z: zipfile.ZipFile) -> str:
    """The part of the workbook's first sheet, as the workbook and its relationships name it."""
    from xml.etree import ElementTree as ET

    try:
        first = ET.fromstring(z.read("xl/workbook.xml")).find(f"{_NS}sheets/{_NS}sheet")  # noqa: S314 (see xlsx_rows)
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
        target = next(r.get("Target") for r in rels if r.get("Id") == first.get(_REL))  # type: ignore[union-attr]
    except (KeyError, StopIteration, AttributeError, ET.ParseError):
        return "xl/worksheets/sheet1.xml"
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def xlsx_rows(path: Path) -> Iterator[list[str]]:
    """Rows of the first sheet, as text, streamed from the XML inside the archive: memory holds the shared strings
    and one row, never the sheet (python-calamine loads the whole sheet: 700 MB for the national export).
    The file is one an administrator downloaded from the DGCL; expat neither fetches external entities nor expands
    entity bombs (Python ≥ 3.7.1 with expat ≥ 2.4), so the standard parser is safe enough here."""
    from xml.etree import ElementTree as ET

    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise BanaticInvalid(f"Fichier XLSX illisible : {exc}", details={"fichier": path.name}) from None
    with z:
        shared: list[str] = []
        try:
            if "xl/sharedStrings.xml" in z.namelist():
                with z.open("xl/sharedStrings.xml") as f:
                    for _, el in ET.iterparse(f):  # noqa: S314
                        if el.tag == f"{_NS}si":
                            shared.append("".join(t.text or "" for t in el.iter(f"{_NS}t")))
                            el.clear()
            with z.open(_first_sheet(z)) as f:
                parent = None
                for event, el in ET.iterparse(f, events=("start", "end")):  # noqa: S314
                    if event == "start":
                        if el.tag == f"{_NS}sheetData":
                            parent = el
                        continue
                    if el.tag != f"{_NS}row":
                        continue
                    row: list[str] = []
                    for c in el.iter(f"{_NS}c"):
                        kind = c.get("t")
                        if kind == "inlineStr":
                            value = "".join(t.text or "" for t in c.iter(f"{_NS}t"))
                        else:
                            value = c.findtext(f"{_NS}v") or ""
                            if kind == "s" and value:
                                value = shared[int(value)]
                            elif value.endswith(".0") and kind in (None, "n"):
                                value = value[:-2]
                        i = _column_index(c.get("r") or "") if c.get("r") else len(row)
                        if i > len(row):
                            row.extend([""] * (i - len(row)))
                        row.append(value.strip())
                    yield row
                    if parent is not None:
                        parent.clear()  # the rows already read are dropped: memory stays one row deep
        except (KeyError, ET.ParseError, IndexError, ValueError) as exc:
            raise BanaticInvalid(
                f"Fichier XLSX illisible ({type(exc).__name__} : {exc}).", details={"fichier": path.name}
            ) from None


def _tsv_rows(path: Path) -> Iterator[list[str]]:
    """The former export: tab-separated, cp1252, no quoting (a quote is part of a name)."""
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="cp1252", newline="")
        for row in csv.reader(text, delimiter="\t", quoting=csv.QUOTE_NONE):
            yield [v.strip() for v in row]


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"PK\x03\x04" and zipfile.is_zipfile(path)


def _col(header: list[str], name: str, *, required: bool = True) -> int | None:
    wanted = _norm(name)
    for i, h in enumerate(header):
        if _norm(h) == wanted:
            return i
    if required:
        raise BanaticInvalid(
            f"Ligne 1 (en-tête) : la colonne « {name} » est absente ; ce fichier n'est pas un export BANATIC "
            "reconnu (le format a peut-être changé).",
            details={"ligne": 1, "colonne": name},
        )
    return None


def read_export(path: Path, *, progress: Progress | None = None) -> Export:
    """Read and check the whole file. Any error names its row and column, in French, and nothing is kept."""
    if not path.is_file():
        raise BanaticInvalid(f"Fichier introuvable : {path}", details={"fichier": str(path)})
    generation = "xlsx" if _is_xlsx(path) else "tsv"
    rows = xlsx_rows(path) if generation == "xlsx" else _tsv_rows(path)
    try:
        header = next(rows)
    except StopIteration:
        raise BanaticInvalid("Le fichier est vide.", details={"fichier": path.name}) from None
    except UnicodeDecodeError as exc:
        raise BanaticInvalid(f"Ligne 1 : encodage illisible ({exc.reason}).", details={"ligne": 1}) from None
    c_siren = _col(header, "N° SIREN")
    c_name = _col(header, "Nom du groupement")
    c_nature = _col(header, "Nature juridique")
    c_member = _col(header, "Siren membre")
    c_member_name = _col(header, "Nom membre")
    c_kind = _col(header, "Catégorie des membres du groupement" if generation == "xlsx" else "Type", required=False)
    c_subst = _col(header, "Représentation-substitution", required=False)
    c_epage = _col(header, "EPAGE", required=False)
    c_eptb = _col(header, "EPTB", required=False)
    m = mapping()
    columns: list[CompetenceColumn] = []
    for i, h in enumerate(header):
        if generation == "xlsx":
            found = NEW_COLUMN.match(h)
            if not found:
                continue
            code, label = found.group(1), re.sub(r"\s+", " ", found.group(2)).strip()
        else:
            if not OLD_COLUMN.match(h):
                continue
            code, label = h, h
        line = m.line(code, label)
        columns.append(
            CompetenceColumn(
                index=i,
                code=code,
                label=label,
                competence=line.competence if line else None,
                reason=line.reason if line else "absente du fichier de correspondance",
                known=line is not None,
            )
        )
    if not columns:
        raise BanaticInvalid(
            "Ligne 1 (en-tête) : aucune colonne de compétence (« 1234 - libellé » ou « C1234 ») : ce fichier "
            "n'est pas un export BANATIC reconnu.",
            details={"ligne": 1},
        )
    yes = {"OUI"} if generation == "xlsx" else {"1"}
    allowed = {"OUI", "NON", ""} if generation == "xlsx" else {"1", "0", ""}
    kept = [c for c in columns if c.competence]
    width = len(header)
    groupements: dict[str, Groupement] = {}
    n = 1
    try:
        for n, row in enumerate(rows, start=2):
            if not any(row):
                continue
            if len(row) < width:
                row = row + [""] * (width - len(row))

            def bad(col: str, message: str, n: int = n) -> BanaticInvalid:
                return BanaticInvalid(
                    f"Ligne {n}, colonne « {col} » : {message}.", details={"ligne": n, "colonne": col}
                )

            siren = row[c_siren]
            if not SIREN.match(siren):
                raise bad("N° SIREN", f"« {siren[:20]} » n'est pas un SIREN (9 chiffres)")
            g = groupements.get(siren)
            if g is None:
                name, nature = row[c_name], row[c_nature].upper()
                if not name:
                    raise bad("Nom du groupement", "nom vide")
                if not nature:
                    raise bad("Nature juridique", "nature juridique vide")
                for c in kept:
                    if row[c.index].upper() not in allowed:
                        raise bad(header[c.index][:60], f"valeur « {row[c.index][:20]} » inattendue (OUI / NON)")
                g = Groupement(
                    siren=siren,
                    name=name[:250],
                    nature=nature,
                    epage=c_epage is not None and row[c_epage].upper() == "OUI",
                    eptb=c_eptb is not None and row[c_eptb].upper() == "OUI",
                    codes=frozenset(c.code for c in kept if row[c.index].upper() in yes),
                    row=n,
                )
                groupements[siren] = g
            member = row[c_member]
            if member:
                if not SIREN.match(member):
                    raise bad("Siren membre", f"« {member[:20]} » n'est pas un SIREN (9 chiffres)")
                kind = _norm(row[c_kind]) if c_kind is not None else ""
                g.members[member] = Member(
                    siren=member,
                    name=row[c_member_name][:250],
                    kind="commune" if kind.startswith("commune") else "groupement" if "groupement" in kind else "",
                    substitution=c_subst is not None and row[c_subst].upper() in ("1", "OUI"),
                )
            if progress and n % 5000 == 0:
                progress("BANATIC : lignes lues", n - 1, 0)
    except UnicodeDecodeError as exc:
        raise BanaticInvalid(
            f"Ligne {n + 1} : encodage illisible ({exc.reason}) ; l'ancien export est en cp1252.",
            details={"ligne": n + 1},
        ) from None
    if not groupements:
        raise BanaticInvalid("Aucune ligne de groupement après l'en-tête.", details={"fichier": path.name})
    if progress:
        progress("BANATIC : lignes lues", n - 1, n - 1)
    return Export(generation=generation, rows=n - 1, columns=columns, groupements=groupements)


def siren_table(path: Path) -> dict[str, str]:
    """The commune SIREN ↔ INSEE table published with BANATIC: `;`-separated, ISO-8859-1 (2025: « Code INSEE de
    la commune », « Siren ») or UTF-8 (2019: « siren », « insee »)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header = [_norm(h) for h in next(reader, [])]
    try:
        c_siren = header.index("siren")
        c_insee = next(i for i, h in enumerate(header) if h in ("insee", "code insee de la commune"))
    except (ValueError, StopIteration):
        raise BanaticInvalid(
            "Table SIREN ↔ INSEE : colonnes « Siren » et « Code INSEE de la commune » (ou « siren » et « insee ») "
            "attendues à la ligne 1.",
            details={"fichier": path.name},
        ) from None
    table = {}
    for n, row in enumerate(reader, start=2):
        if len(row) <= max(c_siren, c_insee):
            continue
        siren, insee = row[c_siren].strip(), row[c_insee].strip().zfill(5)
        if not SIREN.match(siren) or not re.match(r"^[0-9][0-9AB][0-9]{3}$", insee):
            raise BanaticInvalid(
                f"Table SIREN ↔ INSEE, ligne {n} : « {siren[:12]} » / « {insee[:8]} » invalide.",
                details={"fichier": path.name, "ligne": n},
            )
        table[siren] = insee
    return table
