"""In a real browser, Tend talks to nobody but itself and breaks none of its own CSP."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_every_request_stays_on_tends_origin(phone, live_server):
    page = phone
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))

    page.goto("/register")
    page.get_by_label("Email").fill("quiet@example.org")
    page.get_by_label("Password").fill("nobody else is listening")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")
    page.goto("/journal")
    page.get_by_label("What is here for you today?").fill("Only for me.")
    page.get_by_role("button", name="Save entry").click()
    page.get_by_text("Only for me.").wait_for()
    page.goto("/account")
    page.get_by_text("Signed-in devices").wait_for()
    page.goto("/account/delete")
    for path in ["/", "/practices", "/journeys", "/more", "/insights", "/support", "/settings"]:
        page.goto(path)
    page.goto("/no-such-page")

    assert len(seen) > 8
    foreign = [url for url in seen if not url.startswith((live_server.url, "data:"))]
    assert foreign == []
