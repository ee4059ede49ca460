"""The DCAT catalogue: JSON-LD that rdflib parses into DCAT-AP triples, listing the national dataset with its
licence, publisher, temporal coverage and distributions (media types, byte sizes of the files served)."""

import json

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from sanscouture.opendata.services import qui_fait_quoi_edition

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
BASE = "http://testserver/opendata/"
LICENCE = URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")


@pytest.fixture
def catalogue(referential, client, settings, tmp_path):  # noqa: ANN001, ANN201
    settings.DATA_DIR = tmp_path
    settings.SANSCOUTURE_OPENDATA_PUBLISHER = "Préfecture de démonstration"
    response = client.get("/opendata/catalogue.jsonld")
    assert response.status_code == 200 and response["Content-Type"] == "application/ld+json"
    graph = Graph().parse(data=response.content, format="json-ld")
    return graph, qui_fait_quoi_edition()


def test_the_catalogue_lists_the_national_dataset_in_dcat(catalogue):  # noqa: ANN001
    g, edition = catalogue
    cat = URIRef(BASE + "catalogue.jsonld")
    assert (cat, RDF.type, DCAT.Catalog) in g
    datasets = set(g.objects(cat, DCAT.dataset))
    names = ("qui-fait-quoi", "data-inclusion/structures", "data-inclusion/services")
    assert datasets == {URIRef(BASE + name) for name in names}
    ds = URIRef(BASE + "qui-fait-quoi")
    assert (ds, RDF.type, DCAT.Dataset) in g
    assert (ds, DCTERMS.license, LICENCE) in g and (cat, DCTERMS.license, LICENCE) in g
    publisher = g.value(ds, DCTERMS.publisher)
    assert publisher == g.value(cat, DCTERMS.publisher) and (publisher, RDF.type, FOAF.Agent) in g
    assert g.value(publisher, FOAF.name) == Literal("Préfecture de démonstration")
    period = g.value(ds, DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in g
    day = Literal(edition.on.isoformat(), datatype=XSD.date)
    assert g.value(period, DCAT.startDate) == day and g.value(period, DCAT.endDate) == day
    assert g.value(ds, DCTERMS.conformsTo) == URIRef(BASE + "qui-fait-quoi.schema.json")
    distributions = {
        str(g.value(d, DCAT.downloadURL)): (str(g.value(d, DCAT.mediaType)), g.value(d, DCAT.byteSize).toPython())
        for d in g.objects(ds, DCAT.distribution)
    }
    assert distributions == {
        BASE + "qui-fait-quoi.csv": (
            "https://www.iana.org/assignments/media-types/text/csv",
            edition.csv.stat().st_size,
        ),
        BASE + "qui-fait-quoi.parquet": (
            "https://www.iana.org/assignments/media-types/application/vnd.apache.parquet",
            edition.parquet.stat().st_size,
        ),
    }
    assert all(size > 1000 for _, size in distributions.values())


def test_hydra_pagination(catalogue, client):  # noqa: ANN001
    g, _ = catalogue
    view = URIRef(BASE + "catalogue.jsonld?page=1&page_size=20")
    assert (URIRef(BASE + "catalogue.jsonld"), HYDRA.view, view) in g
    assert (view, RDF.type, HYDRA.PartialCollectionView) in g
    assert g.value(view, HYDRA.totalItems).toPython() == 3
    assert g.value(view, HYDRA.first) == g.value(view, HYDRA.last) == view
    assert g.value(view, HYDRA.next) is None
    # One dataset a page: the second page links to both neighbours and lists the data·inclusion structures.
    response = client.get("/opendata/catalogue.jsonld?page=2&page_size=1")
    g2 = Graph().parse(data=response.content, format="json-ld")
    view = URIRef(BASE + "catalogue.jsonld?page=2&page_size=1")
    assert g2.value(view, HYDRA.previous) == URIRef(BASE + "catalogue.jsonld?page=1&page_size=1")
    assert g2.value(view, HYDRA.next) == URIRef(BASE + "catalogue.jsonld?page=3&page_size=1")
    assert list(g2.objects(URIRef(BASE + "catalogue.jsonld"), DCAT.dataset)) == [
        URIRef(BASE + "data-inclusion/structures")
    ]
    # Beyond the last page, and bad parameters: clear errors in the structured envelope.
    for query, status, code in (
        ("?page=2", 404, "page_introuvable"),
        ("?page=0", 400, "page_invalide"),
        ("?page=un", 400, "page_invalide"),
        ("?page_size=1000", 400, "page_invalide"),
    ):
        response = client.get("/opendata/catalogue.jsonld" + query)
        assert response.status_code == status and json.loads(response.content)["erreur"]["code"] == code, query
