"""Voice memos at full length, through the HTTP API of a real app server process.

1. Upload a 30-minute memo (WebM/Opus at 128 kbit/s, about 29 MB, made here with PyAV) in
   1 MiB pieces, then complete it: Tend checks it, transcodes it to AAC in MP4, encrypts it
   in chunks and stores it (in the background for a memo this long; the device asks until
   it is ready, as static/js/media-sync.js does). Time for each part, and the peak memory
   (RSS) of the app process above its idle RSS. Target: under 50 MB above idle, however
   long the memo: nothing is ever held whole in memory.
2. Serve it back: 200 random 1 MB byte ranges (median and p99 latency), and the whole file
   five times (throughput).

Ratios measured in the same run: processing speed as a multiple of real time, and a 1 MB
range's latency against the smallest signed-in JSON answer (GET /api/session).

Run: ``.venv/bin/python bench/media.py``: SQLite, and PostgreSQL too when
``BENCH_DATABASE_URL`` is set (its tables are dropped and made again: use a scratch
database). The server is gunicorn with one gthread worker, on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

MEMO_SECONDS = 30 * 60
PIECE = 1024 * 1024
RANGE = 1_000_000
RANGES = 200
TARGET_MB = 50


def make_memo(path: Path, seconds: int) -> None:
    """A varied tone with noise, so the encoder has something to spend its bits on."""
    import av

    rng = random.Random(7)  # noqa: S311 (test signal, not a secret)
    frames = []
    for k in range(50):
        pitch = 180 + 12 * k
        frames.append(struct.pack("<960h", *[
            int(6000 * math.sin(2 * math.pi * pitch * i / 48000) + rng.randint(-2500, 2500))
            for i in range(960)
        ]))
    with av.open(str(path), mode="w", format="webm") as out:
        stream = out.add_stream("libopus", rate=48000, layout="mono")
        stream.bit_rate = 128_000
        stream.options = {"vbr": "off"}
        for start in range(0, seconds * 48000, 960):
            frame = av.AudioFrame(format="s16", layout="mono", samples=960)
            frame.planes[0].update(frames[(start // 960) % 50])
            frame.sample_rate = 48000
            frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def drop_everything(database_url: str) -> None:
    """Leave the scratch database empty: its rows carry data keys of this run's master key."""
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(database_url)
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)
    engine.dispose()


def fresh_schema(database_url: str) -> None:
    from webapp import create_app
    from webapp.extensions import db

    drop_everything(database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_pid(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


class PeakMemory(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.02)

    def stop(self) -> float:
        self.running = False
        self.join()
        return self.peak


def signed_in(base: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(f"{base}/register").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    answer = session.post(f"{base}/register", data={
        "csrf_token": token, "email": "bench@example.org", "password": "a long bench password",
    }, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:300]
    return session, session.get(f"{base}/api/session").json()["csrf_token"]


def upload(base: str, session, csrf: str, data: bytes, media_id: str) -> tuple[float, float]:
    headers = {"X-CSRFToken": csrf}
    started = time.perf_counter()
    answer = session.post(f"{base}/api/media", json={"id": media_id, "kind": "memo",
                                                     "size": len(data)}, headers=headers)
    assert answer.status_code == 201, answer.text
    for offset in range(0, len(data), PIECE):
        answer = session.post(f"{base}/api/media/{media_id}/content",
                              data=data[offset : offset + PIECE],
                              headers={**headers, "Upload-Offset": str(offset),
                                       "Content-Type": "application/octet-stream"})
        assert answer.status_code == 200, answer.text
    sent = time.perf_counter()
    answer = session.post(f"{base}/api/media/{media_id}/complete",
                          json={"sha256": hashlib.sha256(data).hexdigest(),
                                "entry": {"title": "Thirty minutes"}}, headers=headers)
    assert answer.status_code in (200, 202), answer.text
    while answer.json().get("status") == "processing":
        time.sleep(0.5)
        answer = session.get(f"{base}/api/media/{media_id}")
    assert answer.json().get("status") == "ready", answer.text
    return sent - started, time.perf_counter() - sent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def run(label: str, database_url: str, memo: bytes, warm_up: bytes) -> dict:
    fresh_schema(database_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench",
           "RATELIMIT_ENABLED": "0"}
    log = open(Path(os.environ["TEND_INSTANCE_PATH"]) / f"server-{label}.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", "1", "--threads", "4",
         "--worker-class", "gthread", "--timeout", "120", "--bind", f"127.0.0.1:{port}",
         "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/login", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)
        pid = worker_pid(server.pid)
        session, csrf = signed_in(base)
        upload(base, session, csrf, warm_up, "00000000-0000-4000-8000-000000000001")
        time.sleep(1)
        idle = rss_mb(pid)
        meter = PeakMemory(pid)
        meter.start()
        sending, processing = upload(base, session, csrf, memo,
                                     "00000000-0000-4000-8000-000000000002")
        peak = meter.stop()
        url = f"{base}/media/00000000-0000-4000-8000-000000000002"
        size = int(session.head(url).headers["Content-Length"])
        latencies = []
        rng = random.Random(3)  # noqa: S311 (where to read, not a secret)
        for _ in range(RANGES):
            start = rng.randrange(0, size - RANGE)
            began = time.perf_counter()
            answer = session.get(url, headers={"Range": f"bytes={start}-{start + RANGE - 1}"})
            latencies.append(time.perf_counter() - began)
            assert answer.status_code == 206 and len(answer.content) == RANGE
        baseline = []
        for _ in range(RANGES):
            began = time.perf_counter()
            session.get(f"{base}/api/session")
            baseline.append(time.perf_counter() - began)
        began = time.perf_counter()
        for _ in range(5):
            assert len(session.get(url).content) == size
        throughput = 5 * size / (time.perf_counter() - began) / 1e6
    except Exception:
        meter.stop() if "meter" in locals() else None
        print(Path(log.name).read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
        drop_everything(database_url)
    return {
        "label": label, "memo_mb": len(memo) / 1e6, "stored_mb": size / 1e6,
        "sending": sending, "processing": processing, "idle": idle, "peak": peak,
        "range_median": statistics.median(latencies) * 1000,
        "range_p99": percentile(latencies, 0.99) * 1000,
        "baseline": statistics.median(baseline) * 1000, "throughput": throughput,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["TEND_INSTANCE_PATH"] = folder
        memo_path, warm_path = Path(folder) / "memo.webm", Path(folder) / "warm.webm"
        print(f"making a {MEMO_SECONDS // 60}-minute memo…", flush=True)
        make_memo(memo_path, MEMO_SECONDS)
        make_memo(warm_path, 60)
        memo, warm_up = memo_path.read_bytes(), warm_path.read_bytes()
        runs = [("SQLite", f"sqlite:///{folder}/bench.db")]
        if os.environ.get("BENCH_DATABASE_URL"):
            from webapp.config import normalise_database_url

            runs.append(("PostgreSQL", normalise_database_url(os.environ["BENCH_DATABASE_URL"])))
        print("| Engine | Memo | Upload (1 MiB pieces) | Check, transcode, encrypt, store "
              "| Idle RSS | Peak above idle | 1 MB range: median / p99 | Ratio to /api/session "
              "| Whole file |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for label, url in runs:
            r = run(label, url, memo, warm_up)
            growth = r["peak"] - r["idle"]
            print(
                f"| {label} | {r['memo_mb']:.1f} MB → {r['stored_mb']:.1f} MB AAC "
                f"| {r['sending']:.1f} s | {r['processing']:.1f} s "
                f"({MEMO_SECONDS / r['processing']:.0f}× real time) | {r['idle']:.0f} MB "
                f"| **{growth:.0f} MB** {'✔' if growth < TARGET_MB else '✘'} "
                f"| {r['range_median']:.1f} / {r['range_p99']:.1f} ms "
                f"| {r['range_median'] / r['baseline']:.1f}× | {r['throughput']:.0f} MB/s |",
                flush=True,
            )


if __name__ == "__main__":
    main()
