"""Search over 5,000 encrypted entries, and the cost of one sign-in's password check.

Search decrypts the person's own entries server-side (journal text is encrypted at rest), so
its worst case is a query matching nothing: every entry is decrypted once. Uses SQLite in a
temporary folder unless BENCH_DATABASE_URL is set (its tables are replaced).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

ENTRIES = int(os.environ.get("BENCH_ENTRIES", "5000"))
REPEATS = 7


def timed(function, repeats=REPEATS) -> dict:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}


def main() -> None:
    os.environ.setdefault("TEND_INSTANCE_PATH", tempfile.mkdtemp())
    os.environ.setdefault("SECRET_KEY", "benchmark")
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    from webapp import create_app
    from webapp.auth import services as auth
    from webapp.extensions import db
    from webapp.journal import services as journal
    from webapp.journal.models import Entry
    from webapp.journal.timeline import timeline_page

    app = create_app()
    results: dict = {"entries": ENTRIES}
    with app.app_context():
        results["database"] = db.engine.dialect.name
        db.drop_all()
        db.create_all()
        user = auth.register("bench@example.org", "benchmark password", "Europe/Berlin")
        start = time.perf_counter()
        for n in range(ENTRIES):
            fields = journal.parse_entry_input(
                {"title": f"Day {n}", "body": f"Entry {n}. " + "A gentle paragraph. " * 30}
            )
            db.session.add(Entry(user_id=user.id, title=fields.title, body=fields.body))
            if n % 500 == 499:
                db.session.commit()
        db.session.commit()
        results["write_5000_s"] = round(time.perf_counter() - start, 1)

        def search(query):
            db.session.expire_all()
            timeline_page(user, query=query)

        results["search_no_match"] = timed(lambda: search("zebra"))
        results["search_common_word"] = timed(lambda: search("gentle"))
        results["search_oldest_entry"] = timed(lambda: search("Entry 7."))
        results["timeline_first_page"] = timed(lambda: timeline_page(user))
        results["argon2_sign_in_check"] = timed(
            lambda: auth.authenticate("bench@example.org", "benchmark password"), repeats=15
        )
        db.drop_all()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
