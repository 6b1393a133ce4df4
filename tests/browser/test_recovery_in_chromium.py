"""On a phone: sign up, keep the recovery codes Tend offers, forget the password, and come
back in with one code; in Debian's Chromium, with no CSP violation on any page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def fits_the_screen(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def test_recovery_codes_bring_a_person_back_in(phone):
    page = phone
    page.goto("/register")
    page.get_by_label("Email").fill("heron@example.org")
    page.get_by_label("Password").fill("slow breath, long exhale")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")
    expect(page.get_by_role("heading", name="A way back in")).to_be_visible()

    page.get_by_role("link", name="Make my recovery codes").click()
    page.get_by_role("button", name="Make my recovery codes").click()
    codes = page.locator(".recovery-codes code")
    expect(codes).to_have_count(10)
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    fits_the_screen(page)
    code = codes.nth(4).inner_text()

    page.goto("/more")  # where the shell keeps signing out
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_text("encrypted under its own key")).to_be_visible()
    page.get_by_role("link", name="Use a recovery code").click()
    page.get_by_label("Email").fill("heron@example.org")
    page.get_by_label("Recovery code").fill(code.upper())
    page.get_by_label("New password").fill("a new and kinder password")
    page.get_by_role("button", name="Set my new password").click()
    page.wait_for_url("**/login")
    expect(page.get_by_text("Your new password is set")).to_be_visible()
    fits_the_screen(page)

    page.get_by_label("Email").fill("heron@example.org")
    page.get_by_label("Password").fill("a new and kinder password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    page.goto("/account/recovery-codes")
    expect(page.get_by_text("9 of 10")).to_be_visible()
