"""How long one full sync batch (200 drafts) takes to apply, through the HTTP API.

Four batches, each timed as one POST /api/sync from request to answer: 200 new entries,
200 edits of them, the same 200 edits replayed, and 200 stale edits that become conflict
copies. Budget: each under 1 s, on SQLite and on PostgreSQL.

Run: ``.venv/bin/python bench/sync_batch.py``: SQLite, and PostgreSQL too when
``BENCH_DATABASE_URL`` (or ``TEST_DATABASE_URL``) is set. The PostgreSQL database
gets the tables if they are missing; the benchmark's own account is removed afterwards.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_SECONDS = 1.0
DRAFTS = 200
ROUNDS = 5
BODY = (
    "The room was quiet and I could feel my heartbeat in my hands. I remembered being "
    "seven, on the stairs, waiting. What wants to shift: asking for help before I am "
    "exhausted. Tonight: ten slow breaths, feet on the floor, a note to my sister. "
) * 4  # about 1,000 characters, a long-ish entry


def make_app(database_url: str):
    from sqlalchemy import MetaData, create_engine

    from webapp import create_app
    from webapp.extensions import db

    # Start empty: rows left by another benchmark carry data keys of another master key.
    engine = create_engine(database_url)
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)
    engine.dispose()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )
    with app.app_context():
        db.create_all()
    return app


def one_round(app) -> dict[str, float]:
    from webapp.auth.models import User
    from webapp.extensions import db

    with app.app_context():
        user = User(email=f"bench-{uuid.uuid4().hex}@example.org", password_hash="-")  # noqa: S106
        db.session.add(user)
        db.session.commit()
        from webapp.auth.devices import start_device_session

        token = start_device_session(user, remember=False, user_agent=None).cookie_token
        user_id = user.id
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    csrf = client.get("/api/session").get_json()["csrf_token"]

    def timed(drafts: list[dict], expected: str) -> float:
        body = json.dumps({"drafts": drafts})
        started = time.perf_counter()
        response = client.post(
            "/api/sync", data=body, content_type="application/json",
            headers={"X-CSRFToken": csrf},
        )
        elapsed = time.perf_counter() - started
        statuses = {r["status"] for r in response.get_json()["results"]}
        assert response.status_code == 200 and statuses == {expected}, statuses
        return elapsed

    ids = [str(uuid.uuid4()) for _ in range(DRAFTS)]
    new = [{"id": i, "base_version": None, "body": f"{BODY} {n}", "mood": 3,
            "client_updated_at": "2026-11-20T08:00:00Z"} for n, i in enumerate(ids)]
    edits = [{**d, "base_version": 1, "body": d["body"] + " (later)"} for d in new]
    stale = [{**d, "base_version": 1, "body": d["body"] + " (from the other phone)"} for d in new]
    timings = {
        "200 new entries": timed(new, "created"),
        "200 edits": timed(edits, "updated"),
        "200 edits replayed": timed(edits, "unchanged"),
        "200 conflicts (copies made)": timed(stale, "conflict"),
    }
    with app.app_context():
        db.session.delete(db.session.get(User, user_id))
        db.session.commit()
    return timings


def run_on(url: str) -> bool:
    from webapp.config import normalise_database_url

    url = normalise_database_url(url)
    app = make_app(url)
    engine = url.split(":", 1)[0].split("+")[0]
    rounds = [one_round(app) for _ in range(ROUNDS)]
    with app.app_context():
        from webapp.extensions import db

        db.engine.dispose()
    ok = True
    print(f"Sync of {DRAFTS} drafts per request on {engine}, median and worst of {ROUNDS} rounds:")
    for name in rounds[0]:
        values = [r[name] for r in rounds]
        median, worst = statistics.median(values), max(values)
        ok = ok and worst < BUDGET_SECONDS
        print(f"  {name:<30} median {median * 1000:6.0f} ms   worst {worst * 1000:6.0f} ms")
    print("within budget (1 s)" if ok else "OVER BUDGET")
    return ok


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("TEND_INSTANCE_PATH", tmp)
        urls = [f"sqlite:///{Path(tmp) / 'bench.db'}"]
        postgres = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        if postgres:
            urls.append(postgres)
        else:
            print("PostgreSQL skipped: set BENCH_DATABASE_URL (or TEST_DATABASE_URL).")
        results = [run_on(url) for url in urls]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
