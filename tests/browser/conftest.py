"""Browser fixtures: a phone with a real profile (as an installed app has), and helpers to
wait for the service worker and look at what is on the device and on the server."""

from __future__ import annotations

import math
import struct
import threading
import wave

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import CHROMIUM_ARGS, Problems  # noqa: F401 (Problems for the tests)
from webapp.extensions import db
from webapp.journal.models import Entry

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def installed_phone(playwright_instance, chromium_path, live_server, tmp_path):
    """A phone browser with a real profile on disk, as an installed app has."""
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=chromium_path,
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=live_server.url,
        **PHONE,
    )
    problems = Problems()
    context.on("page", problems.watch)
    for page in context.pages:
        problems.watch(page)
    yield context, problems
    context.close()
    assert not problems, f"the browser reported: {problems}"


CONTROLLED = """async (seconds) => {
    const waited = new Promise((resolve) => setTimeout(() => resolve(false), seconds * 1000));
    const control = (async () => {
        await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller) {
            await new Promise((resolve) =>
                navigator.serviceWorker.addEventListener("controllerchange", resolve));
        }
        return Boolean(navigator.serviceWorker.controller);
    })();
    return Promise.race([control, waited]);
}"""

WORKER_STATE = """async () => {
    const found = await navigator.serviceWorker.getRegistration("/");
    if (!found) return "no registration";
    const state = (worker) => (worker ? worker.state : "none");
    return `installing ${state(found.installing)}, waiting ${state(found.waiting)}, ` +
           `active ${state(found.active)}`;
}"""


def wait_until_controlled(page, seconds: float = 20) -> None:
    """Wait for the service worker to be installed (the first part of what it keeps stored)
    and in control of the page. For capture, the recorder or the drawing pad offline, wait
    for the rest too: ``wait_until_kept_for_offline``.

    Under heavy load a first worker has, rarely, never become active when the app lock was
    turned on during its install; opening the page again (as a person would) registers it
    anew. The wait is bounded, and a page still not controlled fails with the worker's state.
    """
    for attempt in range(3):
        if page.evaluate(CONTROLLED, seconds):
            return
        state = page.evaluate(WORKER_STATE)
        print(f"service worker not in control after {seconds} s ({state}); opening the page again")
        if attempt < 2:
            page.reload()
    raise AssertionError(f"the service worker never took control: {page.evaluate(WORKER_STATE)}")


# What the service worker holds, as it says itself: {first: bool, later: bool}. It answers once
# the part it may be storing just then is stored.
KEPT = """async ([seconds, wanted]) => {
    const deadline = Date.now() + seconds * 1000;
    const ask = () => new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => resolve(event.data);
        navigator.serviceWorker.controller.postMessage({ type: "kept" }, [channel.port2]);
        setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()));
    });
    let answer = null;
    while (Date.now() < deadline) {
        answer = await ask();
        if (answer && wanted.every((part) => answer[part])) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return answer;
}"""


def kept_parts(page) -> dict:
    """Which parts of what Tend keeps for offline use are on the device just now."""
    return page.evaluate(KEPT, [5, []])


def wait_until_kept_for_offline(page, seconds: float = 45) -> None:
    """Wait until the service worker says everything Tend keeps for offline use is on the
    device: the first part, stored while it installed, and the rest (capture, the recorder,
    the drawing pad), which the app asks for once the first visit has settled."""
    wait_until_controlled(page)
    answer = page.evaluate(KEPT, [seconds, ["first", "later"]])
    assert answer and answer["first"] and answer["later"], (
        f"after {seconds} s the service worker holds {answer}: {page.evaluate(WORKER_STATE)}"
    )


def cache_names(page) -> list[str]:
    return page.evaluate("async () => await caches.keys()")


def drafts_on_device(page) -> list[dict]:
    return page.evaluate("async () => await self.tendDrafts.all()")


def save_in_the_journal_with_no_signal(context, page, words: str) -> None:
    """The signal drops as the person presses "Save entry" on the journal page: the entry is
    kept on the device, said so, and the form is empty for the next one."""
    context.set_offline(True)
    page.get_by_label("What is here for you today?").fill(words)
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_text("this entry is saved on this device")).to_be_visible()
    expect(page.get_by_label("What is here for you today?")).to_have_value("")
    assert [draft["body"] for draft in drafts_on_device(page)] == [words]


def wait_for_server(page, check, seconds: float = 15) -> None:
    """Poll a condition while the browser works (its events arrive during Playwright calls)."""
    for _ in range(int(seconds * 5)):
        if check():
            return
        page.wait_for_timeout(200)
    assert check()


def stored_entries() -> list[Entry]:
    db.session.expire_all()
    return list(db.session.scalars(select(Entry).order_by(Entry.created_at)))




class Holding:
    """WSGI middleware holding the answers to chosen requests until released: one bar of
    signal, where a request is neither refused nor answered."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.requests: set[tuple[str, str]] = set()
        self.release = threading.Event()
        self.held = 0

    def hold(self, method: str, path: str) -> None:
        """Hold ``method`` requests for ``path``; a path with a query holds only that query."""
        self.requests.add((method, path))

    def __call__(self, environ, start_response):
        method, path, query = (environ["REQUEST_METHOD"], environ["PATH_INFO"],
                               environ.get("QUERY_STRING"))
        asked = {(method, path), (method, f"{path}?{query}")}
        if asked & self.requests and not self.release.is_set():
            self.held += 1
            self.release.wait(60)
        return self.wsgi_app(environ, start_response)


@pytest.fixture
def holding(live_server):
    """The live server, able to hold chosen answers (see Holding)."""
    held = Holding(live_server.app.wsgi_app)
    live_server.app.wsgi_app = held
    yield held
    held.release.set()


def write_tone(path, seconds: float = 20.0, rate: int = 48_000) -> None:
    """A gentle 440 Hz tone, for the fake microphone to play."""
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        period = [int(8_000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(rate)]
        second = struct.pack(f"<{rate}h", *period)
        file.writeframes(second * int(seconds))


@pytest.fixture
def phone_with_microphone(playwright_instance, chromium_path, live_server, tmp_path):
    """A phone whose microphone plays a tone the test wrote (Chromium's fake device)."""
    tone = tmp_path / "tone.wav"
    write_tone(tone)
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=chromium_path,
        headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream", f"--use-file-for-fake-audio-capture={tone}",
              "--autoplay-policy=no-user-gesture-required"],
        base_url=live_server.url,
        **PHONE,
    )
    problems = Problems()
    context.on("page", problems.watch)
    for page in context.pages:
        problems.watch(page)
    yield context
    context.close()
    assert not problems, f"the browser reported: {problems}"
