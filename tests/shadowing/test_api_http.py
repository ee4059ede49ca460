"""Over real HTTP (`sanscouture serve` after `sanscouture demo`): the suggestions of a body with their `raisons`, and
the invitation of a pair, parsed back by `icalendar` itself. API tokens act as their body."""

import json
import urllib.request

from icalendar import Calendar


def _get(server, path: str, token: str) -> tuple[int, bytes, str]:  # noqa: ANN001
    request = urllib.request.Request(server.url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:  # noqa: S310 (loopback)
            return resp.status, resp.read(), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def test_the_cafs_suggestions_name_the_departement_with_reasons(server, demo):
    status, body, _ = _get(server, "/api/v1/vis-mon-job/suggestions", demo["api_tokens"]["caf:34"])
    assert status == 200
    data = json.loads(body)
    assert data["structure"]["cle"] == "caf:34" and "interdépendance" in data["methode"]
    by_key = {s["autre_structure"]["cle"]: s for s in data["suggestions"] if not s["interne"]}
    dep = by_key["departement:34"]
    assert dep["raisons"] and all(isinstance(r, str) and r for r in dep["raisons"])
    assert any("orientations" in r for r in dep["raisons"]) and any("lien est faible" in r for r in dep["raisons"])
    assert dep["score"] == round(dep["interdependance"] * dep["faiblesse"], 2) > 0
    assert "demo-departement-34-agent" not in body.decode()  # names, never usernames or e-mails
    # The mairie de Savenay's suggestion between two of its services.
    status, body, _ = _get(server, "/api/v1/vis-mon-job/suggestions", demo["api_tokens"]["mairie:44195"])
    internal = [s for s in json.loads(body)["suggestions"] if s["interne"]]
    assert {internal[0]["service"]["nom"], internal[0]["autre_service"]["nom"]} == {
        "Accueil – France Services",
        "État civil et élections",
    }
    # Without a token: 401 in the error envelope.
    status, body, _ = _get(server, "/api/v1/vis-mon-job/suggestions", "sc_pas-un-jeton-valide-0000000000")
    assert status == 401 and json.loads(body)["erreur"]["code"] == "non_authentifie"


def test_the_invitation_of_the_savenay_pair_parses_as_rfc5545(server, demo):
    pair = demo["vis_mon_job"]["binome_savenay"]
    token = demo["api_tokens"]["mairie:44195"]
    status, body, content_type = _get(server, f"/api/v1/vis-mon-job/binomes/{pair}/invitation.ics", token)
    assert status == 200 and content_type.startswith("text/calendar")
    cal = Calendar.from_ical(body)
    assert cal["VERSION"] == "2.0" and cal["METHOD"] == "REQUEST"
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]).startswith(f"vis-mon-job-{pair}@") and int(event["SEQUENCE"]) == 0
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert event.decoded("DTSTART").tzinfo.key == "Europe/Paris"
    assert event.decoded("DTEND") > event.decoded("DTSTART")
    # The same pair for a body that is not part of it: a 404.
    status, body, _ = _get(server, f"/api/v1/vis-mon-job/binomes/{pair}/invitation.ics", demo["api_tokens"]["caf:34"])
    assert status == 404
