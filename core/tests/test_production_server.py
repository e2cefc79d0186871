"""The production setup of docs/deploy.md, for real: gunicorn serving kehu.wsgi with KEHU_ENV=production
(whitenoise for static files, hardened settings) on 127.0.0.1, against this test run's database.

The server is a separate process, so it must see the test's rows: on PostgreSQL it connects to the
test database (the test commits its rows); SQLite's test database lives in memory, so it is copied
to a file first with SQLite's backup API.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from http.client import HTTPConnection, HTTPMessage
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from core.testing import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS-terminating proxy in front of kehu adds


def _database_url(tmp_path: Path) -> str:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        target = tmp_path / "kehu.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        connection.connection.backup(copy)
        copy.close()
        return f"sqlite:///{target}"
    user = urllib.parse.quote(params.get("USER") or "")
    password = urllib.parse.quote(params.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = params.get("HOST") or "localhost"
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{params['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET",
         body: str | None = None) -> tuple[int, str, HTTPMessage]:
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace"), response.headers
    finally:
        conn.close()


def _cookie(headers: HTTPMessage, name: str) -> tuple[str, str] | None:
    """(value, the whole Set-Cookie header) of cookie `name`."""
    for header in headers.get_all("Set-Cookie") or []:
        match = re.match(rf"{name}=([^;]*)", header)
        if match:
            return match.group(1), header
    return None


@pytest.fixture
def production_server(tmp_path, make_user, make_customer, team_a):
    # The server runs with the production hashers: the test user's password is hashed the real way
    # (the suite otherwise uses a fast hasher, core.testing).
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        user = make_user("sales", team_a, username="prod_sales")
    make_customer(user, name="生产环境客户", city="杭州")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KEHU_") and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DATABASE_URL=_database_url(tmp_path), KEHU_ENV="production", KEHU_SECRET_KEY=secrets.token_urlsafe(60),
        KEHU_ALLOWED_HOSTS="127.0.0.1", KEHU_DATA_DIR=str(tmp_path / "data"), KEHU_LOG_LEVEL="ERROR",
    )
    run = {"cwd": settings.BASE_DIR, "env": env, "capture_output": True, "text": True, "timeout": 300}
    collected = subprocess.run([sys.executable, "-m", "kehu", "collectstatic", "--no-input", "-v", "0"], **run)
    assert collected.returncode == 0, collected.stderr
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kehu.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--log-level", "warning"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode()
            try:
                if _get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start within 60 s"
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_serves_pages_static_files_and_health_with_production_settings(production_server):
    port = production_server
    # The load balancer's health check: plain HTTP, no redirect, no login, reveals nothing.
    status, body, _headers = _get(port, "/healthz")
    assert status == 200 and '"status": "ok"' in body.replace('":"', '": "')
    assert connection.vendor in body

    # Plain HTTP to a page is sent to HTTPS; through the proxy (X-Forwarded-Proto) it is served.
    status, _body, headers = _get(port, "/accounts/login/")
    assert status == 301 and headers["Location"].startswith("https://")
    status, body, headers = _get(port, "/accounts/login/", HTTPS)
    assert status == 200
    assert "max-age=" in headers["Strict-Transport-Security"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers.get("X-Frame-Options") == "DENY"

    # Static files come from whitenoise with content-hashed names and long caching.
    css = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', body)
    assert css, "stylesheet with a hashed name"
    status, _css, static_headers = _get(port, css.group(1), HTTPS)
    assert status == 200 and "max-age=315360000" in static_headers["Cache-Control"]

    # Log in through the form: the session cookie is Secure and HttpOnly; the list shows the customer.
    csrf, _header = _cookie(headers, "csrftoken")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode({"username": "prod_sales", "password": PASSWORD, "csrfmiddlewaretoken": token})
    status, _body, headers = _get(port, "/accounts/login/", {
        **HTTPS, "Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded",
        "Referer": "https://127.0.0.1/accounts/login/",
    }, method="POST", body=form)
    assert status == 302
    session, session_header = _cookie(headers, "sessionid")
    assert "Secure" in session_header and "HttpOnly" in session_header
    status, body, _headers = _get(port, "/customers/", {**HTTPS, "Cookie": f"sessionid={session}"})
    assert status == 200 and "生产环境客户" in body
