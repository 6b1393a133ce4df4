"""After signing in or unlocking, ``next`` only ever leads to a page of Tend, whatever form an
address to another site is disguised in."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.security.test_app_lock import turn_on_lock
from webapp.web.redirects import safe_next

ELSEWHERE = [
    "//evil.example/x",
    "////evil.example/x",
    "/////evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "/\\/evil.example/x",
    "%2F%2Fevil.example/x",
    "/%2F%2Fevil.example/x",
    "/%2f%2fevil.example/x",
    "/%252F%252Fevil.example/x",
    "/%5Cevil.example/x",
    "/\t/evil.example/x",
    "/\n/evil.example/x",
    "/%09/evil.example/x",
    "/\r\nSet-Cookie: stolen=1",
    "/journal\r\nLocation: https://evil.example",
    " //evil.example/x",
    "https://evil.example/x",
    "HTTPS://evil.example/x",
    "http:evil.example",
    "//user@evil.example",
    "javascript:alert(1)",
    "data:text/html,hi",
    "evil.example",
    "/" + "a" * 3000,
]
SAME_SITE = ["/journal", "/journal?q=blue%20light", "/entries/abc#note", "/settings/reminders"]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_no_disguise_of_another_site_is_followed(target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", SAME_SITE)
def test_paths_on_this_site_are_followed(target):
    assert safe_next(target, "/home") == target


def location_stays_here(response) -> None:
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "evil" not in location and "\r" not in location and "\n" not in location


@pytest.mark.parametrize("target", ELSEWHERE)
def test_signing_in_never_leads_to_another_site(app, alice, target):
    newcomer = app.test_client()
    response = newcomer.submit("/login", {"email": "alice@example.org", "password": PASSWORD,
                                          "next": target})
    location_stays_here(response)
    location_stays_here(alice.get("/login", query_string={"next": target}))


@pytest.mark.parametrize("target", ELSEWHERE)
def test_unlocking_never_leads_to_another_site(alice, target):
    turn_on_lock(alice)
    location_stays_here(alice.get("/unlock", query_string={"next": target}))  # not locked
    alice.submit("/lock")
    location_stays_here(alice.submit("/unlock", {"pin": "2468", "next": target}))


def test_a_path_on_this_site_is_followed_after_signing_in(app, alice):
    newcomer = app.test_client()
    response = newcomer.submit("/login", {"email": "alice@example.org", "password": PASSWORD,
                                          "next": "/journal?q=blue%20light"})
    assert response.headers["Location"] == "/journal?q=blue%20light"
