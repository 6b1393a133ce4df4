"""Whoever runs Tend manages accounts from the command line, and never sees journal text."""

from __future__ import annotations

import contextvars
import json
from urllib.parse import urlsplit

from sqlalchemy import func, select

from tests.conftest import PASSWORD, run_cli
from tests.media.helpers import photo_bytes
from tests.push.conftest import dispatcher, push_app, push_service, server_key, subscribe  # noqa: F401
from webapp.auth.models import DeviceSession, SecurityEvent, User
from webapp.auth.services import find_user_by_email
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.media.library import add_picture
from webapp.push.models import Reminder
from webapp.push.schedules import plan_test_reminder

SECRET_TEXT = "the owl that sat on the fence at dusk"


def cli(app, *args: str, input: str | None = None):
    runner = app.test_cli_runner()
    return contextvars.Context().run(runner.invoke, args=list(args), input=input)


def kinds(email: str) -> list[str]:
    user = find_user_by_email(email)
    return list(db.session.scalars(select(SecurityEvent.kind).where(SecurityEvent.user_id == user.id)))


def test_list_shows_accounts_with_counts_and_never_their_words(app, alice, bob):
    alice.submit("/entries", {"body": SECRET_TEXT, "title": SECRET_TEXT})
    alice.submit("/entries", {"body": "another"})
    result = run_cli(app, "users", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["EMAIL", "CREATED", "(UTC)", "LAST", "SEEN", "(UTC)", "ENTRIES",
                                "MEDIA", "MEDIA", "SIZE", "STATUS"]
    alice_line = next(line for line in lines if line.startswith("alice@example.org"))
    assert alice_line.split()[-5:] == ["2", "0", "0", "B", "active"]
    assert SECRET_TEXT not in result.output and "owl" not in result.output

    as_json = json.loads(run_cli(app, "users", "list", "--json").output)
    assert [a["email"] for a in as_json] == ["alice@example.org", "bob@example.org"]
    assert as_json[0]["entries"] == 2 and as_json[0]["last_seen_at"]
    assert SECRET_TEXT not in json.dumps(as_json)


def test_list_shows_each_persons_media_use_in_items_and_bytes_but_nothing_they_made(
    app, alice, bob
):
    alice.submit("/entries", {"body": SECRET_TEXT})
    owner = find_user_by_email("alice@example.org")
    entry = db.session.scalar(select(Entry).where(Entry.user_id == owner.id))
    first = add_picture(owner, entry, photo_bytes())
    second = add_picture(owner, entry, photo_bytes((400, 300)), drawing=True)
    stored = first.size + first.thumb_size + second.size + second.thumb_size

    as_json = json.loads(run_cli(app, "users", "list", "--json").output)
    by_email = {a["email"]: a for a in as_json}
    assert by_email["alice@example.org"]["media_items"] == 2
    assert by_email["alice@example.org"]["media_bytes"] == stored
    assert by_email["bob@example.org"]["media_items"] == 0
    assert by_email["bob@example.org"]["media_bytes"] == 0

    table = run_cli(app, "users", "list").output
    alice_line = next(line for line in table.splitlines() if line.startswith("alice@"))
    assert alice_line.split()[-5:-1] == ["1", "2", f"{stored / 1000:.1f}", "KB"]
    assert SECRET_TEXT not in table and "owl" not in table


def test_create_asks_for_the_password_twice_and_refuses_duplicates(app, client):
    made = cli(app, "users", "create", "Kai@Example.org", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert made.exit_code == 0, made.output
    assert PASSWORD not in made.output
    assert client.submit("/login", {"email": "kai@example.org", "password": PASSWORD}).status_code == 302
    again = cli(app, "users", "create", "kai@example.org", "--password", PASSWORD)
    assert again.exit_code != 0 and "already has an account" in again.output
    short = cli(app, "users", "create", "x@example.org", "--password", "short")
    assert short.exit_code != 0 and "at least 10 characters" in short.output


def test_reset_password_prints_a_single_use_link_for_the_person(app, alice):
    result = run_cli(app, "users", "reset-password", "alice@example.org", "--minutes", "60")
    assert result.exit_code == 0, result.output
    path = urlsplit(result.stdout.strip()).path
    person = app.test_client()
    assert person.submit(path, {"new_password": "chosen by alice herself"}).status_code == 302
    assert alice.get("/").status_code == 302  # signed out everywhere
    assert person.submit("/login", {"email": "alice@example.org",
                                    "password": "chosen by alice herself"}).status_code == 302


def test_reset_password_can_set_one_directly_after_confirmation(app, alice):
    declined = cli(app, "users", "reset-password", "alice@example.org", "--set", input="n\n")
    assert declined.exit_code != 0
    assert alice.get("/").status_code == 200
    done = cli(app, "users", "reset-password", "alice@example.org", "--set", "--yes",
               input="typed by the host\ntyped by the host\n")
    assert done.exit_code == 0, done.output
    assert alice.get("/").status_code == 302
    assert "password_reset" in kinds("alice@example.org")


def test_a_paused_account_cannot_sign_in_and_enabling_restores_everything(app, alice):
    alice.submit("/entries", {"body": SECRET_TEXT})
    paused = run_cli(app, "users", "disable", "alice@example.org", "--yes")
    assert paused.exit_code == 0, paused.output

    assert alice.get("/").status_code == 302  # this device is out while paused
    attempt = app.test_client().submit("/login", {"email": "alice@example.org", "password": PASSWORD})
    assert attempt.status_code == 422
    assert "paused by whoever runs Tend" in attempt.get_data(as_text=True)
    wrong = app.test_client().submit("/login", {"email": "alice@example.org", "password": "wrong guess!"})
    assert "paused" not in wrong.get_data(as_text=True)  # only the password holder learns it
    assert db.session.scalar(select(func.count()).select_from(DeviceSession)) == 1

    assert run_cli(app, "users", "enable", "alice@example.org").exit_code == 0
    assert alice.get("/").status_code == 200  # the same device, back as it was
    assert SECRET_TEXT in alice.get("/journal").get_data(as_text=True)
    assert {"account_disabled", "account_enabled"} <= set(kinds("alice@example.org"))


def test_a_paused_account_gets_no_reminders(push_app, alice, push_service, dispatcher):  # noqa: F811
    user = find_user_by_email("alice@example.org")
    phone = push_service.new_subscriber()
    subscribe(user, phone)
    reminder = plan_test_reminder(user)
    run_cli(push_app, "users", "disable", "alice@example.org", "--yes")
    dispatcher.run_once()
    db.session.expire_all()
    assert db.session.get(Reminder, reminder.id).status == "cancelled"
    assert push_service.for_subscriber(phone) == []

    run_cli(push_app, "users", "enable", "alice@example.org")
    later = plan_test_reminder(find_user_by_email("alice@example.org"))
    dispatcher.run_once()
    db.session.expire_all()
    assert db.session.get(Reminder, later.id).status == "sent"
    assert len(push_service.for_subscriber(phone)) == 1


def test_delete_asks_first_then_erases_everything(app, alice, bob):
    alice.submit("/entries", {"body": SECRET_TEXT})
    kept = cli(app, "users", "delete", "alice@example.org", input="n\n")
    assert kept.exit_code != 0
    assert find_user_by_email("alice@example.org") is not None

    gone = run_cli(app, "users", "delete", "alice@example.org", "--yes")
    assert gone.exit_code == 0, gone.output
    assert find_user_by_email("alice@example.org") is None
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 1  # bob stays
    assert bob.get("/").status_code == 200


def test_unknown_addresses_are_a_clear_error(app):
    for command in ("disable", "enable", "delete", "reset-password"):
        result = run_cli(app, "users", command, "nobody@example.org", "--yes") if command in (
            "disable", "delete") else run_cli(app, "users", command, "nobody@example.org")
        assert result.exit_code != 0
        assert "No account uses nobody@example.org" in result.output


def test_a_paused_account_cannot_be_reopened_by_a_code_or_a_link(app, alice):
    from tests.recovery.test_recovery_codes import make_codes

    codes = make_codes(alice)
    link = urlsplit(run_cli(app, "users", "reset-password", "alice@example.org").stdout.strip())
    run_cli(app, "users", "disable", "alice@example.org", "--yes")
    stranger = app.test_client()
    by_code = stranger.submit("/recover", {"email": "alice@example.org", "code": codes[0],
                                           "new_password": "taking over now"})
    assert by_code.status_code == 422
    assert stranger.get(link.path).status_code == 404
    assert stranger.submit(link.path, {"new_password": "taking over now"}).status_code == 422
    run_cli(app, "users", "enable", "alice@example.org")
    assert alice.get("/").status_code == 200  # the password was never changed
