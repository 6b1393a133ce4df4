"""Signed-in pages vs. a bare Flask hello world, all under `gunicorn -w 2`, in one run.

Targets (docs/benchmarks.md), as ratios to hello world's requests/s measured in the same run
with `wrk -c16`: the timeline ≥ 0.5 with its page cache (and p99 ≤ 25 ms), ≥ 0.12 without;
Today, Practices and Insights ≥ 0.35 with the cache on, ≥ 0.12 with it off.
Needs `wrk` (Debian package: `apt-get install wrk`). Uses SQLite in a temporary folder unless
BENCH_DATABASE_URL is set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/tend_bench —
its tables are replaced).
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
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")
WARM_UP = "2s"
# (name, path, ratio with the page cache, ratio without it); the timeline's p99 ≤ 25 ms too.
PAGES = [
    ("timeline", "/journal", 0.5, 0.12),
    ("Today", "/", 0.35, 0.12),
    ("Practices", "/practices", 0.35, 0.12),
    ("Insights", "/insights", 0.35, 0.12),
]
P99_TARGET_MS = 25.0
ENTRIES = 40  # two pages of the timeline exist; the first (20 entries) is measured
# One browser: signing in and every measured request send the same User-Agent, as a phone
# does. (Flask-Login's session protection marks a session whose browser changed as no
# longer fresh, and writes the cookie again on every such request.)
USER_AGENT = "Mozilla/5.0 (Linux; Android 14) tend-bench"


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


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, cookie: str | None = None, duration: str = DURATION) -> dict:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}", "--latency", url]
    command[1:1] = ["-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"50%\s+(\S+)", output).group(1)
    p99 = re.search(r"99%\s+(\S+)", output).group(1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, "p50": p50, "p99": p99, "p99_ms": milliseconds(p99),
            "errors": int(non_2xx.group(1)) if non_2xx else 0}


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
    browser.headers["User-Agent"] = USER_AGENT
    page = browser.get(url + "/login").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = browser.post(url + "/login", data={
        "email": "bench@example.org", "password": "benchmark password", "csrf_token": token,
    }, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    timeline = browser.get(url + "/journal")
    assert timeline.status_code == 200 and timeline.text.count('class="entry"') == 20
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def mark(ok: bool) -> str:
    return "✔" if ok else "✘"


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed, and these figures need it: apt-get install wrk "
                         "(`make bench` installs it when it can).")
    load = os.getloadavg()
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
        cached, cached_url = serve("wsgi:app", env)
        uncached, uncached_url = serve("wsgi:app", {**env, "TEND_PAGE_CACHE": "0"})
        results: dict = {"hello_world": {}, "with_cache": {}, "without_cache": {}}
        try:
            cookies = {"with_cache": (cached_url, sign_in(cached_url)),
                       "without_cache": (uncached_url, sign_in(uncached_url))}
            wrk(hello_url + "/", duration=WARM_UP)
            results["hello_world"] = wrk(hello_url + "/")
            for variant, (url, cookie) in cookies.items():
                for name, path, _, _ in PAGES:
                    wrk(url + path, cookie, duration=WARM_UP)
                    results[variant][name] = wrk(url + path, cookie)
        finally:
            for process in (hello, cached, uncached):
                process.terminate()
                process.wait()
    hello_rps = results["hello_world"]["rps"]
    results["database"] = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    results["load_average"] = load
    print(json.dumps(results, indent=2))
    print(f"\nSigned-in pages vs hello world, gunicorn -w 2, wrk -c{CONNECTIONS} -d{DURATION}, "
          f"{results['database']}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"at the start")
    print(f"  hello world: {hello_rps:,.0f} req/s, p99 {results['hello_world']['p99']}")
    met = True
    for variant, label, index in (("with_cache", "page cache on", 2),
                                  ("without_cache", "page cache off", 3)):
        for page in PAGES:
            name, target = page[0], page[index]
            figure = results[variant][name]
            ratio = figure["rps"] / hello_rps
            ok = ratio >= target and not figure["errors"]
            line = (f"  {name:<10} {label:<15} {figure['rps']:>7,.0f} req/s  "
                    f"ratio {ratio:.3f} (target >= {target}) {mark(ok)}")
            if name == "timeline" and variant == "with_cache":
                p99_ok = figure["p99_ms"] <= P99_TARGET_MS
                line += f"  p99 {figure['p99']} (target <= {P99_TARGET_MS:.0f} ms) {mark(p99_ok)}"
                ok = ok and p99_ok
            if figure["errors"]:
                line += f"  ({figure['errors']} answers not 2xx/3xx)"
            print(line)
            met = met and ok
    print("all targets met" if met else "not every target is met")


if __name__ == "__main__":
    main()
