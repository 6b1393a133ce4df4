"""A backup made while Tend runs restores into a fresh database, and everything reads back
identically with the same master key; without that key, a restore refuses to start."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta

from sqlalchemy import func, select

from tests.conftest import make_app, run_cli
from tests.media.helpers import Uploader, photo_bytes, sha, tone_encoded
from tests.test_migrations import empty_database_url  # noqa: F401  (a fixture)
from webapp.auth.models import User
from webapp.crypto import Keyring, encode_key, generate_key, key_id
from webapp.extensions import db
from webapp.intentions.models import Intention
from webapp.journal.models import Entry
from webapp.journeys.models import IntegrationSettings, Journey
from webapp.media import storage
from webapp.media.library import add_picture
from webapp.media.models import Media
from webapp.practices.models import ChosenPractice, PracticeLog
from webapp.push.models import PushSubscription
from webapp.push.schedules import plan_test_reminder
from webapp.recovery.services import make_recovery_codes
from webapp.support.models import SafetyPlan
from webapp.types import utcnow

MARKER = "moss on the north side of the stones"


def fill_the_journal(alice, bob, *, media: bool = False) -> None:
    alice.submit("/entries", {"title": "After", "body": MARKER, "mood": "4"})
    bob.submit("/entries", {"body": "bob's own morning"})
    user = db.session.scalar(select(User).where(User.email == "alice@example.org"))
    journey = Journey(user_id=user.id, started_at=utcnow() - timedelta(days=3),
                      intention="to listen", setting_notes="a quiet room")
    chosen = ChosenPractice(user_id=user.id, practice_id="integration-session",
                            weekdays=0b0010101, time_of_day=time(8, 30))
    db.session.add_all([journey, chosen])
    db.session.flush()
    db.session.add_all([
        Intention(user_id=user.id, journey_id=journey.id, text="walk each morning"),
        PracticeLog(user_id=user.id, chosen_practice_id=chosen.id, done_on=date.today(),
                    note="felt the breath"),
        SafetyPlan(user_id=user.id, warning_signs="not sleeping", what_helps="the sea"),
        IntegrationSettings(user_id=user.id, reflection_days=4, meaning_days=20,
                            therapist_contact="Dr. Rowan, 555-0100"),
        PushSubscription(user_id=user.id, endpoint="https://push.example/alice-phone",
                         p256dh="key", auth="auth", device_label="Alice's phone"),
    ])
    db.session.commit()
    plan_test_reminder(user)
    make_recovery_codes(user)
    if media:
        add_media(alice, user)


def add_media(alice, user) -> None:
    # A voice memo of its own, and a photo and a drawing on Alice's entry.
    Uploader(alice).upload(tone_encoded(1.5), "memo", {"entry": {
        "entry_id": str(uuid.uuid4()), "title": "Said aloud", "note": "",
        "client_updated_at": utcnow().isoformat()}})
    entry = next(e for e in db.session.scalars(select(Entry).where(Entry.user_id == user.id))
                 if e.title == "After")
    add_picture(user, entry, photo_bytes())
    add_picture(user, entry, photo_bytes((300, 300), "PNG"), drawing=True)


def media_contents() -> dict:
    """Every stored memo, photo and drawing, decrypted: its description and its bytes' hash."""
    contents = {}
    for media in db.session.scalars(select(Media).order_by(Media.id)):
        file = storage.file_reader(media).readall()
        thumb = storage.file_reader(media, thumb=True).readall() if media.thumb_size else b""
        contents[str(media.id)] = (media.kind, media.content_type, media.duration_ms,
                                   media.entry_id, sha(file), sha(thumb), len(file))
    return contents


def snapshot() -> dict:
    """Everything that should survive: every person's export, and every table's rows."""
    from webapp.insights.export import export_data

    db.session.expire_all()
    people = {}
    for user in db.session.scalars(select(User).order_by(User.email)):
        data = export_data(user)
        data.pop("exported_at")
        people[user.email] = data
    counts = {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }
    devices = sorted(
        (s.endpoint, s.device_label, s.p256dh, s.auth) for s in db.session.scalars(
            select(PushSubscription))
    )
    return {"people": people, "counts": counts, "devices": devices, "media": media_contents()}


def test_backup_restores_into_a_fresh_database_and_reads_back_identically(
    app, alice, bob, tmp_path, empty_database_url  # noqa: F811
):
    fill_the_journal(alice, bob, media=True)
    before = snapshot()
    assert MARKER in str(before["people"]["alice@example.org"])
    path = tmp_path / "tend.backup"

    made = run_cli(app, "backup", "create", str(path))
    assert made.exit_code == 0, made.output
    assert "The master key is NOT in this backup" in made.output
    assert (path.stat().st_mode & 0o777) == 0o600
    data = path.read_bytes()
    keyring = app.extensions["tend_keyring"]
    for key in keyring.keys.values():
        assert key not in data and encode_key(key).encode() not in data
    assert MARKER.encode() not in data  # journal text is ciphertext in the backup too

    checked = run_cli(app, "backup", "verify", str(path))
    assert checked.exit_code == 0, checked.output
    assert "entries" in checked.output and "opens its journals" in checked.output

    restored = make_app(empty_database_url)
    assert run_cli(restored, "backup", "restore", str(path), "--yes").exit_code == 0
    with restored.app_context():
        after = snapshot()
        db.session.remove()
        db.engine.dispose()
    assert after == before
    assert after["counts"]["recovery_codes"] == 10 and after["counts"]["reminders"] == 1
    kinds = sorted(kind for kind, *_rest in after["media"].values())
    assert kinds == ["drawing", "memo", "photo"]
    assert all(size > 0 for *_rest, size in after["media"].values())


def test_restore_refuses_without_the_master_key_the_backup_needs(
    app, alice, tmp_path, empty_database_url  # noqa: F811
):
    alice.submit("/entries", {"body": MARKER})
    path = tmp_path / "tend.backup"
    assert run_cli(app, "backup", "create", str(path)).exit_code == 0

    elsewhere = make_app(empty_database_url)
    stranger_key = generate_key()
    elsewhere.extensions["tend_keyring"] = Keyring({key_id(stranger_key): stranger_key},
                                                   key_id(stranger_key))
    result = run_cli(elsewhere, "backup", "restore", str(path), "--yes")
    assert result.exit_code != 0
    assert "need master key" in result.output and "TEND_MASTER_KEY" in result.output
    with elsewhere.app_context():
        from webapp.backup.services import database_is_empty

        assert database_is_empty()  # nothing was restored
        db.engine.dispose()
    assert run_cli(elsewhere, "backup", "verify", str(path)).exit_code != 0


def test_restore_refuses_to_overwrite_a_database_in_use(app, alice, tmp_path):
    path = tmp_path / "tend.backup"
    assert run_cli(app, "backup", "create", str(path)).exit_code == 0
    result = run_cli(app, "backup", "restore", str(path), "--yes")
    assert result.exit_code != 0 and "not empty" in result.output
    assert alice.get("/").status_code == 200


def test_create_never_overwrites_and_verify_rejects_what_is_not_a_backup(app, tmp_path):
    taken = tmp_path / "exists.backup"
    taken.write_text("keep me")
    result = run_cli(app, "backup", "create", str(taken))
    assert result.exit_code != 0 and "already exists" in result.output
    assert taken.read_text() == "keep me"
    bad = run_cli(app, "backup", "verify", str(taken))
    assert bad.exit_code != 0 and "not a Tend backup" in bad.output


def test_a_backup_is_consistent_while_tend_keeps_writing(app, alice, tmp_path):
    """Writes during the copy land either wholly in it or not at all."""
    import threading

    stop = threading.Event()
    writer_app = make_app(app.config["SQLALCHEMY_DATABASE_URI"])

    def keep_writing():
        with writer_app.app_context():
            user = db.session.scalar(select(User))
            while not stop.is_set():
                db.session.add(Journey(user_id=user.id, started_at=utcnow(), intention="x"))
                db.session.commit()
            db.session.remove()
            db.engine.dispose()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        path = tmp_path / "busy.backup"
        result = run_cli(app, "backup", "create", str(path))
    finally:
        stop.set()
        writer.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert "journeys" in result.output
