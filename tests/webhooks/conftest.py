"""Webhook tests: real HTTPS receivers on 127.0.0.1, trusted through the settings' CA file."""

import logging
import re
from collections.abc import Iterator
from datetime import date

import pytest

from .receiver import Receiver, make_certificate

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
MOVE = ["locataire", "francais", "oui", "salarie-du-secteur-prive"]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):  # noqa: ANN001, ANN201
    return make_certificate(tmp_path_factory.mktemp("webhooks-tls"))


@pytest.fixture(autouse=True)
def _webhook_settings(settings, certificate):  # noqa: ANN001, ANN202
    settings.SANSCOUTURE_WEBHOOKS_ALLOW_PRIVATE = True
    settings.SANSCOUTURE_WEBHOOKS_CA_FILE = str(certificate[0])
    settings.SANSCOUTURE_WEBHOOKS_TIMEOUT = 5


@pytest.fixture(autouse=True)
def _no_address_in_logs(caplog):  # noqa: ANN001, ANN202
    caplog.set_level(logging.DEBUG)
    yield
    assert EMAIL.findall(caplog.text) == [], "adresse e-mail dans les journaux"


@pytest.fixture
def receivers(certificate) -> Iterator:  # noqa: ANN001
    """`receivers()` starts a new receiver; all are stopped at the end."""
    started: list[Receiver] = []

    def start(**kwargs) -> Receiver:  # noqa: ANN003
        r = Receiver(*certificate, **kwargs).start()
        started.append(r)
        return r

    yield start
    for r in started:
        if r.gate is not None:
            r.gate.set()
        r.stop()


def declare(commune: str = "34274", commune_from: str = "44195", consent: bool = True):  # noqa: ANN201
    """A move to Saint-Martin-de-Londres: a case with tasks for the CAF de l'Hérault, the mairie…"""
    from sanscouture.cases.fields import field_labels
    from sanscouture.cases.services import declaration_submit

    values = {f: f"Valeur-{f}-W9" for f in field_labels()}
    values["courriel"] = "personne@exemple.fr"
    values["date_naissance"] = "1990-04-02"
    case, _ = declaration_submit(
        life_event="je-demenage",
        choices=MOVE,
        commune=commune,
        commune_from=commune_from,
        values=values,
        consents=[],
        today=date(2026, 6, 1),
    )
    if consent:
        for task in case.tasks.all():
            case.consents.create(body_id=task.body_id)
    return case
