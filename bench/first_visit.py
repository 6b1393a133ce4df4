"""Bytes over the wire for a signed-in person opening Tend's home page on a phone.

First visit: a fresh browser (empty caches) opens the home page; everything the server
sends until the service worker has installed, stored the first part of what it keeps (the
editor, the crisis lines, the offline note) and taken control, and the network has then
been quiet for a second, counts, response headers included.
Afterwards: the page stays open and the app stores the rest for offline use (capture, the
recorder, the drawing pad, htmx) once the visit has settled (static/js/pwa.js); those bytes
are counted and shown on their own, with the time they came. Whatever of them the server sends
before the first visit's window closes counts in the first visit. htmx comes to the page with
that rest, or sooner when the person reaches for a form it enhances (static/js/app.js; the
benchmark touches nothing): whether the page had it at the end of each window is printed too.
Repeat visit: the same browser opens the page again; static files must all come from the
service worker, so the server sends none of them.

Budget: first visit at most 60 KB (target 45 KB); repeat visit 0 bytes of static files.
Run: ``.venv/bin/python bench/first_visit.py`` (needs Chromium at /usr/bin/chromium).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_VISIT_BUDGET = 60 * 1024  # the hard limit
FIRST_VISIT_TARGET = 45 * 1024
PASSWORD = "a quiet lake at dawn"  # noqa: S105 - a throwaway account in a temporary database
ENTRIES = 8  # a first week of integration: a few entries on the home page
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ENTRY_TEXT = (
    "After the journey I felt heavy and then suddenly light, as if a window opened. "
    "I saw my grandmother's kitchen, the blue tiles, and heard her humming. "
    "Something asked me to slow down and breathe before answering people. "
    "Today I walked by the river for twenty minutes and noticed my shoulders dropping."
)


class ByteCounter:
    """WSGI middleware adding up what goes over the wire: status line, headers and body."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.log: list[tuple[str, int, int]] = []

    def reset(self) -> None:
        with self.lock:
            self.log = []

    def __call__(self, environ, start_response):
        seen = {}

        def counting_start_response(status, headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            seen["head"] = len(f"HTTP/1.1 {status}\r\n") + sum(
                len(f"{name}: {value}\r\n") for name, value in headers
            ) + 2
            return start_response(status, headers, exc_info)

        body = 0
        for chunk in self.app(environ, counting_start_response):
            body += len(chunk)
            yield chunk
        path = environ.get("PATH_INFO", "") + (
            "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""
        )
        with self.lock:
            self.log.append((path, seen.get("status", 0), seen.get("head", 0) + body))

    def total(self, prefix: str = "") -> int:
        return sum(size for path, _, size in self.log if path.startswith(prefix))


def build_app(folder: Path):
    os.environ["TEND_INSTANCE_PATH"] = str(folder)
    from webapp import create_app
    from webapp.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
    return app


def signed_in_cookie(app) -> str:
    from webapp.auth import services
    from webapp.journal.services import create_entry, parse_entry_input

    with app.app_context():
        user = services.register("bench@example.org", PASSWORD, "Europe/Berlin")
        for number in range(ENTRIES):
            fields = parse_entry_input({"title": f"Day {number + 1}", "body": ENTRY_TEXT})
            create_entry(user, fields)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    form = {"email": "bench@example.org", "password": PASSWORD, "csrf_token": token}
    client.post("/login", data=form)
    return client.get_cookie("tend_session").value


CONTROLLED = """async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
        await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r));
    }
}"""

# Asks the worker what it holds: {first: bool, later: bool}.
KEPT = """async () => {
    const channel = new MessageChannel();
    const answer = new Promise((resolve) => { channel.port1.onmessage = (e) => resolve(e.data); });
    navigator.serviceWorker.controller.postMessage({type: "kept"}, [channel.port2]);
    return answer;
}"""


HTMX_ON_PAGE = "() => Boolean(window.htmx)"


def wait_until_kept(page, part: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not page.evaluate(KEPT)[part]:
        if time.monotonic() > deadline:
            raise SystemExit(f"the service worker did not keep the {part} part in {seconds} s")
        page.wait_for_timeout(100)


def wait_for_quiet(counter: ByteCounter, quiet: float = 1.0, seconds: float = 30) -> None:
    """Until the server has answered nothing for ``quiet`` seconds."""
    deadline = time.monotonic() + seconds
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(counter.log)
        if count != seen:
            seen, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.1)


def measure() -> dict:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = build_app(folder)
        cookie = signed_in_cookie(app)
        counter = ByteCounter(app.wsgi_app)
        app.wsgi_app = counter
        server = make_server("127.0.0.1", 0, app, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with sync_playwright() as playwright:
                context = playwright.chromium.launch_persistent_context(
                    str(folder / "profile"),
                    executable_path=CHROMIUM,
                    headless=True,
                    args=["--no-sandbox", "--disable-background-networking", "--no-first-run"],
                    viewport={"width": 390, "height": 844},
                    is_mobile=True,
                    has_touch=True,
                )
                context.add_cookies(
                    [{"name": "tend_session", "value": cookie, "url": url, "httpOnly": True}]
                )
                page = context.pages[0] if context.pages else context.new_page()
                counter.reset()
                page.goto(url + "/", wait_until="networkidle")
                page.evaluate(CONTROLLED)
                wait_until_kept(page, "first")
                wait_for_quiet(counter)
                first = list(counter.log)
                htmx_first = page.evaluate(HTMX_ON_PAGE)

                counter.reset()
                started = time.monotonic()
                wait_until_kept(page, "later")
                later_seconds = time.monotonic() - started
                wait_for_quiet(counter)
                later = list(counter.log)
                htmx_later = page.evaluate(HTMX_ON_PAGE)

                counter.reset()
                page.goto(url + "/", wait_until="networkidle")
                wait_for_quiet(counter)
                repeat = list(counter.log)
                context.close()
        finally:
            server.shutdown()
            thread.join(timeout=5)
    return {"first": first, "later": later, "later_seconds": later_seconds, "repeat": repeat,
            "htmx": (htmx_first, htmx_later)}


def report(results: dict) -> bool:
    first, later, repeat = results["first"], results["later"], results["repeat"]
    first_total = sum(size for _, _, size in first)
    later_total = sum(size for _, _, size in later)
    repeat_static = sum(size for path, _, size in repeat if path.startswith("/static/"))
    repeat_total = sum(size for _, _, size in repeat)
    print(f"First visit to the home page ({ENTRIES} entries), {len(first)} responses:")
    for path, status, size in sorted(first, key=lambda row: -row[2]):
        print(f"  {size:>7,} B  {status}  {path}")
    print(f"  total {first_total:,} B = {first_total / 1024:.1f} KB: "
          f"target <= {FIRST_VISIT_TARGET / 1024:.0f} KB "
          f"{'✔' if first_total <= FIRST_VISIT_TARGET else '✘'}, "
          f"hard limit {FIRST_VISIT_BUDGET / 1024:.0f} KB "
          f"{'✔' if first_total <= FIRST_VISIT_BUDGET else '✘'}")
    print(f"Afterwards, the rest kept for offline use ({results['later_seconds']:.1f} s after "
          f"the first visit), {len(later)} responses:")
    for path, status, size in sorted(later, key=lambda row: -row[2]):
        print(f"  {size:>7,} B  {status}  {path}")
    print(f"  total {later_total:,} B = {later_total / 1024:.1f} KB")
    htmx_first, htmx_later = results["htmx"]
    print(f"htmx running on the page: at the end of the first visit {'yes' if htmx_first else 'no'}, "
          f"once the rest was kept {'yes' if htmx_later else 'no'}")
    print(f"Repeat visit, {len(repeat)} responses:")
    for path, status, size in repeat:
        print(f"  {size:>7,} B  {status}  {path}")
    print(f"  static files from the server: {repeat_static} B (target 0 "
          f"{'✔' if repeat_static == 0 else '✘'}); everything: {repeat_total:,} B")
    ok = first_total <= FIRST_VISIT_BUDGET and repeat_static == 0
    print("within budget" if ok else "OVER BUDGET")
    return ok


if __name__ == "__main__":
    sys.exit(0 if report(measure()) else 1)
