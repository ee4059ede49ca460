"""Gatherings over the REST API, against the real server prepared by `sanscouture demo`: the list and the calendar
file (parsed back with `icalendar`), an update (same UID, higher SEQUENCE), a cancellation (METHOD:CANCEL), bad
input, and another body's gathering."""

import json
import urllib.request
from datetime import UTC, datetime, timedelta

from icalendar import Calendar


def _call(server, token, method, path, payload=None):
    data = json.dumps(payload).encode() if payload is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(server.url + "/api/v1" + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:  # noqa: S310 (loopback)
            body = r.read()
            return r.status, r.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def _event(body: bytes):
    cal = Calendar.from_ical(body)
    [event] = cal.walk("VEVENT")
    return cal, event


def test_list_ics_update_and_cancel_over_http(server, demo):
    cc, caf34 = demo["api_tokens"]["epci:200072734"], demo["api_tokens"]["caf:34"]
    status, _, body = _call(server, cc, "GET", "/rencontres")
    listed = json.loads(body)
    assert status == 200 and {"Fête des voisins au travail"} <= {g["titre"] for g in listed}
    assert all(isinstance(g["id"], int) for g in listed)
    # The demo gathering's calendar file imports into a standard parser.
    status, kind, body = _call(server, cc, "GET", f"/rencontres/{listed[0]['id']}/invitation.ics")
    assert status == 200 and kind.startswith("text/calendar")
    cal, event = _event(body)
    assert str(cal["method"]) == "REQUEST" and event["dtstart"].params["TZID"] == "Europe/Paris"
    # Organise, change, cancel: the token acts as its body (référent).
    start = datetime.now(UTC) + timedelta(days=30)
    payload = {
        "structure": next(a["body"]["id"] for a in demo["agents"] if a["body"]["cle"] == "epci:200072734"),
        "titre": "Pique-nique des agents",
        "lieu": "Parc des Acacias, Savenay",
        "debut": start.isoformat(),
        "fin": (start + timedelta(hours=2)).isoformat(),
        "capacite": 40,
    }
    status, _, body = _call(server, cc, "POST", "/rencontres", payload)
    assert status == 201, body
    created = json.loads(body)
    gid = created["id"]
    assert created["structures_invitees"] and created["reponses"]["invites"] > 0
    _, _, first = _call(server, cc, "GET", f"/rencontres/{gid}/invitation.ics")
    _, before = _event(first)
    status, _, _ = _call(server, cc, "POST", f"/rencontres/{gid}/modification", {"lieu": "Salle Équinoxe, Savenay"})
    assert status == 200
    _, _, second = _call(server, cc, "GET", f"/rencontres/{gid}/invitation.ics")
    _, after = _event(second)
    assert after["uid"] == before["uid"] and int(after["sequence"]) == int(before["sequence"]) + 1
    assert str(after["location"]) == "Salle Équinoxe, Savenay"
    # Another body's gathering does not exist for the CAF de l'Hérault; bad input changes nothing.
    assert _call(server, caf34, "GET", f"/rencontres/{gid}/invitation.ics")[0] == 404
    assert _call(server, caf34, "POST", f"/rencontres/{gid}/annulation", {})[0] == 404
    past = payload | {"debut": "2020-01-01T10:00:00+01:00", "fin": "2020-01-01T12:00:00+01:00"}
    status, _, body = _call(server, cc, "POST", "/rencontres", past)
    assert status == 400 and json.loads(body)["erreur"]["code"] == "date_passee"
    reversed_ = payload | {"fin": (start - timedelta(hours=1)).isoformat()}
    status, _, body = _call(server, cc, "POST", "/rencontres", reversed_)
    assert status == 400 and json.loads(body)["erreur"]["code"] == "fin_avant_debut"
    status, _, body = _call(server, cc, "POST", f"/rencontres/{gid}/annulation", {"motif": "Météo"})
    assert status == 200 and json.loads(body)["statut"] == "annulee"
    _, _, third = _call(server, cc, "GET", f"/rencontres/{gid}/invitation.ics")
    cal, cancelled = _event(third)
    assert str(cal["method"]) == "CANCEL" and cancelled["uid"] == before["uid"]
    assert int(cancelled["sequence"]) == int(after["sequence"]) + 1 and str(cancelled["status"]) == "CANCELLED"
    status, _, body = _call(server, cc, "GET", "/rencontres")
    assert [g["titre"] for g in json.loads(body)].count("Pique-nique des agents") == 1
