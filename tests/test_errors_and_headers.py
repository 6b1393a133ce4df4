"""Errors are friendly pages (fragments for htmx); every answer carries strict headers."""

from __future__ import annotations

import pytest

from tests.conftest import make_app


@pytest.fixture
def fragile_app(schema):
    """An app with a route that fails, to see what a person sees on a server error."""
    flask_app = make_app(schema, PROPAGATE_EXCEPTIONS=False)

    @flask_app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    return flask_app


def test_a_server_error_is_a_calm_page_without_details(fragile_app):
    response = fragile_app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "RuntimeError" not in page and "a bug" not in page


def test_a_server_error_during_htmx_goes_to_the_message_area(fragile_app):
    response = fragile_app.test_client().get("/boom", headers={"HX-Request": "true"})
    assert response.status_code == 500
    assert response.headers["HX-Retarget"] == "#messages"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert 'role="alert"' in response.get_data(as_text=True)


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "We couldn’t find that" in response.get_data(as_text=True)


def test_wrong_method_is_405_with_allow_header(client):
    response = client.put("/login")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "That can’t be done here" in response.get_data(as_text=True)


def test_every_page_carries_a_strict_content_security_policy(client):
    headers = client.get("/login").headers
    csp = headers["Content-Security-Policy"]
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]:
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers


def test_hsts_only_over_https(client):
    assert "max-age" in client.get("/login", base_url="https://tend.example").headers[
        "Strict-Transport-Security"
    ]


def test_forwarded_https_is_ignored_unless_the_proxy_is_trusted(schema):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    untrusted = make_app(schema).test_client().get("/login", headers=forwarded)
    assert "Strict-Transport-Security" not in untrusted.headers

    trusted = make_app(schema, TRUST_PROXY=True)
    seen = {}

    @trusted.get("/whoami")
    def whoami():
        from flask import request

        seen.update(scheme=request.scheme, remote=request.remote_addr)
        return "ok"

    response = trusted.test_client().get("/whoami", headers=forwarded)
    assert seen == {"scheme": "https", "remote": "203.0.113.7"}
    assert "Strict-Transport-Security" in response.headers


def test_versioned_static_files_are_cached_for_a_year(client):
    page = client.get("/login").get_data(as_text=True)
    css_url = page.split('rel="stylesheet" href="')[1].split('"')[0]
    assert "?v=" in css_url
    response = client.get(css_url)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "max-age" not in client.get("/static/css/tend.css").headers.get("Cache-Control", "")


def test_htmx_is_vendored_with_its_licence(client):
    page = client.get("/login").get_data(as_text=True)
    assert "/static/vendor/htmx/htmx-2.0.11.min.js" in page
    assert client.get("/static/vendor/htmx/LICENSE").status_code == 200


def test_static_files_carry_only_the_headers_that_matter_to_them(client):
    # Files: a stylesheet, the manifest, the kept pages as the worker fetches them (JSON).
    for url in ("/static/css/tend.css", "/manifest.webmanifest", "/kept-pages/first"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        for policy in ("Content-Security-Policy", "X-Frame-Options", "Permissions-Policy"):
            assert policy not in response.headers, (url, policy)
        # The same for everyone: a cache need not keep a copy per cookie.
        assert "cookie" not in response.headers.get("Vary", "").lower(), url
    # A worker is governed by its script and referrer policies; a page by all of them.
    worker = client.get("/sw.js")
    assert "script-src 'self'" in worker.headers["Content-Security-Policy"]
    assert worker.headers["Referrer-Policy"] == "no-referrer"
    assert "X-Frame-Options" not in worker.headers
    assert "cookie" not in worker.headers.get("Vary", "").lower()
    page = client.get("/write")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "Cookie" in page.headers["Vary"]
