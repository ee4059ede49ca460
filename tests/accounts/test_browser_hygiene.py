"""check --deploy with production settings; security headers (CSP with a nonce, frame-ancestors, nosniff…)."""

import os
import re
import secrets
import subprocess
import sys


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "SANSCOUTURE_PRODUCTION": "1",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "sanscouture.example.fr",
        "SANSCOUTURE_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "sanscouture.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout + done.stderr


def test_pages_carry_csp_with_a_nonce_used_by_the_scripts(client, db):
    response = client.get("/connexion/")
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)[1]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "'unsafe-inline'" not in csp.split(";")[1]
    html = response.content.decode()
    assert f'nonce="{nonce}"' in html
    assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert nonce != re.search(r"'nonce-([^']+)'", client.get("/connexion/")["Content-Security-Policy"])[1]


def test_session_and_csrf_cookies_are_httponly_and_samesite(agent, client):
    from django.conf import settings

    from .conftest import full_login

    full_login(client, *agent)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
