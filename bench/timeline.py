"""Signed-in timeline vs. a bare Flask hello world, both under `gunicorn -w 2`, same run.

Target (docs/benchmarks.md): the timeline serves at least half the requests/s of hello world.
Needs `wrk` (Debian package). Uses SQLite in a temporary folder unless BENCH_DATABASE_URL is
set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/tend_bench — its tables are replaced).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "8")
ENTRIES = 40  # two pages of the timeline exist; the first (20 entries) is measured


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(target: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", target],
        cwd=ROOT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(url + "/", timeout=2)
            return process, url
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{target} did not start")


def wrk(url: str, cookie: str | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"50%\s+(\S+)", output).group(1)
    p99 = re.search(r"99%\s+(\S+)", output).group(1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": int(non_2xx.group(1)) if non_2xx else 0}


def prepare_tend(env: dict) -> None:
    """Create the schema and one person with ENTRIES entries."""
    script = f"""
from webapp import create_app
from webapp.extensions import db
from webapp.auth import services as auth
from webapp.journal import services as journal
app = create_app()
with app.app_context():
    db.drop_all(); db.create_all()
    user = auth.register("bench@example.org", "benchmark password", "Europe/Berlin")
    for n in range({ENTRIES}):
        journal.create_entry(user, journal.parse_entry_input(
            {{"title": f"Day {{n}}", "body": "A gentle paragraph of reflection. " * 12, "mood": n % 5 + 1}}))
"""
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True)


def sign_in(url: str) -> str:
    browser = requests.Session()
    page = browser.get(url + "/login").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = browser.post(url + "/login", data={
        "email": "bench@example.org", "password": "benchmark password", "csrf_token": token,
    }, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    timeline = browser.get(url + "/journal")
    assert timeline.status_code == 200 and timeline.text.count('class="entry"') == 20
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as instance:
        env = {
            **os.environ,
            "TEND_INSTANCE_PATH": instance,
            "SECRET_KEY": "benchmark",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
        if os.environ.get("BENCH_DATABASE_URL"):
            env["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
        prepare_tend(env)
        hello, hello_url = serve("bench.hello_app:app", env)
        tend, tend_url = serve("wsgi:app", env)
        try:
            cookie = sign_in(tend_url)
            wrk(hello_url + "/")  # warm both up
            wrk(tend_url + "/journal", cookie)
            results = {
                "hello_world": wrk(hello_url + "/"),
                "timeline": wrk(tend_url + "/journal", cookie),
            }
        finally:
            for process in (hello, tend):
                process.terminate()
                process.wait()
    results["ratio"] = round(results["timeline"]["rps"] / results["hello_world"]["rps"], 3)
    results["database"] = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    results["target_met"] = results["ratio"] >= 0.5
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
