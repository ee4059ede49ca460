"""Open311 GeoReport v2 against the real server (`sanscouture serve` + `sanscouture demo`), with a small client written
from the spec (XML parsed with the standard library, JSON): discovery, services, service definition, POST and GET
requests, request by id, tokens, FixMyStreet's servicerequestupdates, and every error of the spec's error model."""

import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

SAINT_MARTIN = "34274"  # Saint-Martin-de-Londres (Hérault), member of the CC du Grand Pic Saint-Loup
PIC_SAINT_LOUP = "200022986"
WASTE = "dechets-menagers"
LIST_TAGS = {"services", "endpoints", "formats", "attributes", "values", "service_requests", "errors"}
LIST_TAGS |= {"service_request_updates"}


def _parse(element: ET.Element):  # noqa: ANN202
    """XML → Python by the Spark convention the spec uses for JSON: lists for the list elements."""
    if element.tag in LIST_TAGS:
        return [_parse(child) for child in element]
    if len(element):
        return {child.tag: _parse(child) for child in element}
    return element.text


class Open311:
    """A GeoReport v2 client as the spec describes it: `<endpoint>/<resource>.<format>`, form-encoded POST."""

    def __init__(self, endpoint: str, fmt: str = "xml") -> None:
        self.endpoint, self.fmt = endpoint, fmt

    def call(self, method: str, resource: str, params: dict | None = None):  # noqa: ANN201
        url = f"{self.endpoint}/{resource}.{self.fmt}"
        data = None
        query = urllib.parse.urlencode(params or {}, doseq=True)
        if method == "GET" and query:
            url += "?" + query
        elif method != "GET":
            data = query.encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        try:
            with urllib.request.urlopen(request, timeout=60) as r:  # noqa: S310 (loopback)
                status, content_type, body = r.status, r.headers["Content-Type"], r.read()
        except urllib.error.HTTPError as exc:
            status, content_type, body = exc.code, exc.headers["Content-Type"], exc.read()
        if self.fmt == "json":
            assert content_type.startswith("application/json"), content_type
            return status, json.loads(body)
        assert content_type.startswith("text/xml"), content_type
        assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        return status, _parse(ET.fromstring(body))  # noqa: S314 (our own server on loopback)

    def services(self, jurisdiction: str):  # noqa: ANN201
        return self.call("GET", "services", {"jurisdiction_id": jurisdiction})

    def create(self, **params: str):  # noqa: ANN201
        return self.call("POST", "requests", params)

    def request(self, jurisdiction: str, request_id: object):  # noqa: ANN201
        return self.call("GET", f"requests/{request_id}", {"jurisdiction_id": jurisdiction})


def w3c(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def parse_w3c(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, f"date sans fuseau horaire : {text}"
    return moment


def api(server, token: str, method: str, path: str, payload: dict | None = None):  # noqa: ANN001, ANN201
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        server.url + "/api/v1" + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as r:  # noqa: S310 (loopback)
        return json.loads(r.read())


@pytest.fixture(scope="module")
def xml(server):  # noqa: ANN001, ANN201
    return Open311(server.url + "/open311/v2")


@pytest.fixture(scope="module")
def js(server):  # noqa: ANN001, ANN201
    return Open311(server.url + "/open311/v2", "json")


@pytest.fixture(scope="module")
def tokens(demo):  # noqa: ANN001, ANN201
    return demo["api_tokens"]


def _waste_request(tokens: dict, **extra: str) -> dict:
    return {
        "api_key": tokens[f"mairie:{SAINT_MARTIN}"],
        "jurisdiction_id": SAINT_MARTIN,
        "service_code": WASTE,
        "attribute[commune]": SAINT_MARTIN,
        "description": "Bacs non ramassés rue de la Croix depuis mardi.",
        **extra,
    }


def test_discovery_names_the_endpoint_and_both_formats(xml, js, server):
    status, doc = xml.call("GET", "discovery")
    assert status == 200
    (endpoint,) = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == server.url + "/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    parse_w3c(doc["changeset"])
    status, doc_json = js.call("GET", "discovery")
    assert status == 200 and doc_json["endpoints"][0]["formats"] == endpoint["formats"]


def test_services_of_a_commune_and_of_its_intercommunality(xml, js):
    status, services = xml.services(SAINT_MARTIN)
    assert status == 200
    by_code = {s["service_code"]: s for s in services}
    waste = by_code[WASTE]
    assert waste["type"] == "realtime" and waste["metadata"] == "true"
    assert waste["group"] and waste["service_name"] == "Collecte et traitement des déchets ménagers"
    assert "guichet-caf" in by_code, "les types de guichet ayant une structure dans la commune sont des services"
    status, as_json = js.services(SAINT_MARTIN)
    assert status == 200 and [s["service_code"] for s in as_json] == [s["service_code"] for s in services]
    assert as_json[0]["metadata"] is True
    # The CC du Grand Pic Saint-Loup as jurisdiction: what routing names it for, not the CAF's services.
    status, services = xml.services(PIC_SAINT_LOUP)
    codes = {s["service_code"] for s in services}
    assert status == 200 and WASTE in codes and "guichet-caf" not in codes


def test_service_definition_has_the_commune_attribute(xml, js):
    status, definition = xml.call("GET", f"services/{WASTE}", {"jurisdiction_id": SAINT_MARTIN})
    assert status == 200 and definition["service_code"] == WASTE
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert attributes["commune"]["values"] == [{"key": SAINT_MARTIN, "name": "Saint-Martin-de-Londres"}]
    assert attributes["commune"]["datatype"] == "singlevaluelist"
    assert attributes["consentement"]["required"] == "false"
    status, as_json = js.call("GET", f"services/{WASTE}", {"jurisdiction_id": PIC_SAINT_LOUP})
    commune = next(a for a in as_json["attributes"] if a["code"] == "commune")
    assert status == 200 and commune["datatype"] == "string" and commune["variable"] is True


def test_a_waste_request_lands_with_the_intercommunality_and_its_status_comes_back(xml, js, server, tokens):
    """The issue's « Done when »: created by an Open311 client, worked by the CC's agent through the task API, seen
    back through GET requests/{id} and servicerequestupdates."""
    before = datetime.now(UTC) - timedelta(minutes=1)
    status, created = xml.create(**_waste_request(tokens, email="personne.signalement@exemple.fr", first_name="Zoé"))
    assert status == 200, created
    (item,) = created
    request_id = int(item["service_request_id"])  # XML carries text; JSON carries the number
    assert "token" not in item and "Grand Pic Saint-Loup" in item["service_notice"]
    status, (found,) = xml.request(SAINT_MARTIN, request_id)
    assert status == 200
    assert found["status"] == "open" and found["service_code"] == WASTE
    assert found["agency_responsible"] == f"CC du Grand Pic Saint-Loup (SIREN {PIC_SAINT_LOUP})"
    assert before <= parse_w3c(found["requested_datetime"]) <= datetime.now(UTC)
    parse_w3c(found["updated_datetime"]), parse_w3c(found["expected_datetime"])
    # The person's fields are never echoed (and were not kept: no consent was given).
    _, raw = server.get(f"/open311/v2/requests/{request_id}.xml?jurisdiction_id={SAINT_MARTIN}")
    assert b"exemple.fr" not in raw and "Zoé".encode() not in raw
    # It is a task of the CC du Grand Pic Saint-Loup: its agent (here its system, with its API token) sees it.
    cc = tokens[f"epci:{PIC_SAINT_LOUP}"]
    tasks = api(server, cc, "GET", f"/taches?commune={SAINT_MARTIN}&limite=200")
    task = max((t for t in tasks if t["titre"] == "Collecte et traitement des déchets ménagers"), key=lambda t: t["id"])
    assert task["structure"]["nom"] == "CC du Grand Pic Saint-Loup"
    # The mairie that filed it has no task in that case.
    mairie_tasks = api(server, tokens[f"mairie:{SAINT_MARTIN}"], "GET", "/taches?limite=200")
    assert task["id"] not in {t["id"] for t in mairie_tasks}
    # The agent works it: in progress, then done.
    api(server, cc, "POST", f"/taches/{task['id']}/statut", {"statut": "in_progress"})
    status, (found,) = js.request(PIC_SAINT_LOUP, request_id)
    assert status == 200 and found["status"] == "open"
    api(server, cc, "POST", f"/taches/{task['id']}/statut", {"statut": "done"})
    status, (found,) = js.request(SAINT_MARTIN, request_id)
    assert status == 200 and found["status"] == "closed"
    assert parse_w3c(found["updated_datetime"]) >= parse_w3c(found["requested_datetime"])
    # FixMyStreet's updates since the request was filed: both changes, with extended statuses, oldest first.
    until = datetime.now(UTC) + timedelta(minutes=1)  # W3C dates here carry whole seconds
    params = {"jurisdiction_id": SAINT_MARTIN, "start_date": w3c(before), "end_date": w3c(until)}
    status, updates = xml.call("GET", "servicerequestupdates", params)
    assert status == 200
    mine = [u for u in updates if u["service_request_id"] == str(request_id)]
    assert [u["status"] for u in mine] == ["in_progress", "fixed"]
    assert all(u["update_id"] and parse_w3c(u["updated_datetime"]) >= before for u in mine)
    status, as_json = js.call("GET", "servicerequestupdates", {**params, "jurisdiction_id": PIC_SAINT_LOUP})
    assert status == 200 and [u["status"] for u in as_json if u["service_request_id"] == request_id] == [
        "in_progress",
        "fixed",
    ]
    # GET requests: filters by status, service, ids and dates.
    status, closed = js.call("GET", "requests", {"jurisdiction_id": SAINT_MARTIN, "status": "closed"})
    assert status == 200 and request_id in {r["service_request_id"] for r in closed}
    status, still_open = js.call("GET", "requests", {"jurisdiction_id": SAINT_MARTIN, "status": "open"})
    assert request_id not in {r["service_request_id"] for r in still_open}
    status, by_id = xml.call("GET", "requests", {"jurisdiction_id": SAINT_MARTIN, "service_request_id": request_id})
    assert [r["service_request_id"] for r in by_id] == [str(request_id)]
    status, other_service = js.call(
        "GET", "requests", {"jurisdiction_id": SAINT_MARTIN, "service_code": "voirie-communale"}
    )
    assert status == 200 and request_id not in {r["service_request_id"] for r in other_service}
    old = {"start_date": "2025-01-01T00:00:00+01:00", "end_date": "2025-03-01T00:00:00+01:00"}
    status, none = js.call("GET", "requests", {"jurisdiction_id": SAINT_MARTIN, **old})
    assert status == 200 and none == []


def test_the_commune_may_come_from_the_address_string(js, tokens):
    params = _waste_request(tokens, address_string="12 rue de la Croix, 34380 Saint-Martin-de-Londres")
    del params["attribute[commune]"]
    status, (item,) = js.create(**params)
    assert status == 200
    status, (found,) = js.request(SAINT_MARTIN, item["service_request_id"])
    assert found["address"] == "12 rue de la Croix, 34380 Saint-Martin-de-Londres" and found["zipcode"] == "34380"


def test_a_token_gives_back_its_request(xml, js, server, tokens):
    status, (item,) = js.create(**_waste_request(tokens))
    request_id = item["service_request_id"]
    # The token is not in the POST answer (the requests are realtime); the server keeps one per request.
    assert status == 200 and "token" not in item
    status, (xml_item,) = xml.request(SAINT_MARTIN, request_id)
    assert status == 200 and "token" not in xml_item
    status, errors = xml.call("GET", "tokens/00000000-0000-0000-0000-000000000000", {"jurisdiction_id": SAINT_MARTIN})
    assert status == 404 and errors[0]["code"] == "404"


def test_personal_fields_are_never_echoed_nor_logged(js, server, tokens):
    email, phone = "jeanne.signalante@exemple.fr", "06 12 34 56 78"
    params = _waste_request(
        tokens, email=email, phone=phone, last_name="Signalante", **{"attribute[consentement]": "oui"}
    )
    status, (item,) = js.create(**params)
    assert status == 200
    for path in (
        f"/open311/v2/requests/{item['service_request_id']}.json?jurisdiction_id={SAINT_MARTIN}",
        f"/open311/v2/requests.json?jurisdiction_id={SAINT_MARTIN}",
        f"/open311/v2/requests.xml?jurisdiction_id={PIC_SAINT_LOUP}",
    ):
        _, raw = server.get(path)
        assert email.encode() not in raw and b"Signalante" not in raw and b"06 12" not in raw
    log = server.log.read_text()
    assert email not in log and "Signalante" not in log


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_the_pypi_georeport_client_reads_what_we_serve(js, server, tokens, fmt):
    """PyPI's `georeport` (0.3.1: reads only, no POST) against our server, in both formats."""
    from georeport import GeoReport

    status, (item,) = js.create(**_waste_request(tokens))
    assert status == 200
    client = GeoReport(server.url + "/open311/v2", jurisdiction=SAINT_MARTIN, output_format=fmt)
    services = client.get_service_list()
    assert WASTE in {s["service_code"] for s in services}
    definition = client.get_service_definition(WASTE)
    assert "commune" in str(definition["attributes"])
    found = client.get_service_request(str(item["service_request_id"]))
    assert str(found["service_request_id"]) == str(item["service_request_id"]) and found["status"] == "open"
    listed = client.get_service_requests(service_code=WASTE, status="open")
    listed = listed if isinstance(listed, list) else [listed]
    assert str(item["service_request_id"]) in {str(r["service_request_id"]) for r in listed}


# --- Bad input: the spec's error model, and nothing changed -------------------------------------------------------


def _count(js) -> int:  # noqa: ANN001
    status, found = js.call("GET", "requests", {"jurisdiction_id": SAINT_MARTIN})
    assert status == 200
    return len(found)


def _error(result, code: int) -> str:  # noqa: ANN001
    status, errors = result
    assert status == code, errors
    assert isinstance(errors, list) and len(errors) == 1
    (error,) = errors
    assert str(error["code"]) == str(code) and error["description"]
    return error["description"]


def test_errors_of_the_reads(xml, js):
    assert "jurisdiction_id" in _error(xml.call("GET", "services"), 400)
    assert "jurisdiction_id" in _error(js.call("GET", "services"), 400)
    assert "inconnu" in _error(xml.services("99999"), 404)
    assert "inconnu" in _error(js.services("999999999"), 404)
    assert "invalide" in _error(xml.services("nimporte"), 400)
    assert "service_code" in _error(xml.call("GET", "services/pas-un-service", {"jurisdiction_id": SAINT_MARTIN}), 404)
    assert _error(xml.request(SAINT_MARTIN, 987654321), 404)
    assert _error(js.request(SAINT_MARTIN, "abc"), 404)
    assert _error(xml.call("GET", "requests/1"), 400)  # no jurisdiction
    assert _error(xml.call("GET", "tokens/pas-un-jeton", {"jurisdiction_id": SAINT_MARTIN}), 404)
    base = {"jurisdiction_id": SAINT_MARTIN}
    assert "fuseau" in _error(xml.call("GET", "requests", {**base, "start_date": "2026-01-01T00:00:00"}), 400)
    assert "fuseau" in _error(js.call("GET", "requests", {**base, "end_date": "hier"}), 400)
    wide = {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
    assert "90 jours" in _error(js.call("GET", "requests", {**base, **wide}), 400)
    assert "90 jours" in _error(xml.call("GET", "servicerequestupdates", {**base, **wide}), 400)
    assert "status" in _error(js.call("GET", "requests", {**base, "status": "ouvert"}), 400)
    assert _error(js.call("GET", "requests", {**base, "service_code": "pas-un-service"}), 400)
    assert _error(js.call("GET", "requests", {**base, "service_request_id": "1,x"}), 400)
    assert _error(xml.call("GET", "servicerequestupdates"), 400)
    assert _error(xml.call("PUT", "requests", base), 405)
    assert _error(js.call("POST", "services", base), 405)
    assert "discovery.xml" in _error(xml.call("GET", "pas-une-ressource"), 404)
    assert "discovery.json" in _error(js.call("GET", "pas-une-ressource"), 404)  # a `.json` path: the JSON error
    # The edge's refusals (control characters here) speak the spec's error model too.
    assert "interdit" in _error(xml.services("34274\x00"), 400)
    assert "interdit" in _error(js.services("34274\x00"), 400)


def test_errors_of_the_write_change_nothing(xml, js, tokens):
    before = _count(js)
    good = _waste_request(tokens)
    assert "api_key" in _error(xml.create(**{**good, "api_key": ""}), 403)
    assert "api_key" in _error(js.create(**{**good, "api_key": "sc_pas-un-jeton-valide-0123456789"}), 403)
    no_key = dict(good)
    del no_key["api_key"]
    assert _error(xml.create(**no_key), 403)
    # A body's key files only where the body serves: the CAF de Loire-Atlantique is not in the Hérault.
    assert "ne dessert pas" in _error(xml.create(**{**good, "api_key": tokens["caf:44"]}), 403)
    assert "jurisdiction_id" in _error(xml.create(**{**good, "jurisdiction_id": ""}), 400)
    assert _error(xml.create(**{**good, "jurisdiction_id": "99999"}), 404)
    assert "service_code" in _error(xml.create(**{**good, "service_code": ""}), 400)
    assert _error(js.create(**{**good, "service_code": "pas-un-service"}), 404)
    only_coordinates = {k: v for k, v in good.items() if k != "attribute[commune]"}
    message = _error(xml.create(**only_coordinates, lat="43.79", long="3.73"), 400)
    assert "géocode" in message and "attribute[commune]" in message
    assert "Localisation" in _error(xml.create(**only_coordinates), 400)
    assert "lat et long" in _error(js.create(**good, lat="43.79"), 400)
    assert _error(js.create(**good, lat="91", long="3"), 400)
    assert "code postal" in _error(js.create(**only_coordinates, address_string="rue de la Croix"), 400)
    assert _error(js.create(**{**good, "attribute[commune]": "00000"}), 400)
    # A commune outside the jurisdiction, a body not competent for the service there.
    assert "juridiction" in _error(js.create(**{**good, "attribute[commune]": "34172"}), 400)
    assert _error(js.create(**{**good, "description": "x" * 4001}), 400)
    assert _error(js.create(**good, media_url="javascript:alert(1)"), 400)
    assert _count(js) == before, "une demande refusée a pourtant été enregistrée"
