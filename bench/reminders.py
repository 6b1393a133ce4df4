"""Benchmark: 100,000 due reminders for 100,000 subscriptions, claimed from PostgreSQL and
delivered to a local push service answering after 30 ms, against plain pywebpush.

    .venv/bin/python bench/reminders.py [--reminders 100000] [--dispatchers 2] [--write]

Two figures, each printed with its target (✔ or ✘; the exit status is 1 when one is missed):
the dispatcher's CPU per message against the Web Push encryption alone (at most 2.5 times),
and the throughput against plain ``webpush()`` once per message (at least 10 times).

The CPU is what each dispatcher process spends from its first claim to its last answer
recorded, every thread of it; the imports and app creation before that (about a second,
paid once by a long-running dispatcher) are reported apart, not spread over the messages.
The floor is pywebpush's aes128gcm ``encode`` of the dispatcher's own payload, timed in the
same dispatcher process just before and just after it sends, so both see the same machine.

BENCH_DATABASE_URL (default: the local tend_bench database) is EMPTIED: point it at a
database kept for tests or benchmarks. --write appends the results to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import pstats
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tend_bench"
SUBSCRIBER_KEYS = 200  # distinct browser key pairs, shared round-robin by the subscriptions
ANSWER_DELAY = 0.030
FLOOR_SAMPLE = 2000  # encryptions timed before and after sending, in each dispatcher process


def make_app(url: str):
    from webapp import create_app

    return create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "benchmark",
        "PUBLIC_URL": "https://tend.example.org",
        "RATELIMIT_ENABLED": False,
        # The benchmark's push service runs on this machine over plain http.
        "PUSH_ALLOW_HTTP_ENDPOINTS": True,
        "PUSH_ALLOW_LOOPBACK_ENDPOINTS": True,
    })


def subscriber_keys(count: int) -> list[tuple[int, bytes, str, str]]:
    """(private value, auth secret, p256dh, auth) like browsers make them."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    keys = []
    for _ in range(count):
        private = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        public = private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        keys.append((private.private_numbers().private_value, auth, b64(public), b64(auth)))
    return keys


def fill_database(app, total: int, origin: str, keys) -> None:
    """100,000 people, each with one subscribed device and one due reminder (COPY)."""
    from webapp.crypto import encrypt_text
    from webapp.extensions import db

    with app.app_context():
        db.drop_all()
        db.create_all()
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            now = datetime.now(UTC)
            due = now - timedelta(minutes=1)
            user_ids = [uuid.uuid4() for _ in range(total)]
            wrapped_key = app.extensions["tend_keyring"].new_wrapped_data_key()
            db.session.commit()  # the key epoch it was wrapped in, before the rows that use it
            data_key = app.extensions["tend_keyring"].unwrap(wrapped_key)
            with cursor.copy("COPY users (id, email, password_hash, data_key, timezone, "
                             "created_at) FROM STDIN") as copy:
                for n, user_id in enumerate(user_ids):
                    copy.write_row((user_id, f"p{n}@example.org", "x", wrapped_key,
                                    "Europe/Berlin", now))
            with cursor.copy("COPY reminder_settings (user_id, quiet_start, quiet_end, "
                             "daily_cap, journey_checkin_on, practice_on, intention_on) "
                             "FROM STDIN") as copy:
                for user_id in user_ids:  # no quiet hours, so the hour of the run never matters
                    copy.write_row((user_id, "00:00", "00:00", 3, True, True, True))
            with cursor.copy("COPY push_subscriptions (id, user_id, endpoint, p256dh, auth, "
                             "device_label, created_at) FROM STDIN") as copy:
                for n, user_id in enumerate(user_ids):
                    _, _, p256dh, auth = keys[n % len(keys)]
                    label = encrypt_text(data_key, user_id, "device_label", "Phone")
                    copy.write_row((uuid.uuid4(), user_id, f"{origin}/push/{n}", p256dh, auth,
                                    label, now))
            with cursor.copy("COPY reminders (id, user_id, kind, key, series, ideal_at, due_at, "
                             "title, body, url, status, fencing_token, attempts, "
                             "next_attempt_at, created_at, updated_at) FROM STDIN") as copy:
                for n, user_id in enumerate(user_ids):
                    reminder_id = uuid.uuid4()
                    copy.write_row((
                        reminder_id, user_id, "journey_checkin", f"journey:{n}:24h",
                        f"journey:{n}", due, due, "A day later",
                        "Any dreams, sensations or pictures still with you today?",
                        f"/reminders/{reminder_id}/write", "pending", 0, 0, due, now, now))
            raw.commit()
            cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()


def dispatcher_process(url: str, batch_size: int, concurrency: int, keys, results) -> None:
    """One dispatcher process: send everything due, and report what it did, the CPU time of
    sending alone (every thread of the process, from the first claim to the sender closed;
    not the imports and app creation before it, which a long-running dispatcher pays once),
    and the Web Push encryption floor measured in this same process just before and after."""
    app = make_app(url)
    app.config["PUSH_CONCURRENCY"] = concurrency
    from webapp.push.dispatcher import make_dispatcher, settle_dispatcher_process

    with app.app_context():
        dispatcher = make_dispatcher(app, batch_size=batch_size)
        settle_dispatcher_process()  # as `flask reminders run` does
        payload = sample_payload(dispatcher)
        startup_cpu = time.process_time()
        floor_before = encryption_floor(keys, payload, FLOOR_SAMPLE)
        cpu_before = time.process_time()
        started = time.perf_counter()
        handled = dispatcher.run_once()
        dispatcher.sender.close()
        ended = time.perf_counter()
        cpu = time.process_time() - cpu_before
        floor_after = encryption_floor(keys, payload, FLOOR_SAMPLE)
    results.put({"handled": handled, "started": started, "ended": ended, "cpu": cpu,
                 "startup_cpu": startup_cpu, "floor_ms": (floor_before + floor_after) / 2,
                 "payload_bytes": len(payload)})


def sample_payload(dispatcher) -> bytes:
    """What the dispatcher encrypts for one of the benchmark's reminders (same size)."""
    from webapp.push.claims import Claim

    reminder_id = uuid.uuid4()
    return dispatcher._payload(Claim(
        reminder_id, 1, uuid.uuid4(), "journey_checkin", "A day later",
        "Any dreams, sensations or pictures still with you today?",
        f"/reminders/{reminder_id}/write", 1))


def baseline(app, origin: str, keys, sample: int) -> dict:
    """pywebpush's plain webpush(), once per message: what a simple loop would do."""
    from pywebpush import webpush

    from webapp.push.sender import notification_payload
    from webapp.push.vapid import vapid_for

    vapid = vapid_for(app)
    payload = notification_payload(
        title="A day later", body="Any dreams, sensations or pictures still with you today?",
        url=f"https://tend.example.org/reminders/{uuid.uuid4()}/write", tag="t",
        reminder_id=str(uuid.uuid4()), snooze_url="https://tend.example.org/reminders/snooze",
        snooze_token="x" * 80, later_url="https://tend.example.org/reminders/later?t=" + "x" * 80,
        icon="https://tend.example.org/static/img/reminder-icon.png",
        badge="https://tend.example.org/static/img/reminder-badge.png",
    ).decode()
    cpu_before = time.process_time()
    started = time.perf_counter()
    for n in range(sample):
        _, _, p256dh, auth = keys[n % len(keys)]
        webpush({"endpoint": f"{origin}/push/{10_000_000 + n}",
                 "keys": {"p256dh": p256dh, "auth": auth}},
                data=payload, vapid_private_key=vapid,
                vapid_claims={"sub": "mailto:tend@localhost"}, ttl=86400, timeout=10)
    wall = time.perf_counter() - started
    return {"messages": sample, "wall": wall, "rate": sample / wall,
            "cpu_per_message_ms": (time.process_time() - cpu_before) / sample * 1000}


def encryption_floor(keys, payload: bytes, sample: int) -> float:
    """CPU per message (ms) of the Web Push encryption alone, as pywebpush does it: a fresh
    ECDH key and exchange, HKDF, AES-GCM (RFC 8291 aes128gcm). The floor no dispatcher can go
    under. Each pusher holds one subscription's keys already decoded, so only the encryption
    itself is counted, for the payload the dispatcher really sends, round-robin over every
    browser key pair of the benchmark."""
    from pywebpush import WebPusher

    pushers = [WebPusher({"endpoint": "https://push.example.org/x",
                          "keys": {"p256dh": p256dh, "auth": auth}})
               for _, _, p256dh, auth in keys]
    cpu_before = time.process_time()
    for n in range(sample):
        pushers[n % len(pushers)].encode(payload, content_encoding="aes128gcm")
    return (time.process_time() - cpu_before) / sample * 1000


def profile_dispatch(app, count: int):
    """Where the CPU goes: one dispatcher in this process, both of its threads (the one
    claiming and recording, and the one encrypting and sending) under cProfile, timed by
    each thread's own CPU clock."""
    import concurrent.futures

    from sqlalchemy import text

    from webapp.extensions import db
    from webapp.push.dispatcher import make_dispatcher, settle_dispatcher_process

    with app.app_context():
        # Due again as if never sent: no attempts, no delivery records (a device that has a
        # reminder already is not sent it again, so this run would send nothing).
        db.session.execute(text(
            "DELETE FROM push_deliveries WHERE reminder_id IN "
            "(SELECT id FROM reminders ORDER BY id LIMIT :n)"), {"n": count})
        db.session.execute(text(
            "UPDATE reminders SET status = 'pending', attempts = 0, sent_at = NULL, "
            "next_attempt_at = now() - interval '1 s' "
            "WHERE id IN (SELECT id FROM reminders ORDER BY id LIMIT :n)"), {"n": count})
        db.session.commit()
        dispatcher = make_dispatcher(app, batch_size=500)
        settle_dispatcher_process()
        main_profile = cProfile.Profile(time.thread_time)
        sender_profile = cProfile.Profile(time.thread_time)
        loop = dispatcher.sender.loop

        def in_sender_thread(call):
            done = concurrent.futures.Future()
            loop.call_soon_threadsafe(lambda: done.set_result(call()))
            done.result()

        in_sender_thread(sender_profile.enable)
        main_profile.enable()
        handled = dispatcher.run_once()
        main_profile.disable()
        in_sender_thread(sender_profile.disable)
        dispatcher.sender.close()
    stream = io.StringIO()
    stats = pstats.Stats(main_profile, stream=stream)
    stats.add(sender_profile)
    total = sum(row[2] for row in stats.stats.values())
    groups = {  # the first that matches a function's file or name counts its time
        "encryption (RFC 8291: cryptography, HMAC; pywebpush, http_ece)": (
            "webapp/push/encryption", "cryptography", "method ec.", "hmac", "http_ece",
            "pywebpush"),
        "HTTP client (webapp/push/http.py, aiohttp, asyncio, sockets)": (
            "webapp/push/http", "aiohttp", "asyncio", "multidict", "yarl", "socket",
            "selectors", "ssl"),
        "database (SQLAlchemy, psycopg)": ("sqlalchemy", "psycopg"),
        "Tend (planning rules, payload JSON, tokens, VAPID)": ("webapp/", "json",
                                                               "itsdangerous", "py_vapid"),
    }
    shares = dict.fromkeys(groups, 0.0)
    shares["other (interpreter, builtins)"] = 0.0
    for (filename, _, function), row in stats.stats.items():
        where = f"{filename}:{function}"
        for name, needles in groups.items():
            if any(n in where for n in needles):
                shares[name] += row[2]
                break
        else:
            shares["other (interpreter, builtins)"] += row[2]
    stats.sort_stats("tottime").print_stats(15)
    return handled, shares, total, stream.getvalue()


def ensure_database(url: str) -> None:
    """Create the benchmark's database when the server does not have it yet."""
    import sqlalchemy

    target = sqlalchemy.make_url(url)
    server = sqlalchemy.create_engine(target.set(database="postgres"),
                                      isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        known = connection.scalar(sqlalchemy.text(
            "SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database})
        if not known:
            connection.execute(sqlalchemy.text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--dispatchers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--baseline-sample", type=int, default=200)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    os.environ.setdefault("TEND_INSTANCE_PATH",
                          str(Path(tempfile.gettempdir()) / "tend-bench-instance"))

    from bench.push_service import serve
    from webapp.push.vapid import application_server_key, vapid_for

    spawn = multiprocessing.get_context("spawn")
    app = make_app(url)
    keys = subscriber_keys(SUBSCRIBER_KEYS)
    ready, service_results, stop = spawn.Queue(), spawn.Queue(), spawn.Event()
    service = spawn.Process(target=serve, args=(ready, service_results, stop), kwargs={
        "delay": ANSWER_DELAY, "sample_every": 1000,
        "vapid_public_key": application_server_key(vapid_for(app)),
        "subscriber_keys": [(value, auth) for value, auth, _, _ in keys],
    })
    service.start()
    origin = f"http://127.0.0.1:{ready.get(timeout=30)}"

    print(f"Filling {args.reminders:,} reminders and subscriptions ...", flush=True)
    fill_database(app, args.reminders, origin, keys)

    print(f"Baseline: plain webpush() x {args.baseline_sample} ...", flush=True)
    base = baseline(app, origin, keys, args.baseline_sample)

    print(f"Dispatching with {args.dispatchers} process(es) ...", flush=True)
    results = spawn.Queue()
    workers = [spawn.Process(target=dispatcher_process,
                             args=(url, args.batch_size, args.concurrency, keys, results))
               for _ in range(args.dispatchers)]
    load_before = os.getloadavg()[0]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=900) for _ in workers]
    # From the first claim to the last answer recorded (process start-up apart).
    wall = max(r["ended"] for r in reports) - min(r["started"] for r in reports)
    for worker in workers:
        worker.join()

    from sqlalchemy import func, select

    from webapp.extensions import db
    from webapp.push.models import Delivery, Reminder

    with app.app_context():
        sent = db.session.scalar(select(func.count()).where(Reminder.status == "sent"))
        deliveries = db.session.scalar(select(func.count()).select_from(Delivery))

    print("Profiling one dispatcher on 10,000 reminders ...", flush=True)
    profiled, shares, profiled_total, top = profile_dispatch(app, min(10_000, args.reminders))

    stop.set()
    service_report = service_results.get(timeout=60)
    service.join()

    handled = sum(r["handled"] for r in reports)
    dispatcher_cpu = sum(r["cpu"] for r in reports)
    rate = handled / wall
    result = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(), "load_before": load_before,
        "reminders": args.reminders, "dispatchers": args.dispatchers,
        "batch_size": args.batch_size, "concurrency": args.concurrency,
        "wall": wall, "rate": rate, "handled": handled, "sent": sent,
        "deliveries": deliveries, "dispatcher_cpu": dispatcher_cpu,
        "dispatcher_cpu_per_message_ms": dispatcher_cpu / handled * 1000,
        "startup_cpu": [r["startup_cpu"] for r in reports],
        "floor_ms": sum(r["floor_ms"] for r in reports) / len(reports),
        "payload_bytes": reports[0]["payload_bytes"],
        "service": service_report, "baseline": base, "speedup": rate / base["rate"],
        "profile_shares": shares, "profile_total": profiled_total, "profiled": profiled,
    }
    print(json.dumps(result, indent=2, default=str))
    print(top)
    print(shares_table(result))
    floor = result["floor_ms"]
    per_message = result["dispatcher_cpu_per_message_ms"]
    cpu_ok = per_message <= 2.5 * floor
    speed_ok = rate / base["rate"] >= 10
    print(f"Dispatcher CPU per message {per_message:.3f} ms (start-up apart: "
          f"{', '.join(f'{c:.1f}' for c in result['startup_cpu'])} s CPU per process); "
          f"Web Push encryption alone {floor:.3f} ms: {per_message / floor:.2f}x the floor "
          f"(target <= 2.5x) {'✔' if cpu_ok else '✘'}")
    print(f"Wall time for {args.reminders:,} reminders: {wall:.1f} s "
          f"({rate:,.0f}/s, {rate / base['rate']:.0f}x plain webpush(), target >= 10x "
          f"{'✔' if speed_ok else '✘'})")
    assert sent == args.reminders and deliveries == args.reminders, "every reminder is sent once"
    assert service_report["problems"] == [], service_report["problems"]
    assert service_report["verified"] >= args.reminders // 1000, "the sample was verified"
    if args.write:
        write_results(result, top)
    sys.exit(0 if cpu_ok and speed_ok else 1)


def shares_table(r: dict) -> str:
    return "\n".join(
        f"| {name} | {seconds:.2f} s | {seconds / r['profile_total'] * 100:.0f} % |"
        for name, seconds in sorted(r["profile_shares"].items(), key=lambda kv: -kv[1]))


def write_results(r: dict, top: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    path.parent.mkdir(exist_ok=True)
    base = r["baseline"]
    service_ms = r["service"]["cpu_seconds"] / max(1, r["service"]["requests"]) * 1000
    cpu_ms = r["dispatcher_cpu_per_message_ms"]
    floor = r["floor_ms"]
    profiled_ms = r["profile_total"] / r["profiled"] * 1000
    section = f"""
## Gentle reminders: {r['reminders']:,} pushes ({r['when']})

`bench/reminders.py`: {r['reminders']:,} due reminders for {r['reminders']:,} subscriptions
(one device per person), claimed from PostgreSQL by {r['dispatchers']} `flask reminders run
--once`-equivalent dispatcher processes (batches of {r['batch_size']}, up to
{r['concurrency']} pushes in flight each), encrypted (RFC 8291 aes128gcm) and delivered to a
local push service that answers 201 after 30 ms and fully verified one request in 1,000
(VAPID JWT and decryption: {r['service']['verified']} verified, no problems). Machine:
{r['cpus']} cores, shared with other work (load average {r['load_before']:.2f} at the start).
Each dispatcher process times its own CPU from its first claim to its last answer recorded
(start-up apart: {', '.join(f'{c:.1f}' for c in r['startup_cpu'])} s of imports and app
creation per process), and the Web Push encryption alone (pywebpush's aes128gcm `encode`
of the same {r['payload_bytes']}-byte payload) just before and after, in the same process.
Run it with `.venv/bin/python bench/reminders.py --write` (it empties the database in
`BENCH_DATABASE_URL`).

| | Result |
| --- | --- |
| Web Push encryption alone, per message | {floor:.3f} ms CPU |
| Dispatcher CPU per message | {cpu_ms:.3f} ms: **{cpu_ms / floor:.2f}× the floor** \
(target ≤ 2.5× {'✔' if cpu_ms <= 2.5 * floor else '✘'}) |
| Wall time, {r['reminders']:,} reminders | {r['wall']:.1f} s ({r['rate']:,.0f} reminders/s) |
| Plain `webpush()` once per message ({base['messages']} sent, same run) | \
{base['rate']:,.1f}/s, {base['cpu_per_message_ms']:.2f} ms CPU each |
| Speed-up | **{r['speedup']:,.0f}×** (target ≥ 10× {'✔' if r['speedup'] >= 10 else '✘'}) |
| Push service CPU per message | {service_ms:.2f} ms |
| Reminders sent / delivery records | {r['sent']:,} / {r['deliveries']:,} (each exactly once) |

Where a dispatcher's CPU goes (cProfile with per-thread CPU clocks, one process sending
{r['profiled']:,} reminders, {profiled_ms:.2f} ms CPU per reminder under the profiler;
own time by library):

| Part | Time | Share |
| --- | --- | --- |
{shares_table(r)}

<details><summary>Top functions by own time</summary>

```
{top.strip()[:6000]}
```
</details>
"""
    with path.open("a") as handle:
        if path.stat().st_size == 0:
            handle.write("# Benchmarks\n")
        handle.write(section)
    print(f"Appended to {path}")


if __name__ == "__main__":
    main()
