"""Where a signed-in request to the timeline spends its time: cProfile on the test client.

Prints requests per second of Python time, then own time grouped by library and the top
functions, with the page cache warm and with it turned off (``PAGE_CACHE``).
Usage: .venv/bin/python bench/profile_timeline.py [requests] [path]
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GROUPS = [
    ("Tend", ("/webapp/",)),
    ("templates (Jinja)", ("jinja2", "<template>", "templates/")),
    ("database (SQLAlchemy, driver)", ("sqlalchemy", "sqlite3", "psycopg")),
    ("Flask-Login, Flask-WTF, itsdangerous", ("flask_login", "flask_wtf", "itsdangerous")),
    ("Flask, Werkzeug", ("/flask/", "werkzeug")),
    ("encryption (cryptography)", ("cryptography",)),
]


def group_of(filename: str) -> str:
    for name, needles in GROUPS:
        if any(needle in filename for needle in needles):
            return name
    return "other (interpreter, builtins, stdlib)"


def make_client(instance: str, cache: bool):
    os.environ["TEND_INSTANCE_PATH"] = instance
    os.environ["TEND_PAGE_CACHE"] = "1" if cache else "0"
    sys.path.insert(0, ROOT)
    from webapp import create_app
    from webapp.auth import services as auth
    from webapp.extensions import db
    from webapp.journal import services as journal

    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False, "PAGE_CACHE": cache,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/profile.db"})
    with app.app_context():
        db.create_all()
        if not db.session.scalar(db.select(db.func.count()).select_from(auth.User)):
            user = auth.register("profile@example.org", "profile password", "Europe/Berlin")
            for n in range(40):
                journal.create_entry(user, journal.parse_entry_input(
                    {"title": f"Day {n}", "body": "A gentle paragraph of reflection. " * 12,
                     "mood": n % 5 + 1}))
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": "profile@example.org",
                                           "password": "profile password",
                                           "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def profile(client, path: str, count: int, title: str) -> None:
    headers = {"Sec-Fetch-Site": "same-origin", "Accept-Encoding": "br, gzip"}
    for _ in range(50):
        assert client.get(path, headers=headers).status_code == 200
    started = time.perf_counter()
    for _ in range(count):
        client.get(path, headers=headers)
    plain = (time.perf_counter() - started) / count
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        client.get(path, headers=headers)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    groups: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        groups[group_of(filename)] += tt
    print(f"\n## {title}: {path}, {count} requests")
    print(f"{plain * 1000:.3f} ms per request without the profiler "
          f"({1 / plain:,.0f} requests/s in one thread); "
          f"{sum(v[1] for v in stats.stats.values()) / count:,.0f} function calls per request")
    print(f"under the profiler: {total / count * 1000:.3f} ms per request; own time by part:")
    for name, seconds in sorted(groups.items(), key=lambda item: -item[1]):
        print(f"  {name:<40} {seconds / count * 1000:6.3f} ms  {seconds / total:5.1%}")
    stats.sort_stats("tottime").print_stats(12)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    path = sys.argv[2] if len(sys.argv) > 2 else "/journal"
    with tempfile.TemporaryDirectory() as instance:
        profile(make_client(instance, cache=True), path, count, "Page cache on (warm)")
        profile(make_client(instance, cache=False), path, count, "Page cache off")


if __name__ == "__main__":
    main()
