"""Notifications tests: every test's logs are checked for e-mail addresses (TRUST.md, log hygiene)."""

import logging
import re

import pytest

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@pytest.fixture(autouse=True)
def _no_address_in_logs(caplog):  # noqa: ANN001, ANN202
    caplog.set_level(logging.DEBUG)
    yield
    leaked = EMAIL.findall(caplog.text)
    assert leaked == [], f"adresse e-mail dans les journaux : {len(leaked)}"
