"""Logs carry no personal data nor secrets: the masking filter, through Django's configured handlers."""

import io
import logging

from django.test import Client

from sanscouture.logsafe import RedactFilter, redact
from tests.conftest import log_leaks


def test_redact_masks_tokens_addresses_phones_and_nir():
    line = (
        "GET /suivi/AbCdEf0123456789xyz/ from lea.martin@example.org, tel 06 12 34 56 78, "
        "NIR 1 90 04 75 123 456 78, Authorization: Bearer sc_abcdefghijkl0123"
    )
    cleaned = redact(line)
    for secret in ("AbCdEf0123456789xyz", "lea.martin@example.org", "06 12 34 56 78", "123 456", "sc_abcdefghijkl"):
        assert secret not in cleaned
    assert "/suivi/***/" in cleaned and not log_leaks(cleaned)
    assert redact("Dossier 3F2A9C1B — tâche 42") == "Dossier 3F2A9C1B — tâche 42"


def test_a_404_on_a_follow_up_link_is_logged_without_the_token(db):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        Client().get("/suivi/UnJetonSecretQuiNexistePas123456/")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "Not Found: /suivi/***/" in text  # it was logged, masked
    assert "UnJetonSecret" not in text and not log_leaks(text)
