"""Tend served the production way: gunicorn with two workers behind a TLS proxy, sharing
rate limits through Redis."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import IN_CI, PASSWORD

# Its tests empty one shared Redis database: under pytest-xdist they run on one worker.
pytestmark = [pytest.mark.xdist_group("redis"), pytest.mark.slow]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        connection.flushdb()
    except redis.exceptions.ConnectionError as exc:
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture
def gunicorn(app, redis_url, tmp_path):
    """`gunicorn -w 2 wsgi:app` on the database under test, as behind a TLS proxy."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "production-like secret",
        "RATELIMIT_STORAGE_URI": redis_url,
        "TRUST_PROXY": "1",
        "TEND_INSTANCE_PATH": str(tmp_path),
    }
    gunicorn_bin = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn_bin), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/login", timeout=5)
            break
        except (requests.ConnectionError, requests.Timeout):
            if process.poll() is not None:
                pytest.fail(process.stdout.read().decode())
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


PROXY_HEADERS = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "198.51.100.4",
    "X-Forwarded-Host": "tend.example",
}
PROXIED_REFERER = {**PROXY_HEADERS, "Referer": "https://tend.example/"}


class ProxiedPhone(requests.Session):
    """A phone talking HTTPS to the proxy; the proxy's plain-HTTP hop is what we drive.

    Tend marks cookies Secure (the request was HTTPS at the proxy); this client still
    sends them over the local hop, as the proxy would.
    """

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", 5)
        kwargs.setdefault("allow_redirects", False)
        kwargs["headers"] = {**PROXIED_REFERER, **kwargs.get("headers", {})}
        response = super().request(method, url, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def _token(session: requests.Session, url: str) -> str:
    page = session.get(url).text
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_a_person_writes_through_gunicorn_behind_a_tls_proxy(gunicorn):
    phone = ProxiedPhone()
    token = _token(phone, gunicorn + "/register")
    response = phone.post(
        gunicorn + "/register",
        data={"email": "prod@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, response.text
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age" in response.headers["Strict-Transport-Security"]

    token = _token(phone, gunicorn + "/login")
    for n in range(4):  # spread over both workers
        saved = phone.post(
            gunicorn + "/entries", data={"body": f"written through gunicorn {n}", "csrf_token": token}
        )
        assert saved.status_code == 302, saved.text
    timeline = phone.get(gunicorn + "/journal")
    assert all(f"written through gunicorn {n}" in timeline.text for n in range(4))


def test_two_workers_share_one_sign_in_limit_through_redis(gunicorn):
    guesser = ProxiedPhone()
    token = _token(guesser, gunicorn + "/login")
    codes = [
        guesser.post(
            gunicorn + "/login",
            data={"email": "x@example.org", "password": "guess", "csrf_token": token},
        ).status_code
        for _ in range(14)
    ]
    # Ten tries per minute in all, not ten per worker.
    assert codes.count(422) == 10
    assert codes[10:] == [429] * 4
