"""Asking whether an email has an account, by signing up with it, is slowed down per email
address from any network, not only per network address."""

from __future__ import annotations

from tests.conftest import PASSWORD, make_app


def test_sign_ups_for_one_email_are_limited_from_any_address(app, alice):
    limited = make_app(app.config["SQLALCHEMY_DATABASE_URI"], RATELIMIT_ENABLED=True,
                       TRUST_PROXY=True)
    with limited.app_context():
        prober = limited.test_client()
        token = prober.csrf_token()
        codes = [
            prober.post("/register", data={"email": "Alice@Example.org ", "password": PASSWORD,
                                           "csrf_token": token},
                        headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
            for n in range(1, 8)
        ]
        assert codes == [422] * 5 + [429, 429]
        # Someone else signing up meanwhile is not held up.
        other = prober.post("/register", data={"email": "wren@example.org", "password": PASSWORD,
                                               "csrf_token": token},
                            headers={"X-Forwarded-For": "203.0.113.50"})
        assert other.status_code == 302
