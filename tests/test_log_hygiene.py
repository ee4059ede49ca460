"""Logs carry no personal data nor secrets: the masking filter, through Django's configured handlers."""

import io
import logging

import pytest
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


@pytest.mark.parametrize(
    ("path", "masked", "secret"),
    [
        ("/suivi/UnJetonSecretQuiNexistePas123456/", "/suivi/***/", "UnJetonSecret"),
        # a gathering's private invitation link (issue 13)
        (
            "/rencontres/invitation/UnJetonDeRencontreInconnu123456/",
            "/rencontres/invitation/***/",
            "UnJetonDeRencontre",
        ),
    ],
)
def test_a_404_on_a_private_link_is_logged_without_the_token(db, path, masked, secret):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        Client().get(path)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert f"Not Found: {masked}" in text  # it was logged, masked
    assert secret not in text and not log_leaks(text)


def _through_the_handler(emit) -> str:  # noqa: ANN001
    """What the configured console handler writes for the records `emit` logs."""
    stream = io.StringIO()
    root_handler = logging.getLogger().handlers[0]
    handler = logging.StreamHandler(stream)
    handler.setFormatter(root_handler.formatter)
    for f in root_handler.filters:
        handler.addFilter(f)
    logger = logging.getLogger("sanscouture.test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_tracebacks_are_masked_and_cannot_forge_lines():
    def emit(logger):  # noqa: ANN001, ANN202
        try:
            raise ValueError("lea.martin@example.org, NIR 1 90 04 75 123 456 78, tél. 06 12 34 56 78\nFAUX journal")
        except ValueError:
            logger.exception("erreur en traitant %s", "/suivi/UnJetonSecretTresLong123/")

    text = _through_the_handler(emit)
    assert "Traceback" in text and "ValueError" in text  # still useful
    assert not log_leaks(text) and "UnJetonSecret" not in text and "123 456" not in text
    lines = text.splitlines()
    assert lines[0].split(" ", 3)[2] == "ERROR"
    assert all(line.startswith("  | ") for line in lines[1:]), lines  # nothing passes for a record of its own


def test_control_characters_and_newlines_in_logged_values_are_escaped():
    text = _through_the_handler(lambda logger: logger.warning("Not Found: %s", "/a\nINFO faux\r\x1b[31m\x00"))
    assert text.count("\n") == 1, text
    assert "/a\\nINFO faux\\r\\x1b[31m\\x00" in text
    hidden = _through_the_handler(lambda logger: logger.warning("GET %s", "/api/v1/suivi/\x0cUnJetonSecretCache"))
    assert "UnJetonSecret" not in hidden and not log_leaks(hidden)


def test_every_logger_writes_through_the_masking_handler():
    """Django's default handlers (DEBUG console, e-mails to ADMINS with raw tracebacks) are gone: its records go
    to the root handler and its filter."""
    from sanscouture.logsafe import RedactFilter as Filter

    assert logging.getLogger("django").handlers == [] and logging.getLogger("django.server").handlers == []
    ours = [h for h in logging.getLogger().handlers if not type(h).__module__.startswith("_pytest")]
    assert ours and all(any(isinstance(f, Filter) for f in h.filters) for h in ours)


def test_addresses_are_cut_to_their_network():
    from sanscouture.logsafe import truncate_address

    assert truncate_address("203.0.113.42") == "203.0.113.0"
    assert truncate_address("2001:db8:abcd:12:1:2:3:4") == "2001:db8:abcd::"
    assert truncate_address("pas une adresse") == "-"


def test_the_server_log_masks_gunicorn_warnings_escapes_paths_and_cuts_addresses(server):
    import socket
    import time

    with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1]))) as s:
        s.sendall(b"0612345678# /lea.martin@example.org HTTP/1.1\r\nHost: x\r\n\r\n")  # an invalid method
        s.recv(1000)
    server.get("/api/v1/communes/34274%0A127.0.0.1%20-%20FAUX")
    server.get("/api/v1/communes/0612345678")
    time.sleep(1)
    text = server.log.read_text()
    gunicorn = [ln for ln in text.splitlines() if "Invalid" in ln or "WARNING" in ln]
    assert any("Invalid request from ip=127.0.0.0" in ln for ln in gunicorn), gunicorn
    assert "0612345678" not in text
    assert not log_leaks(text)
    assert "34274\\n127.0.0.1 - FAUX" in text and not [
        ln for ln in text.splitlines() if ln.startswith("127.0.0.1 - FAUX")
    ]
    access = [ln for ln in text.splitlines() if '"GET /api/v1/communes/' in ln]
    assert access and all(ln.startswith("127.0.0.0 ") for ln in access)
