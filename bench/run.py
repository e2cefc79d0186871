"""`make bench`: kehu at a million customers, measured through the production server.

For each database (SQLite, then PostgreSQL when reachable) the bench

1. builds the bench database with `kehu demo --customers N --seed S`, or reuses it when it already
   holds that dataset (a marker table records N, the seed and how long the load took);
2. starts gunicorn (2 sync workers, DEBUG off) on 127.0.0.1 and logs a bench administrator in
   (a session for the pages, an API token for the API);
3. sends a bounded number of requests per operation, one at a time (single user, warm: a few
   warm-up requests first), each with a different realistic argument taken from the data, and
   checks every answer (status 200, and for searches the expected hit);
4. runs two throughput tests with concurrent clients (API read, card page) and counts errors;

then prints one table (operation, database, p50, p95, p99, requests/s, target, pass/fail) and
writes it as JSON to bench/results/. See docs/performance.md for how to read it.

    python -m bench.run [--customers 1000000] [--databases sqlite,postgresql] [--requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432"


# --- Databases -----------------------------------------------------------------------------------

@dataclass
class Database:
    label: str  # "SQLite", "PostgreSQL"
    url: str
    customers: int

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_") and k != "DATABASE_URL"}
        env.update({
            "DATABASE_URL": self.url, "KEHU_DEBUG": "0", "KEHU_ALLOWED_HOSTS": HOST, "KEHU_LOG_LEVEL": "ERROR",
            "DJANGO_SETTINGS_MODULE": "kehu.settings", "PYTHONPATH": str(ROOT),
        })
        return env


def bench_name(customers: int) -> str:
    return "kehu_bench" if customers == 1_000_000 else f"kehu_bench_{customers}"


def sqlite_database(customers: int) -> Database:
    folder = ROOT / "data" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return Database("SQLite", f"sqlite:///{folder / (bench_name(customers) + '.sqlite3')}", customers)


def postgres_database(server: str, customers: int) -> Database:
    return Database("PostgreSQL", f"{server.rstrip('/')}/{bench_name(customers)}", customers)


def postgres_reachable(server: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(f"{server.rstrip('/')}/postgres", connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 (any failure means "not reachable")
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _prepare(db: Database, *args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.prepare", *args], cwd=ROOT, env=db.env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"bench.prepare {args[0]} failed on {db.label}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout or "{}")


def _kehu(db: Database, *args: str, echo: bool = True) -> str:
    """Run a kehu command against the bench database; its output goes to the terminal too."""
    proc = subprocess.Popen([str(BIN / "kehu"), *args], cwd=ROOT, env=db.env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if echo:
            sys.stdout.write("    " + line if not line.startswith("\r") else line)
            sys.stdout.flush()
    if proc.wait() != 0:
        raise RuntimeError(f"kehu {' '.join(args)} failed on {db.label}:\n{''.join(lines)[-3000:]}")
    return "".join(lines)


def _recreate(db: Database) -> None:
    if db.url.startswith("sqlite:"):
        path = Path(db.url.removeprefix("sqlite:///").removeprefix("sqlite://"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    import psycopg

    server, name = db.url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def ensure_dataset(db: Database, seed: int, rebuild: bool) -> dict[str, Any]:
    """The bench database with `db.customers` demo customers: reused when it holds them already."""
    meta = {} if rebuild else (_safe_meta(db))
    if meta.get("customers") == db.customers and meta.get("seed") == seed and meta.get("complete"):
        print(f"  {db.label}: reusing the bench database ({db.customers:,} customers, loaded in "
              f"{meta.get('demo_seconds', 0):.0f}s)")
        _kehu(db, "migrate", "--no-input", "-v0", echo=False)
        return meta
    print(f"  {db.label}: building the bench database with {db.customers:,} customers (seed {seed}) …")
    _recreate(db)
    _kehu(db, "migrate", "--no-input", "-v0", echo=False)
    started = time.monotonic()
    output = _kehu(db, "demo", "--customers", str(db.customers), "--seed", str(seed))
    total = time.monotonic() - started
    found = re.search(r"Customers done in ([0-9.]+)s", output)
    values = {"customers": db.customers, "seed": seed, "complete": True, "demo_seconds": round(total, 1),
              "customers_seconds": float(found.group(1)) if found else None,
              "loaded_at": datetime.now(UTC).isoformat(timespec="seconds")}
    return _prepare(db, "mark", "--values", json.dumps(values))


def _safe_meta(db: Database) -> dict[str, Any]:
    try:
        return _prepare(db, "meta")
    except RuntimeError:
        return {}


# --- The server ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving kehu.wsgi, as in production (docs/deploy.md), on a free local port."""

    def __init__(self, db: Database, workers: int) -> None:
        self.db, self.workers, self.port = db, workers, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "kehu.wsgi", "--bind", f"{HOST}:{self.port}", "--workers", str(self.workers),
             "--worker-class", "sync", "--timeout", "120", "--log-level", "warning"],
            cwd=ROOT, env=self.db.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn stopped: {self.proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                status, _body, _headers = request(self.port, "GET", "/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
            body: str | None = None) -> tuple[int, bytes, http.client.HTTPMessage]:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), response.headers
    finally:
        conn.close()


def login(port: int, username: str, password: str) -> str:
    """A session cookie header for `username`, through the real login form."""
    status, body, headers = request(port, "GET", "/accounts/login/")
    csrf = _cookie(headers, "csrftoken")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not csrf or not token:
        raise RuntimeError(f"login page: status {status}")
    form = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrfmiddlewaretoken": token.group(1).decode()})
    status, _body, headers = request(port, "POST", "/accounts/login/", {
        "Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://{HOST}:{port}/accounts/login/",
    }, form)
    session = _cookie(headers, "sessionid")
    if status != 302 or not session:
        raise RuntimeError(f"login failed: status {status}")
    return f"sessionid={session}; csrftoken={csrf}; django_language=zh-hans"


def _cookie(headers: http.client.HTTPMessage, name: str) -> str | None:
    for value in headers.get_all("Set-Cookie") or []:
        match = re.match(rf"{name}=([^;]*)", value)
        if match:
            return match.group(1)
    return None


# --- Measurements --------------------------------------------------------------------------------

@dataclass
class Probe:
    """One request: path, headers, and a byte string a correct answer contains."""

    path: str
    headers: dict[str, str]
    expect: bytes = b""


@dataclass
class Result:
    operation: str
    database: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float
    target: str
    passed: bool
    note: str = ""
    concurrency: int = 1


def _percentile(sorted_ms: list[float], p: float) -> float:
    if not sorted_ms:
        return float("nan")
    k = max(0, min(len(sorted_ms) - 1, round(p / 100 * len(sorted_ms) + 0.5) - 1))
    return sorted_ms[k]


def _send(port: int, probe: Probe) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        status, body, _headers = request(port, "GET", probe.path, probe.headers)
    except OSError:
        return (time.perf_counter() - started) * 1000, False
    ms = (time.perf_counter() - started) * 1000
    return ms, status == 200 and (not probe.expect or probe.expect in body)


def measure(port: int, probes: list[Probe], requests: int, concurrency: int = 1, warmup: int = 5) -> dict[str, Any]:
    """`requests` requests cycling through `probes` with `concurrency` clients."""
    for probe in probes[:warmup]:
        _send(port, probe)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        nonlocal errors
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            ms, ok = _send(port, probes[i % len(probes)])
            with lock:
                latencies.append(ms)
                errors += 0 if ok else 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"requests": len(latencies), "errors": errors, "p50": _percentile(latencies, 50),
            "p95": _percentile(latencies, 95), "p99": _percentile(latencies, 99), "rps": len(latencies) / elapsed}


# wrk's Lua: each thread cycles through the probes' paths and checks every answer (status 200 and the
# expected text); `done` runs in the main state and adds up the threads' counts of bad answers.
WRK_SCRIPT = """
local threads = {}
setup = function(thread) table.insert(threads, thread) end
paths = {%(paths)s}
headers = {%(headers)s}
expect = %(expect)s
i = 0
bad = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], headers)
end
response = function(status, _headers, body)
  if status ~= 200 or (expect ~= "" and not string.find(body, expect, 1, true)) then bad = bad + 1 end
end
done = function(summary, latency, _requests)
  local e = summary.errors
  local wrong = 0
  for _, t in ipairs(threads) do wrong = wrong + t:get("bad") end
  io.write(string.format(
    'WRK {"requests": %%d, "duration_us": %%d, "errors": %%d, "p50": %%d, "p95": %%d, "p99": %%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + wrong,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def measure_wrk(port: int, probes: list[Probe], seconds: float, concurrency: int) -> dict[str, Any] | None:
    """Throughput with wrk (a C load generator on one thread), so that the client takes little of the
    2 cores the server needs; None when wrk is not installed (then the Python client is used).
    Bounded in time (`seconds`); every answer is checked, and wrong answers count as errors."""
    wrk = shutil.which("wrk")
    if not wrk:
        return None
    for probe in probes[:20]:
        _send(port, probe)
    script = WRK_SCRIPT % {
        "paths": ", ".join(_lua(p.path) for p in probes),
        "headers": ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in probes[0].headers.items()),
        "expect": _lua(probes[0].expect.decode()),
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probes.lua"
        path.write_text(script)
        out = subprocess.run([wrk, "-t1", f"-c{concurrency}", f"-d{seconds:.0f}s", "--timeout", "30s", "-s", str(path),
                              f"http://{HOST}:{port}/"], capture_output=True, text=True, timeout=seconds + 120)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout[-1000:]} {out.stderr[-1000:]}")
    data = json.loads(line[4:])
    return {"requests": data["requests"], "errors": data["errors"], "p50": data["p50"] / 1000,
            "p95": data["p95"] / 1000, "p99": data["p99"] / 1000,
            "rps": data["requests"] / (data["duration_us"] / 1e6), "client": "wrk"}


@dataclass
class Operation:
    name: str
    probes: Callable[[dict[str, Any], dict[str, str], dict[str, str]], list[Probe]]
    p95_ms: float | None = None  # latency target (single user)
    min_rps: float | None = None  # throughput target (concurrent clients)
    throughput: bool = False


def _q(path: str, params: dict[str, Any]) -> str:
    return f"{path}?{urllib.parse.urlencode({k: v for k, v in params.items() if v not in (None, '')})}"


def _search(kind: str) -> Callable[[dict[str, Any], dict[str, str], dict[str, str]], list[Probe]]:
    def probes(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
        return [Probe(_q("/customers/search/", {"q": s["q"]}), {**web, "HX-Request": "true"}, s["expect"].encode())
                for s in fx["search"][kind]]
    return probes


def _list(key: str, deep: bool, api: bool) -> Callable[[dict[str, Any], dict[str, str], dict[str, str]], list[Probe]]:
    def probes(fx: dict[str, Any], web: dict[str, str], api_headers: dict[str, str]) -> list[Probe]:
        spec = fx["lists"].get(key)
        if not spec:
            return []
        cursors = (spec["api_cursors"] if api else spec["cursors"]) if deep else [None]
        out = []
        for cursor in cursors:
            params = {**spec["filters"], "sort": spec["sort"], "cursor": cursor}
            if api:
                out.append(Probe(_q("/api/v1/customers", {**params, "limit": 50}), api_headers, b'"items"'))
            else:
                out.append(Probe(_q("/customers/", params), web, b'class="list'))
        return out
    return probes


def _list_search(kind: str) -> Callable[[dict[str, Any], dict[str, str], dict[str, str]], list[Probe]]:
    def probes(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
        queries = [s["q"] for s in fx["search"]["search_2char"]] if kind == "names" else SURNAMES
        return [Probe(_q("/customers/", {"q": q, "sort": "name"}), web, b'class="list') for q in queries]
    return probes


# The five most common surnames: each is 5-7 % of a Chinese customer base.
SURNAMES = ["王", "李", "张", "刘", "陈"]


def _cards(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
    return [Probe(f"/customers/{pk}/", web, b'class="card') for pk in fx["cards"]]


def _timelines(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
    return [Probe(f"/customers/{pk}/?tab=timeline", web, b'id="timeline"') for pk in fx["cards"]]


def _api_read(fx: dict[str, Any], _web: dict[str, str], api: dict[str, str]) -> list[Probe]:
    return [Probe(f"/api/v1/customers/{pk}", api, b'"name"') for pk in fx["api_ids"]]


def _calendar_team(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
    spec = fx.get("calendar_team")
    if not spec:
        return []
    return [Probe(_q("/work/calendar/team/", {"team": spec["team"], "date": day}), web, b'id="calendar"')
            for day in spec["dates"]]
def _plan_months(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
    return [Probe(_q("/work/plans/", page), web, b'class="list plan') for page in fx.get("plan_pages", [])]


def _inbox(fx: dict[str, Any], web: dict[str, str], api: dict[str, str]) -> list[Probe]:
    """The notifications page (which draws the bell) at its first, "unread" and deeper pages, and the
    API's unread count (what a client polls for the bell)."""
    cursors = fx.get("inbox_cursors") or []
    pages = [Probe(_q("/work/notifications/", {"cursor": c, "unread": u}), web, b'id="inbox"')
             for c, u in [(None, None), (None, "1"), *((c, None) for c in cursors)]]
    return pages + [Probe("/api/v1/notifications/unread-count", api, b'"unread"')] * len(pages)


def _dispatch_board(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
    spec = fx.get("service_requests") or {}
    return [Probe(_q("/service/requests/", {"mode": mode}), web, b'id="board"') for mode in spec.get("board_modes", [])]


def _kb_search(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
    spec = fx.get("service_requests") or {}
    return [Probe(_q("/service/knowledge/", {"q": q}), web, b'class="list') for q in spec.get("kb_queries", [])]


def _wealth_holdings(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
    pk = fx.get("wealth_customer")
    return [Probe(f"/customers/{pk}/?tab=wealth", web, b'class="list holdings')] * 20 if pk else []
def _coverage(fx: dict[str, Any], web: dict[str, str], api: dict[str, str]) -> list[Probe]:
    """The household coverage page and its API read (wealth: coverage) of households with policies and gaps."""
    ids = fx.get("coverage_households") or []
    return ([Probe(f"/wealth/customers/{pk}/coverage/", web, b'class="list coverage') for pk in ids]
            + [Probe(f"/api/v1/customers/{pk}/coverage", api, b'"gaps"') for pk in ids])


def _churn_pages(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
    pages = fx.get("churn", {}).get("pages", [])
    return [Probe(_q("/retention/", page), web, b'id="churn-chart-data"') for page in pages]


def _churn_cohorts(fx: dict[str, Any], _web: dict[str, str], api: dict[str, str]) -> list[Probe]:
    return [Probe("/api/v1/churn/cohorts", api, b'"cohorts"')] * 10 if fx.get("churn") else []
def _agreements(fx: dict[str, Any], web: dict[str, str], api: dict[str, str]) -> list[Probe]:
    """The service agreements list by status (expiring soon: the renewals to work on) and the API list."""
    statuses = (fx.get("service_agreements") or {}).get("statuses", [])
    return ([Probe(_q("/service/agreements/", {"status": s}), web, b'id="agreements"') for s in statuses]
            + [Probe(_q("/api/v1/agreements", {"status": s}), api, b'"items"') for s in statuses])


def _complaint_lists(fx: dict[str, Any], web: dict[str, str], api: dict[str, str]) -> list[Probe]:
    lists = (fx.get("complaints") or {}).get("lists", [])
    return ([Probe(_q("/service/", spec), web, b'class="list complaints') for spec in lists]
            + [Probe(_q("/api/v1/complaints", {**spec, "limit": 50}), api, b'"items"') for spec in lists])


def _complaints_analysis(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
    years = (fx.get("complaints") or {}).get("years", [])
    return [Probe(_q("/service/complaints/analysis/", {"year": y}), web, b'complaints-chart-data') for y in years]
def _winback(fx: dict[str, Any], web: dict[str, str], api: dict[str, str]) -> list[Probe]:
    """The win-back page (12 months of rates, campaigns), a campaign, the reason-unknown queue, the rates API."""
    spec = fx.get("winback") or {}
    probes = [Probe("/retention/winback/", web, b'id="winback-rate"'),
              Probe("/retention/winback/reason-unknown/?whose=team", web, b'id="reason-unknown"'),
              Probe("/api/v1/retention/winback/rates", api, b'"winback"')]
    if spec.get("campaign"):
        probes.append(Probe(f"/retention/winback/campaigns/{spec['campaign']}/", web, b'id="attempts"'))
    return probes


def _review_page(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
    spec = fx.get("reviews")
    return [Probe(f"/wealth/reviews/{spec['review_id']}/", web, b'id="review-chart-data"')] * 20 if spec else []


def _reviews_due(fx: dict[str, Any], web: dict[str, str], _api: dict[str, str]) -> list[Probe]:
    return [Probe("/", web, b'panel-reviews-due')] * 20 if fx.get("reviews") else []


OPERATIONS = [
    Operation("search: 2-character name", _search("search_2char"), p95_ms=50),
    Operation("search: 3-character name", _search("search_3char"), p95_ms=50),
    Operation("search: pinyin initials", _search("search_initials"), p95_ms=50),
    Operation("search: 4-digit phone fragment", _search("search_phone4"), p95_ms=50),
    Operation("search: e-mail prefix", _search("search_email"), p95_ms=50),
    Operation("list: city=上海, by name, first page", _list("city", False, False), p95_ms=50),
    Operation("list: city=上海, by name, 10,000 rows deep", _list("city", True, False), p95_ms=50),
    Operation("list: tag=VIP, newest first, first page", _list("tag", False, False), p95_ms=50),
    Operation("list: tag=VIP, newest first, 10,000 rows deep", _list("tag", True, False), p95_ms=50),
    Operation("list: search a 2-character name, by name", _list_search("names"), p95_ms=50),
    Operation("list: search one surname (~60,000 per million), by name", _list_search("surnames"), p95_ms=50),
    Operation("card: profile tab", _cards, p95_ms=100),
    Operation("card: timeline tab (50 items)", _timelines, p95_ms=100),
    Operation("API list: city, by name, first page", _list("city", False, True), p95_ms=50),
    Operation("API list: city, by name, 10,000 rows deep", _list("city", True, True), p95_ms=50),
    Operation("API read", _api_read, p95_ms=50),
    Operation("calendar: team week, 10 people, 300 appointments", _calendar_team, p95_ms=100),
    Operation("plan: monthly plan page of a team", _plan_months, p95_ms=200),
    Operation("inbox and bell (notifications page, unread count)", _inbox, p95_ms=30),
    Operation("service: dispatch board, 10,000 open requests", _dispatch_board, p95_ms=100),
    Operation("service: knowledge-base search", _kb_search, p95_ms=50),
    Operation("wealth: holdings tab of a customer with 200 holdings", _wealth_holdings, p95_ms=100),
    Operation("household coverage: page and API read", _coverage, p95_ms=100),
    Operation("retention: churn page", _churn_pages, p95_ms=500),
    Operation("retention: cohort triangle", _churn_cohorts, p95_ms=500),
    Operation("service agreements: list by status, API list", _agreements, p95_ms=100),
    Operation("service: complaint list by state and severity", _complaint_lists, p95_ms=50),
    Operation("service: complaints analysis page", _complaints_analysis, p95_ms=500),
    Operation("win-back: page with rates, campaign, reason-unknown queue, rates API", _winback, p95_ms=500),
    Operation("wealth: review page, 200 holdings, 24 reviews", _review_page, p95_ms=100),
    Operation("wealth: reviews due on the home page", _reviews_due, p95_ms=50),
    Operation("throughput: API read", _api_read, min_rps=300, throughput=True),
    Operation("throughput: card", _cards, min_rps=150, throughput=True),
]


def run_database(db: Database, args: argparse.Namespace) -> tuple[list[Result], dict[str, Any]]:
    meta = ensure_dataset(db, args.seed, args.rebuild)
    print(f"  {db.label}: preparing the bench user and sample requests …")
    fx = _prepare(db, "fixture", "--seed", str(args.seed))
    results: list[Result] = []
    load_before = os.getloadavg()
    with Server(db, args.workers) as server:
        web = {"Cookie": login(server.port, fx["username"], fx["password"]), "Accept-Language": "zh-hans"}
        api = {"Authorization": f"Bearer {fx['token']}"}
        for op in OPERATIONS:
            if args.only and not re.search(args.only, op.name):
                continue
            probes = op.probes(fx, web, api)
            if not probes:
                print(f"  {db.label}: {op.name}: skipped (no data for it)")
                continue
            if op.throughput:
                m = (measure_wrk(server.port, probes, args.throughput_seconds, args.concurrency)
                     if args.client == "wrk" else None)
                if m is None:
                    m = measure(server.port, probes, args.throughput_requests, concurrency=args.concurrency, warmup=20)
                    m["client"] = "python"
                passed = m["errors"] == 0 and m["rps"] >= (op.min_rps or 0)
                target = f">= {op.min_rps:.0f} req/s"
            else:
                m = measure(server.port, probes, args.requests)
                passed = m["errors"] == 0 and m["p95"] <= (op.p95_ms or float("inf"))
                target = f"p95 <= {op.p95_ms:.0f} ms"
            result = Result(operation=op.name, database=db.label, requests=m["requests"], errors=m["errors"],
                            p50_ms=round(m["p50"], 1), p95_ms=round(m["p95"], 1), p99_ms=round(m["p99"], 1),
                            rps=round(m["rps"], 1), target=target, passed=passed,
                            concurrency=args.concurrency if op.throughput else 1,
                            note=f"client: {m['client']}" if op.throughput else "")
            results.append(result)
            print(f"  {db.label}: {op.name}: p95 {result.p95_ms} ms, {result.rps} req/s, "
                  f"{result.errors} errors → {'pass' if passed else 'FAIL'}", flush=True)
    info = {"dataset": meta, "timeline_items_per_card": fx.get("timeline_items"), "customers": fx.get("customers"),
            "load_average_before": load_before, "load_average_after": os.getloadavg()}
    return results, info


# --- Output --------------------------------------------------------------------------------------

def table(results: list[Result]) -> str:
    head = ("operation", "database", "p50 ms", "p95 ms", "p99 ms", "req/s", "target", "result")
    rows = [(r.operation, r.database, f"{r.p50_ms:.1f}", f"{r.p95_ms:.1f}", f"{r.p99_ms:.1f}", f"{r.rps:.0f}",
             r.target, ("pass" if r.passed else "FAIL") + (f" ({r.errors} errors)" if r.errors else ""))
            for r in results]
    widths = [max(_width(x) for x in col) for col in zip(head, *rows, strict=True)]
    line = "| " + " | ".join("{}" for _ in head) + " |"

    def fmt(cells: tuple[str, ...]) -> str:
        return line.format(*(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)))

    return "\n".join([fmt(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(fmt(r) for r in rows)])


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(c) >= 0x2E80 else 1 for c in text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=int(os.environ.get("BENCH_CUSTOMERS", 1_000_000)))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG),
                        help="PostgreSQL server (the bench creates kehu_bench there)")
    parser.add_argument("--requests", type=int, default=200, help="requests per latency measurement")
    parser.add_argument("--throughput-requests", type=int, default=3000,
                        help="requests per throughput test with the Python client")
    parser.add_argument("--throughput-seconds", type=float, default=20, help="seconds per throughput test with wrk")
    parser.add_argument("--client", choices=["wrk", "python"], default="wrk",
                        help="throughput client: wrk when installed (apt-get install wrk), else Python threads")
    parser.add_argument("--concurrency", type=int, default=8, help="clients in the throughput tests")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--rebuild", action="store_true", help="build the bench databases even if present")
    parser.add_argument("--only", help="run only the operations matching this regular expression")
    args = parser.parse_args(argv)

    started = time.monotonic()
    results: list[Result] = []
    databases: dict[str, Any] = {}
    wanted = [d.strip().lower() for d in args.databases.split(",") if d.strip()]
    print(f"kehu bench: {args.customers:,} customers, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name in wanted:
        if name == "sqlite":
            db = sqlite_database(args.customers)
        elif name in ("postgresql", "postgres"):
            reason = postgres_reachable(args.postgres)
            if reason:
                print(f"  PostgreSQL skipped: cannot reach {args.postgres} ({reason})")
                databases["PostgreSQL"] = {"skipped": reason}
                continue
            db = postgres_database(args.postgres, args.customers)
        else:
            parser.error(f"unknown database {name!r}")
        rows, info = run_database(db, args)
        results += rows
        databases[db.label] = info

    print()
    print(table(results))
    failed = [r for r in results if not r.passed]
    print(f"\n{len(results) - len(failed)} of {len(results)} measurements met their target "
          f"({time.monotonic() - started:.0f}s).")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"bench-{args.customers}-{stamp}.json"
    path.write_text(json.dumps({
        "command": "python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv),
        "customers": args.customers, "seed": args.seed, "requests_per_measurement": args.requests,
        "throughput_requests": args.throughput_requests, "concurrency": args.concurrency, "workers": args.workers,
        "started_at": stamp, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                         "platform": platform.platform()},
        "databases": databases, "results": [asdict(r) for r in results],
    }, ensure_ascii=False, indent=2) + "\n")
    print(f"Results: {path.relative_to(ROOT)}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
