"""Parsing of real publications: metadata, links, "Où s'adresser", questionnaire and content; XML = JSON."""

import json

from sanscouture.catalogue.conditions import evaluate, variables_set
from sanscouture.catalogue.importers import catalogue_read
from sanscouture.catalogue.nodes import from_xml, from_xmljs
from sanscouture.catalogue.parsing import life_event_parse, publication_parse

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
    para = next(n for n in nodes if n["type"] == "paragraphe" and n["text"].startswith("Je dois informer mon bailleur"))
    assert para["text"] == (
        "Je dois informer mon bailleur en respectant un délai de préavis pouvant aller de 1 à "
        "3 mois avant le déménagement."
    )
    assert para["children"] == [
        {
            "type": "lien",
            "target": "F1168",
            "kind": "Fiche d'information",
            "text": "en respectant un délai de préavis pouvant aller de 1 à 3 mois",
        }
    ]
    assert {n["type"] for n in nodes} <= {
        "chapitre",
        "souschapitre",
        "bloccas",
        "cas",
        "paragraphe",
        "liste",
        "item",
        "callout",
        "lien",
        "tableau",
        "service",
        "contact",
        "fragment",
    }
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
