"""Three devices of one person write and edit offline while the journal is also edited on
the web; syncs succeed, lose their answers, and are retried, in any order. Whatever happens,
no text a device saved is lost: afterwards it is on the server, unless the person replaced
it by editing that very version. The devices also record memos and take photos offline;
their uploads are cut at random points, resumed, and replayed whole: no memo or picture is
ever lost or stored twice."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from tests.media.helpers import PIECE, Uploader, photo_bytes, sha, tone_wav
from webapp.auth.devices import start_device_session
from webapp.auth.models import User
from webapp.extensions import db
from webapp.journal import services as journal
from webapp.journal.models import Entry
from webapp.media.models import Media

CURRENT_APP = {}
EXERCISED = {"cut uploads": 0, "replays": 0}
words = itertools.count()


def unique_text(stem: str) -> str:
    return f"{stem} #{next(words)}"


@dataclass
class Draft:
    id: str
    body: str
    base_version: int | None
    revision: int = 1
    deleted: bool = False


RECORDINGS = [tone_wav(4, pitch=220 + 40 * n) for n in range(3)]  # about 128 KB: 2 pieces
PICTURES = [photo_bytes((200 + 20 * n, 150)) for n in range(3)]


@dataclass
class MediaDraft:
    """A memo or photo kept on a device, with the entry it becomes."""

    id: str
    kind: str
    data: bytes
    entry_id: str
    title: str


@dataclass
class Device:
    name: str
    client: object
    drafts: dict[str, Draft] = field(default_factory=dict)
    media: dict[str, MediaDraft] = field(default_factory=dict)
    sent_media: list[MediaDraft] = field(default_factory=list)  # done: may be replayed

    def token(self) -> str:
        return self.client.get("/api/session").get_json()["csrf_token"]

    def send(self, drafts: list[Draft]) -> list[dict]:
        payload = {
            "drafts": [
                {
                    "id": d.id,
                    "base_version": d.base_version,
                    "body": d.body,
                    "deleted": d.deleted,
                    "client_updated_at": None,
                }
                for d in drafts
            ]
        }
        response = self.client.post(
            "/api/sync", json=payload, headers={"X-CSRFToken": self.token()}
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        results = response.get_json()["results"]
        assert [r["id"] for r in results] == [d.id for d in drafts]
        return results

    def settle(self, sent: dict[str, Draft], results: list[dict]) -> None:
        """What static/js/sync-core.js does with an answer."""
        for result in results:
            was = sent[result["id"]]
            now = self.drafts.get(result["id"])
            assert result["status"] != "rejected", result
            if now is None:
                continue
            if now.revision == was.revision:
                del self.drafts[result["id"]]
            elif result["status"] == "conflict" and result.get("conflict_copy_id"):
                del self.drafts[result["id"]]
                now.id, now.base_version = result["conflict_copy_id"], 1
                self.drafts[now.id] = now
            else:
                now.base_version = result["version"]


DEVICES = st.integers(0, 2)


class DevicesOffline(RuleBasedStateMachine):
    entries = Bundle("entries")

    def __init__(self):
        super().__init__()
        app = CURRENT_APP["app"]
        self.user = User(email=f"{uuid.uuid4().hex}@example.org", password_hash="x")
        db.session.add(self.user)
        db.session.commit()
        self.devices = [Device(name, self._client(app)) for name in ("phone", "tablet", "laptop")]
        self.must_survive: set[str] = set()
        self.replaced: set[str] = set()
        self.copies_reported: set[str] = set()
        self.media_made: dict[str, MediaDraft] = {}  # every memo or photo a device saved
        self.media_done: set[str] = set()  # the ones Tend said are ready

    def _client(self, app):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = start_device_session(
                self.user, remember=False, user_agent=None
            ).cookie_token
            session["_fresh"] = True
        return client

    # --- the server as it is -----------------------------------------------------------

    def server(self) -> dict[str, Entry]:
        db.session.expire_all()
        rows = db.session.scalars(select(Entry).where(Entry.user_id == self.user.id))
        return {str(e.id): e for e in rows}

    def sync(self, device: Device, *, lose_answer: bool = False, retry: bool = False) -> None:
        if not device.drafts:
            return
        sent = {d.id: Draft(**vars(d)) for d in device.drafts.values()}
        before = {i: (e.version, e.body) for i, e in self.server().items()}
        results = device.send(list(sent.values()))
        for draft in sent.values():
            if not draft.deleted:
                self.must_survive.add(draft.body)
        for result in results:
            draft = sent[result["id"]]
            if result["status"] == "updated" and result["id"] in before:
                version, body = before[result["id"]]
                # Only the version the device had seen may be replaced.
                assert draft.base_version == version or (
                    draft.base_version is None and version == 1
                )
                if not draft.deleted:
                    self.replaced.add(body)
            if result.get("conflict_copy_id"):
                self.copies_reported.add(result["conflict_copy_id"])
        if retry:
            # The answer was lost and the device sends exactly the same request again.
            again = device.send(list(sent.values()))
            for first, second in zip(results, again, strict=True):
                if first["status"] == "conflict":
                    assert second == first
                else:
                    assert second == {**first, "status": "unchanged"}, (first, second)
            results = again
        if not lose_answer:
            device.settle(sent, results)

    # --- rules -----------------------------------------------------------------------------

    @rule(target=entries, device=DEVICES)
    def write_a_new_entry_offline(self, device):
        draft = Draft(id=str(uuid.uuid4()), body=unique_text("new"), base_version=None)
        self.devices[device].drafts[draft.id] = draft
        return draft.id

    @rule(device=DEVICES, data=st.data())
    def keep_writing_a_draft(self, device, data):
        drafts = self.devices[device].drafts
        if not drafts:
            return
        draft = drafts[data.draw(st.sampled_from(sorted(drafts)))]
        draft.body = unique_text("edit")
        draft.revision += 1
        draft.deleted = False

    @rule(device=DEVICES, entry_id=entries)
    def open_an_entry_on_a_device_while_online(self, device, entry_id):
        entry = self.server().get(entry_id)
        drafts = self.devices[device].drafts
        if entry is None or entry.deleted_at is not None or entry_id in drafts:
            return
        drafts[entry_id] = Draft(id=entry_id, body=entry.body, base_version=entry.version)

    @rule(device=DEVICES, data=st.data())
    def delete_on_a_device(self, device, data):
        drafts = self.devices[device].drafts
        candidates = sorted(i for i, d in drafts.items() if d.base_version is not None)
        if not candidates:
            return
        draft = drafts[data.draw(st.sampled_from(candidates))]
        draft.deleted = True
        draft.revision += 1

    @rule(entry_id=entries)
    def edit_on_the_web(self, entry_id):
        entry = self.server().get(entry_id)
        if entry is None or entry.deleted_at is not None:
            return
        text = unique_text("web")
        self.replaced.add(entry.body)  # the person saw it in the editor and replaced it
        journal.update_entry(entry, journal.EntryInput(None, text, None))
        self.must_survive.add(text)

    @rule(device=DEVICES)
    def sync_now(self, device):
        self.sync(self.devices[device])

    @rule(device=DEVICES)
    def sync_but_the_answer_is_lost(self, device):
        self.sync(self.devices[device], lose_answer=True)

    @rule(device=DEVICES)
    def sync_and_retry_the_same_request(self, device):
        self.sync(self.devices[device], retry=True)

    # --- memos and photos -------------------------------------------------------------------

    @rule(device=DEVICES, kind=st.sampled_from(["memo", "photo"]), n=st.integers(0, 2))
    def record_or_photograph_offline(self, device, kind, n):
        item = MediaDraft(
            id=str(uuid.uuid4()), kind=kind,
            data=RECORDINGS[n] if kind == "memo" else PICTURES[n],
            entry_id=str(uuid.uuid4()), title=unique_text(kind),
        )
        self.devices[device].media[item.id] = item
        self.media_made[item.id] = item

    @rule(device=DEVICES, data=st.data())
    def upload_cut_at_a_random_point(self, device, data):
        """Some pieces arrive, then the connection drops (the answers may be lost too)."""
        media = self.devices[device].media
        if not media:
            return
        item = media[data.draw(st.sampled_from(list(media)))]  # in the order they were made
        uploader = Uploader(self.devices[device].client)
        started = uploader.start(item.data, item.kind, item.id)
        assert started.status_code in (200, 201), started.get_json()
        offset = started.get_json()["offset"]
        share = data.draw(st.integers(0, 100))  # how far it gets, in percent of what is left
        cut = offset + (len(item.data) - offset) * share // 100
        EXERCISED["cut uploads"] += 0 < cut < len(item.data)
        while offset < cut:
            piece = item.data[offset : offset + PIECE]
            answer = uploader.piece(item.id, offset, piece)
            assert answer.status_code == 200, answer.get_json()
            offset = answer.get_json()["offset"]

    @rule(device=DEVICES, lose_answer=st.booleans())
    def resume_uploads(self, device, lose_answer):
        self.upload_everything(self.devices[device], lose_answer=lose_answer)

    @rule(data=st.data())
    def replay_a_whole_upload(self, data):
        """An upload Tend finished is sent again from the start: nothing changes."""
        done = [(device, item) for device in self.devices for item in device.sent_media]
        if not done:
            return
        self.replay(*data.draw(st.sampled_from(done)))

    def replay(self, device: Device, item: MediaDraft) -> None:
        before = self.server_media()
        uploader = Uploader(device.client)
        assert uploader.start(item.data, item.kind, item.id).get_json()["status"] == "ready"
        uploader.send_all(item.id, item.data)
        again = uploader.complete(item.id, {"sha256": sha(item.data),
                                            "entry": {"entry_id": item.entry_id}})
        assert again.status_code == 200 and again.get_json()["entry_id"] == item.entry_id
        assert self.server_media() == before
        EXERCISED["replays"] += 1

    def upload_everything(self, device: Device, lose_answer: bool = False) -> None:
        uploader = Uploader(device.client)
        for item in list(device.media.values()):
            started = uploader.start(item.data, item.kind, item.id)
            assert started.status_code in (200, 201), started.get_json()
            # Done before, but its answer was lost: the whole upload again, as a replay.
            EXERCISED["replays"] += started.get_json()["status"] == "ready"
            uploader.send_all(item.id, item.data, start=started.get_json()["offset"])
            done = uploader.complete(item.id, {
                "sha256": sha(item.data),
                "entry": {"entry_id": item.entry_id, "title": item.title},
            })
            assert done.status_code == 200, done.get_json()
            self.media_done.add(item.id)
            if not lose_answer:
                del device.media[item.id]
                device.sent_media.append(item)

    def server_media(self) -> dict[str, tuple[str, str, str]]:
        db.session.expire_all()
        rows = db.session.scalars(select(Media).where(Media.user_id == self.user.id))
        return {str(m.id): (m.status, m.original_sha256, str(m.entry_id)) for m in rows}

    # --- what must always hold ---------------------------------------------------------------

    @invariant()
    def every_memo_and_photo_is_stored_once_and_whole(self):
        server = self.server_media()
        ready = {i for i, (status, _, _) in server.items() if status == "ready"}
        assert ready == self.media_done
        for media_id in ready:
            item = self.media_made[media_id]
            assert server[media_id][1:] == (sha(item.data), item.entry_id)
        entries = {str(e.id) for e in self.server().values()}
        assert {self.media_made[i].entry_id for i in ready} <= entries

    @invariant()
    def no_entry_is_ever_duplicated(self):
        """Entries are the ids devices made plus the copies the server said it made."""
        server = self.server()
        made_by_devices = {i for i, e in server.items() if e.conflict_of_id is None}
        copies = {i for i, e in server.items() if e.conflict_of_id is not None}
        assert copies == self.copies_reported
        assert len(server) == len(made_by_devices) + len(copies)

    def teardown(self):
        try:
            for _ in range(3):
                for device in self.devices:
                    self.sync(device)
                    self.upload_everything(device)
            assert all(not d.drafts and not d.media for d in self.devices)
            assert self.media_done == set(self.media_made)
            for device in self.devices:  # and every finished upload, once more from the start
                for item in device.sent_media:
                    self.replay(device, item)
            self.every_memo_and_photo_is_stored_once_and_whole()
            on_server = {e.body for e in self.server().values()}
            lost = (self.must_survive - self.replaced) - on_server
            assert not lost, f"texts lost: {lost}"
        finally:
            db.session.rollback()


# Every profile runs all 60 examples: fewer may never cut an upload short, the point here.
@pytest.mark.slow
def test_no_text_recording_or_picture_saved_on_a_device_is_ever_lost(app):
    CURRENT_APP["app"] = app
    try:
        run_state_machine_as_test(
            DevicesOffline,
            settings=settings(
                max_examples=60,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        CURRENT_APP.clear()
    assert db.session.scalar(select(func.count()).select_from(User)) >= 1
    assert all(EXERCISED.values()), EXERCISED  # the runs really cut and replayed uploads
