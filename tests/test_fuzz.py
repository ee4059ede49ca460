"""The probe in CI (issue 7): schemathesis over the OpenAPI of the real server, with three identities — anonymous, a
body's API token, an agent's session — from `sanscouture demo --json`. Fails on any 5xx, on a response that does not
match its schema, on a status the OpenAPI does not declare, on a wrong content type.

Bounded in time (SANSCOUTURE_FUZZ_SECONDS per identity, 30 by default) with a fixed seed: every operation added to
the API enters the run by itself. A failure prints schemathesis' report: the operation, the check, and a `curl`
command that reproduces it against a server (`sanscouture serve` after `sanscouture demo`).
"""

import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from sanscouture.accounts.testing import totp_code_from_secret
from tests.conftest import DEMO_PASSWORD

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
SECONDS = os.environ.get("SANSCOUTURE_FUZZ_SECONDS", "30")
AGENT, TOKEN_BODY = "demo-caf-34", "caf:34"


@pytest.fixture(scope="module")
def identities(server, demo) -> dict[str, list[str]]:  # noqa: ANN001
    """schemathesis headers for each identity."""
    agent = next(a for a in demo["agents"] if a["username"] == AGENT)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def form(path: str, fields: dict[str, str]) -> str:
        page = opener.open(server.url + path).read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": csrf}).encode()
        request = urllib.request.Request(server.url + path, data=data, headers={"Referer": server.url + path})
        with opener.open(request) as r:
            return r.geturl()

    assert "/connexion/code/" in form("/connexion/", {"username": AGENT, "password": DEMO_PASSWORD})
    form("/connexion/code/", {"code": totp_code_from_secret(agent["totp_secret"])})
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, "la connexion de l'agent de démonstration a échoué"
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return {
        "anonyme": [],
        "jeton": ["-H", f"Authorization: Bearer {demo['api_tokens'][TOKEN_BODY]}"],
        "session": ["-H", f"Cookie: {cookie}", "-H", f"X-CSRFToken: {cookies['csrftoken']}"],
    }


@pytest.mark.parametrize("identity", ["anonyme", "jeton", "session"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(server, identities, identity, tmp_path: Path):
    executable = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert executable, "schemathesis manque : ./scripts/test l'installe (pyproject.toml, extra dev)"
    command = [
        executable,
        "run",
        f"{server.url}/api/v1/openapi.json",
        "--url",
        server.url,
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-time",
        SECONDS,
        "--max-examples",
        "25",
        "--seed",
        "20261126",
        # One worker: CPython 3.11.7's ast.parse is not thread-safe (gh-106905, "AST constructor recursion depth
        # mismatch"), and hypothesis parses sources while schemathesis' workers generate.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--max-failures",
        "20",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
        *identities[identity],
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=int(SECONDS) * 6 + 120, check=False)
    # The failures first (operation, check, curl to reproduce), then the summary; the warnings are left out.
    failures = (
        done.stdout.split("=== FAILURES ===")[-1].split("=== WARNINGS ===")[0] if "FAILURES" in done.stdout else ""
    )
    summary = done.stdout.split("=== SUMMARY ===")[-1]
    report = (failures[-15000:] + "\n" + summary[-3000:] + done.stderr[-2000:]).strip()
    assert done.returncode == 0, f"schemathesis ({identity}) a trouvé des écarts :\n{report}"
    assert re.search(r"\b\d+ passed\b", done.stdout) or "No issues found" in done.stdout, report
