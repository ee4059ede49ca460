"""Open311 writes in process: routing decides the body, a body's jurisdiction cannot take what routing gives to
another, consent decides what is kept of the person, and a refusal changes nothing."""

import itertools

import pytest

from sanscouture.cases.models import AccessLog, Case, Consent
from sanscouture.open311.errors import BadRequest, Forbidden
from sanscouture.open311.models import ServiceRequest
from sanscouture.open311.selectors import all_services, jurisdiction_get, location_resolve, services_for
from sanscouture.open311.services import service_request_create

_N = itertools.count()
PERSON = {"first_name": "Zoé", "last_name": "Signalante", "email": "zoe@exemple.fr", "phone": "0612345678"}


def _file(referential, jurisdiction: str, service: str, *, submitter: str = "mairie:34274", **extra):  # noqa: ANN001, ANN202
    agent = referential.agent(submitter, username=f"o311-{next(_N)}")
    return service_request_create(
        jurisdiction=jurisdiction_get(jurisdiction),
        service=all_services()[service],
        location=location_resolve(commune_code="34274", address_string="", has_lat_long=False),
        submitted_by=referential.body(submitter),
        actor=agent,
        **extra,
    )


def test_routing_names_the_body_and_consent_decides_what_is_kept(referential):
    without = _file(referential, "34274", "dechets-menagers", person=PERSON)
    assert without.body.key == "epci:200022986" and without.task.body.key == "epci:200022986"
    assert without.task.case.data.values == {} and not Consent.objects.filter(case=without.task.case).exists()
    with_consent = _file(referential, "200022986", "dechets-menagers", person=PERSON, consent=True)
    case = with_consent.task.case
    assert case.data.values == {
        "prenoms": "Zoé",
        "nom": "Signalante",
        "courriel": "zoe@exemple.fr",
        "telephone": "0612345678",
    }
    assert Consent.objects.filter(case=case, body__key="epci:200022986").exists()
    assert AccessLog.objects.filter(case_ref=str(case.public_id), action="ecriture").count() == 1


def test_a_body_jurisdiction_takes_only_what_routing_gives_it(referential):
    cases = Case.objects.count()
    assert all_services()["guichet-caf"] not in services_for(jurisdiction_get("200022986"))
    with pytest.raises(BadRequest, match="n'est pas compétente"):
        _file(referential, "200022986", "guichet-caf")
    with pytest.raises(Forbidden, match="ne dessert pas"):
        _file(referential, "34274", "dechets-menagers", submitter="caf:22")
    assert Case.objects.count() == cases and not ServiceRequest.objects.exists()
