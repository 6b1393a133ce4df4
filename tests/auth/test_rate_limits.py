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


class StoppedClock:
    """The rate limiter's clock, moved by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def test_the_sign_in_limit_allows_no_double_burst_where_two_minutes_meet(schema, monkeypatch):
    import limits.storage.memory

    clock = StoppedClock(1_000_000.0)
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    limited = make_app(schema, RATELIMIT_ENABLED=True)
    with limited.app_context():
        browser = limited.test_client()
        token = browser.csrf_token()

        emails = (f"person{n}@example.org" for n in range(100))  # the per-address limit only

        def guess() -> int:
            form = {"email": next(emails), "password": "a guess", "csrf_token": token}
            return browser.post("/login", data=form).status_code

        assert guess() == 422
        clock.now += 59  # nine more just before the first try's minute ends: ten in all
        assert [guess() for _ in range(9)] == [422] * 9
        clock.now += 2  # the first try has left the window; the other nine are still in it
        assert guess() == 422
        assert guess() == 429  # a fixed minute would have started afresh and allowed ten more
