"""A person creates an account, signs in and out; strangers learn nothing."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import PASSWORD, register
from webapp.auth import services
from webapp.auth.models import User
from webapp.extensions import db


def argon2_cost(app) -> str:
    """How an Argon2 hash names the app's cost (cheaper under test, see tests/test_config.py)."""
    cost = app.config["ARGON2"]
    return f"m={cost['memory_cost']},t={cost['time_cost']},p={cost['parallelism']}"


def test_register_signs_in_and_stores_an_argon2id_hash(app, client):
    response = register(client, "  Mira@Example.ORG ", timezone="America/New_York")
    assert response.status_code == 302
    assert client.get("/").status_code == 200

    user = db.session.scalar(select(User))
    assert user.email == "mira@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert argon2_cost(app) in user.password_hash
    assert PASSWORD not in user.password_hash
    assert user.timezone == "America/New_York"


def test_unknown_timezone_falls_back_to_utc(client):
    register(client, "tz@example.org", timezone="Mars/Olympus_Mons")
    assert db.session.scalar(select(User.timezone)) == "UTC"


def test_same_email_in_other_case_cannot_register_twice(client, alice):
    response = register(client, "ALICE@example.org")
    assert response.status_code == 422
    assert "already has an account" in response.get_data(as_text=True)
    assert db.session.query(User).count() == 1


def test_register_explains_each_bad_field_and_keeps_the_email(client):
    response = register(client, "not-an-email", password="short")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please enter an email address" in page
    assert "at least 10 characters" in page
    assert 'value="not-an-email"' in page
    assert db.session.query(User).count() == 0


def test_sign_in_with_normalised_email_and_follow_a_local_next(client, alice):
    client.get("/")
    response = client.submit(
        "/login", {"email": " ALICE@example.org", "password": PASSWORD, "next": "/?q=lake"}
    )
    assert response.status_code == 302
    assert response.location == "/?q=lake"


def test_sign_in_never_redirects_to_another_site(app, alice):
    stranger = app.test_client()
    response = stranger.submit(
        "/login", {"email": "alice@example.org", "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert response.status_code == 302
    assert response.location == "/"


def test_wrong_password_and_unknown_email_get_the_same_answer(client, alice):
    wrong = client.submit("/login", {"email": "alice@example.org", "password": "nope nope nope"})
    unknown = client.submit("/login", {"email": "nobody@example.org", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 422
    for response in (wrong, unknown):
        assert "The email or password is incorrect." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_out_ends_the_session(alice):
    response = alice.submit("/logout")
    assert response.status_code == 302
    assert alice.get("/").status_code == 302
    assert alice.get("/").location.startswith("/login")


def test_sign_out_needs_post_so_a_link_cannot_sign_someone_out(alice):
    assert alice.get("/logout").status_code == 405
    assert alice.get("/").status_code == 200


def _cookie_headers(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def test_session_cookie_is_httponly_and_lax_and_ends_with_the_browser(client):
    response = register(client, "c@example.org")
    cookies = _cookie_headers(response)
    session_cookie = next(c for c in cookies if c.startswith("tend_session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    assert "Expires" not in session_cookie
    assert "Secure" not in session_cookie  # plain http on 127.0.0.1 during set-up
    assert not any(c.startswith("tend_remember=") for c in cookies)
    # Later requests do not quietly turn the session into a remembered one.
    assert not any(c.startswith("tend_remember=") for c in _cookie_headers(client.get("/")))


def test_remember_this_device_sets_a_long_lived_cookie_that_signs_back_in(app):
    device = app.test_client()
    response = register(device, "r@example.org", remember="1")
    remember = next(c for c in _cookie_headers(response) if c.startswith("tend_remember="))
    assert "HttpOnly" in remember and "Expires=" in remember

    # The browser was closed: the session cookie is gone, the remember cookie stays.
    device.delete_cookie("tend_session")
    assert device.get("/").status_code == 200


def test_cookies_are_secure_when_served_over_https(client):
    response = client.get("/login", base_url="https://tend.example")
    token = response.get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post(
        "/register",
        data={"email": "s@example.org", "password": PASSWORD, "remember": "1",
              "csrf_token": token},
        base_url="https://tend.example",
        headers={"Referer": "https://tend.example/register"},
    )
    assert response.status_code == 302
    cookies = _cookie_headers(response)
    assert cookies and all("; Secure" in c for c in cookies)


def test_registration_can_be_closed_by_the_host(schema):
    from tests.conftest import make_app

    closed = make_app(schema, REGISTRATION_OPEN=False)
    with closed.app_context():
        browser = closed.test_client()
        assert browser.get("/register").status_code == 403
        assert "Create an account" not in browser.get("/login").get_data(as_text=True)


def test_authenticate_upgrades_weaker_hashes(app):
    from argon2 import PasswordHasher

    cost = app.config["ARGON2"]
    weak = PasswordHasher(time_cost=1, memory_cost=cost["memory_cost"] // 2, parallelism=1)
    user = User(email="old@example.org", password_hash=weak.hash(PASSWORD))
    db.session.add(user)
    db.session.commit()
    assert services.authenticate("old@example.org", PASSWORD) == user
    assert argon2_cost(app) in user.password_hash
    assert services.authenticate("old@example.org", "wrong password") is None


def test_after_erasing_an_account_the_page_says_goodbye_not_welcome_back(alice):
    response = alice.submit("/account/delete", {"password": PASSWORD,
                                                "confirmation": "delete my journal"})
    assert response.status_code == 302 and response.location == "/login"
    html = alice.get("/login").get_data(as_text=True)
    assert "Welcome back" not in html and "Your journal is here" not in html
    assert "Goodbye, and gentle care" in html
    assert "Welcome back" in alice.get("/login").get_data(as_text=True)  # only that once


def test_light_or_dark_is_kept_for_the_person(alice):
    assert 'data-theme="system"' in alice.get("/").get_data(as_text=True)
    response = alice.submit("/account/theme", {"theme": "dark"})
    assert response.status_code == 302 and response.location == "/more"
    assert '<html lang="en" data-theme="dark">' in alice.get("/journal").get_data(as_text=True)
    answer = alice.post("/account/theme", data={"theme": "light",
                                                "csrf_token": alice.csrf_token()},
                        headers={"Accept": "application/json"})
    assert answer.get_json() == {"theme": "light"}
    refused = alice.post("/account/theme", data={"theme": "neon",
                                                 "csrf_token": alice.csrf_token()},
                         headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "theme" in refused.get_json()["errors"]
    assert 'data-theme="light"' in alice.get("/").get_data(as_text=True)


def test_sign_out_lives_in_more_and_account_away_from_support(alice):
    today = alice.get("/").get_data(as_text=True)
    header = today[today.index('<header class="topbar">'):today.index("</header>")]
    assert "Support" in header and "Sign out" not in header
    for path in ["/more", "/account"]:
        assert "data-sign-out" in alice.get(path).get_data(as_text=True), path
