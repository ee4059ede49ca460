"""The data·inclusion export (schema v1): every row of the whole test referential validates with the official
`data-inclusion-schema` models, structures carry their SIREN and networks, services say where routing sends people
(`zone_eligibilite`), the quality score is the package's, and the API pages the national export over HTTP."""

import json
import urllib.request
from collections import defaultdict
from datetime import date

import pytest
from data_inclusion.schema.v1 import Service, Structure, score_qualite
from django.utils import timezone

from sanscouture.competences.routing import route_everywhere
from sanscouture.opendata.data_inclusion import CRITERIA, DATASETS, data_inclusion_edition, data_inclusion_write

ON = date(2026, 6, 1)
WASTE = "dechets-menagers"
GPSL = "sans-couture--epci:200022986"  # CC du Grand Pic Saint-Loup


@pytest.fixture(scope="module")
def export(django_db_setup, django_db_blocker, tmp_path_factory):  # noqa: ANN001, ANN201
    """Written once for the module (read-only tests): the test referential's 2,950 communes."""
    from sanscouture.competences import routing

    with django_db_blocker.unblock():
        routing._drop_local()
        return data_inclusion_write(directory=tmp_path_factory.mktemp("data-inclusion"), on=ON)


def _rows(export, dataset: str) -> list[dict]:  # noqa: ANN001
    return json.loads(export.path(dataset).read_bytes())


def _strict(model, row: dict):  # noqa: ANN001, ANN202
    """The official models, warnings raised as errors (e.g. a name ending with a point)."""
    return model.model_validate(row, context={"ignore_warnings": False})


def test_every_row_of_the_test_referential_validates_with_the_official_schema(export):  # noqa: ANN001
    assert export.invalid == {"structures": 0, "services": 0}
    structures, services = _rows(export, "structures"), _rows(export, "services")
    assert len(structures) == export.counts["structures"] > 3000
    assert len(services) == export.counts["services"] > 50_000
    errors = []
    for model, rows in ((Structure, structures), (Service, services)):
        for row in rows:
            try:
                _strict(model, row)
            except ValueError as exc:
                errors.append((row["id"], str(exc)[:300]))
    assert errors == []
    ids = [s["id"] for s in structures]
    assert len(set(ids)) == len(ids) and len({s["id"] for s in services}) == len(services)
    assert {s["structure_id"] for s in services} <= set(ids)  # every service belongs to a published structure


def test_structures_carry_their_siren_and_the_network_of_their_kind(export, referential):  # noqa: ANN001
    by_id = {s["id"]: s for s in _rows(export, "structures")}
    expected = {
        "mairie:34274": ["communes"],
        "epci:200022986": ["communes"],
        "departement:34": ["departements"],
        "region:76": ["regions"],
        "caf:34": ["caf"],
        "cpam:34": ["cpam"],
        "mdph:34": ["mdph"],
    }
    for key, networks in expected.items():
        row, body = by_id[f"sans-couture--{key}"], referential.body(key)
        assert row["reseaux_porteurs"] == networks, key
        assert row["nom"] == body.name and row["siren"] == (body.siren or None), key
    assert by_id["sans-couture--mairie:34274"]["code_insee"] == "34274"
    assert by_id[GPSL]["siren"] == "200022986"
    # Every network given is one of the schema's enumeration (the model would refuse another).
    assert {n for s in by_id.values() for n in s["reseaux_porteurs"] or ()} >= {"communes", "departements", "caf"}


def test_services_are_the_competences_and_their_zone_is_where_routing_names_the_body(export, referential):  # noqa: ANN001
    services = {s["id"]: s for s in _rows(export, "services")}
    waste = services[f"{GPSL}--{WASTE}"]
    assert waste["structure_id"] == GPSL and waste["nom"] == "Collecte et traitement des déchets ménagers"
    assert "34274" in waste["zone_eligibilite"]
    # For three competences, the zones are exactly routing's answers over the whole test referential.
    from sanscouture.bodies.models import Body

    keys = dict(Body.objects.values_list("pk", "key"))
    expected: dict[str, set[str]] = defaultdict(set)
    for place, comp, answer in route_everywhere(on=ON):
        if comp.code in (WASTE, "rsa", "etat-civil"):
            for body in answer.bodies:
                expected[f"sans-couture--{keys[body.id]}--{comp.code}"].add(place.insee_code)
    got = {k: set(s["zone_eligibilite"]) for k, s in services.items() if k.rsplit("--", 1)[1] in expected_codes()}
    assert got == expected
    assert all(s["zone_eligibilite"] == sorted(s["zone_eligibilite"]) for s in services.values())
    rsa = services["sans-couture--departement:34--rsa"]
    assert rsa["publics"] == ["beneficiaires-des-minimas-sociaux"] and rsa["frais"] == "gratuit"


def expected_codes() -> set[str]:
    return {WASTE, "rsa", "etat-civil"}


def test_the_quality_score_is_the_packages_ten_criteria(export):  # noqa: ANN001
    assert len(CRITERIA) == 10 and set(export.criteria) <= set(CRITERIA)
    services = [_strict(Service, s) for s in _rows(export, "services")[::50]]
    scores = [score_qualite.score(s) for s in services]
    # The reported figure is the mean of the package's score; the sample is close to it.
    sample = sum(s for s, _ in scores) / len(scores)
    assert 0 < export.score < 1 and abs(sample - export.score) < 0.1
    assert export.criteria["date_maj_recente"] == 1.0  # the referential was loaded today
    assert export.criteria["au_moins_un_public"] == 1.0
    meta = json.loads((export.directory / f"{export.stem}.json").read_text())
    assert meta["score"] == export.score and meta["criteria"] == export.criteria


def test_the_api_pages_the_export(referential, client, settings, tmp_path):  # noqa: ANN001
    settings.DATA_DIR = tmp_path
    stored = data_inclusion_edition()
    assert stored.on == timezone.localdate()
    rows = json.loads(stored.path("services").read_bytes())
    pages, offset = [], 0
    while True:
        response = client.get("/api/v1/opendata/data-inclusion/services", {"limite": 1000, "decalage": offset})
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        assert response["X-Total-Count"] == str(len(rows))
        page = response.json()
        pages += page
        if len(page) < 1000:
            assert "next" not in response.get("Link", "")
            break
        assert f"decalage={offset + 1000}" in response["Link"]
        offset += 1000
    assert pages == rows
    first = client.get("/api/v1/opendata/data-inclusion/structures?limite=2&decalage=1").json()
    assert first == json.loads(stored.path("structures").read_bytes())[1:3]
    beyond = client.get(f"/api/v1/opendata/data-inclusion/structures?decalage={10**6}")
    assert beyond.status_code == 200 and beyond.json() == []
    bad = client.get("/api/v1/opendata/data-inclusion/structures?limite=beaucoup")
    assert bad.status_code == 422 and bad.json()["erreur"]["code"] == "requete_invalide"
    # The whole file, as the catalogue lists it.
    whole = client.get("/opendata/data-inclusion/structures.json")
    assert whole.status_code == 200 and json.loads(b"".join(whole.streaming_content)) == json.loads(
        stored.path("structures").read_bytes()
    )


def test_a_national_referential_is_never_written_during_a_request(referential, client, settings, tmp_path, monkeypatch):  # noqa: ANN001
    """Above SYNC_COMMUNES, a missing edition is written by a background thread: meanwhile the latest written
    edition is served (its date in X-Edition), or 503 with Retry-After when there is none yet."""
    from sanscouture.opendata import data_inclusion

    settings.DATA_DIR = tmp_path
    started = []
    monkeypatch.setattr(data_inclusion, "SYNC_COMMUNES", 100)
    monkeypatch.setattr(data_inclusion, "_write_in_background", lambda *args: started.append(args))
    response = client.get("/api/v1/opendata/data-inclusion/services")
    assert response.status_code == 503 and response["Retry-After"] == str(data_inclusion.RETRY_AFTER)
    assert response.json()["erreur"]["code"] == "export_en_preparation" and started
    assert client.get("/opendata/data-inclusion/services.json").status_code == 503
    page = client.get("/donnees-ouvertes/")
    assert page.status_code == 200 and "en cours de préparation" in page.content.decode()
    # An older edition (another date) is served meanwhile, and says which it is.
    older = data_inclusion_write(directory=tmp_path / "opendata", on=ON)
    response = client.get("/api/v1/opendata/data-inclusion/structures?limite=3")
    assert response.status_code == 200 and response["X-Edition"] == f"{ON.isoformat()} v{older.version}"
    assert response.json() == _rows(older, "structures")[:3]
    # Each time, the current edition was asked of the background writer: today's, at the routing version.
    assert {args[1] for args in started} == {f"data-inclusion-{timezone.localdate().isoformat()}-v{older.version}"}


def test_the_catalogue_lists_both_datasets_with_their_sizes(referential, client, settings, tmp_path):  # noqa: ANN001
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCAT

    settings.DATA_DIR = tmp_path
    response = client.get("/opendata/catalogue.jsonld")
    g = Graph().parse(data=response.content, format="json-ld")
    stored = data_inclusion_edition()
    for dataset in DATASETS:
        ds = URIRef(f"http://testserver/opendata/data-inclusion/{dataset}")
        assert (URIRef("http://testserver/opendata/catalogue.jsonld"), DCAT.dataset, ds) in g
        sizes = {
            str(g.value(d, DCAT.accessURL)): (str(g.value(d, DCAT.mediaType)), g.value(d, DCAT.byteSize))
            for d in g.objects(ds, DCAT.distribution)
        }
        json_type = "https://www.iana.org/assignments/media-types/application/json"
        assert sizes[f"{ds}.json"][0] == json_type and sizes[f"{ds}.json"][1].toPython() == stored.size(dataset)
        assert sizes[f"http://testserver/api/v1/opendata/data-inclusion/{dataset}"] == (json_type, None)
    page = client.get("/donnees-ouvertes/").content.decode()
    assert "data·inclusion" in page and "/opendata/data-inclusion/services.json" in page
    assert f"{stored.score:.2f}".replace(".", ",") in page


def test_export_command_and_api_over_the_real_server(server):  # noqa: ANN001
    """All of France: the command writes the edition, the real server pages it; pages validate."""
    out = server.manage("export", "data-inclusion", timeout=900)
    assert "data·inclusion — édition du" in out and "Score de qualité" in out
    status, body = server.get("/api/v1/opendata/data-inclusion/structures?limite=1000&decalage=0")
    assert status == 200
    structures = json.loads(body)
    assert len(structures) == 1000 and all(_strict(Structure, s) for s in structures)
    with urllib.request.urlopen(server.url + "/api/v1/opendata/data-inclusion/services?limite=1000", timeout=60) as r:  # noqa: S310
        total = int(r.headers["X-Total-Count"])
        services = json.loads(r.read())
    assert total > 400_000 and all(_strict(Service, s) for s in services)  # France: ≈ 35,000 communes
    # The last page, read without the rest.
    status, body = server.get(f"/api/v1/opendata/data-inclusion/services?limite=1000&decalage={total - 5}")
    last = json.loads(body)
    assert status == 200 and len(last) == 5 and all(_strict(Service, s) for s in last)
    from rdflib import Graph
    from rdflib.namespace import DCAT

    status, body = server.get("/opendata/catalogue.jsonld")
    g = Graph().parse(data=body, format="json-ld")
    sizes = {str(g.value(d, DCAT.downloadURL)).rsplit("/", 1)[1]: g.value(d, DCAT.byteSize).toPython()
             for d in g.subjects(DCAT.byteSize, None)}  # fmt: skip
    status, whole = server.get("/opendata/data-inclusion/structures.json")
    assert status == 200 and sizes["structures.json"] == len(whole)
    by_id = {s["id"]: s for s in json.loads(whole)}
    assert by_id[GPSL]["reseaux_porteurs"] == ["communes"] and by_id[GPSL]["siren"] == "200022986"
    # The services file (hundreds of MB), streamed one row a line: Saint-Martin-de-Londres's household waste is
    # the CC du Grand Pic Saint-Loup's; the catalogue's size is the size served.
    size, waste = 0, None
    with urllib.request.urlopen(server.url + "/opendata/data-inclusion/services.json", timeout=300) as resp:  # noqa: S310
        for line in resp:
            size += len(line)
            if f'"id":"{GPSL}--{WASTE}"'.encode() in line:
                waste = _strict(Service, json.loads(line.rstrip(b",\n")))
    assert size == sizes["services.json"]
    assert waste is not None and "34274" in waste.zone_eligibilite
