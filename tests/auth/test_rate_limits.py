"""Guessing passwords is slowed down, kindly."""

from __future__ import annotations

from tests.conftest import make_app


def test_sign_in_attempts_are_limited_with_a_friendly_page(schema):
    limited = make_app(schema, RATELIMIT_ENABLED=True)
    with limited.app_context():
        browser = limited.test_client()
        token = browser.csrf_token()
        answers = [
            browser.post(
                "/login",
                data={
                    "email": "x@example.org",
                    "password": "guess number one",
                    "csrf_token": token,
                },
            ).status_code
            for _ in range(11)
        ]
        assert answers[:10] == [422] * 10
        assert answers[10] == 429
        page = browser.post(
            "/login", data={"email": "x@example.org", "password": "again", "csrf_token": token}
        )
        assert page.status_code == 429
        assert "Let’s slow down for a moment" in page.get_data(as_text=True)
        # Reading the sign-in page is never limited.
        assert browser.get("/login").status_code == 200


def test_registering_is_limited_too(schema):
    limited = make_app(schema, RATELIMIT_ENABLED=True)
    with limited.app_context():
        browser = limited.test_client()
        token = browser.csrf_token()
        codes = [
            browser.post("/register", data={"email": "bad", "password": "x", "csrf_token": token})
            .status_code
            for _ in range(6)
        ]
        assert codes == [422] * 5 + [429]
