"""`make test`: the whole suite on SQLite, then on PostgreSQL when one is reachable.

KEHU_TEST_POSTGRES_URL names the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/kehu_test;
pytest-django creates and drops its own test_* databases there). KEHU_REQUIRE_POSTGRES=1 turns
"not reachable" from a printed skip into a failure (CI sets it). Extra arguments go to pytest.

Suites marked `slow` or `browser` (production-server and deploy checks, model training, headless Chromium) are left
out unless KEHU_TEST_SLOW=1, so that a developer's `make test` stays within minutes; CI sets it and
runs everything.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/kehu_test"


def postgres_reachable(url: str) -> str | None:
    """None if we can connect to the server, else the reason."""
    try:
        import psycopg

        conninfo = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(conninfo, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means "not reachable", with its reason printed
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def run_suite(label: str, env: dict[str, str], args: list[str], report: Path) -> tuple[int, dict[str, int]]:
    print(f"\n=== kehu tests on {label} ===", flush=True)
    workers = os.environ.get("KEHU_TEST_WORKERS", "auto")
    cmd = [sys.executable, "-m", "pytest", "-n", workers, "--dist", "loadgroup", f"--junitxml={report}", *args]
    code = subprocess.call(cmd, env=env)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if report.exists():
        root = ET.parse(report).getroot()  # noqa: S314 (our own pytest's report)
        suites = [root] if root.tag == "testsuite" else list(root)
        for suite in suites:
            for key in counts:
                counts[key] += int(suite.get(key, 0))
    return code, counts


def main() -> int:
    args = sys.argv[1:]
    if os.environ.get("KEHU_TEST_SLOW") != "1" and "-m" not in args:
        args = ["-m", "not slow and not browser", *args]
        print("Slow and browser suites are left out; KEHU_TEST_SLOW=1 runs them too (CI does).", flush=True)
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    results: list[tuple[str, int, dict[str, int]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        code, counts = run_suite("SQLite", base_env, args, Path(tmp) / "sqlite.xml")
        results.append(("SQLite", code, counts))

        pg_url = os.environ.get("KEHU_TEST_POSTGRES_URL", DEFAULT_PG)
        reason = postgres_reachable(pg_url)
        require = os.environ.get("KEHU_REQUIRE_POSTGRES") == "1"
        if reason is None:
            env = {**base_env, "DATABASE_URL": pg_url}
            code, counts = run_suite("PostgreSQL", env, args, Path(tmp) / "postgres.xml")
            results.append(("PostgreSQL", code, counts))
        else:
            print(f"\n*** PostgreSQL SKIPPED: cannot reach {pg_url} ({reason}).", flush=True)
            if require:
                print("*** KEHU_REQUIRE_POSTGRES=1: failing instead of skipping.", flush=True)
                results.append(("PostgreSQL", 1, {"tests": 0, "failures": 0, "errors": 1, "skipped": 0}))
            else:
                print("*** Set KEHU_TEST_POSTGRES_URL to test on PostgreSQL as well.", flush=True)

    print("\n=== summary ===")
    passed = failed = skipped = 0
    for label, code, c in results:
        p = c["tests"] - c["failures"] - c["errors"] - c["skipped"]
        f = c["failures"] + c["errors"]
        passed, failed, skipped = passed + p, failed + f, skipped + c["skipped"]
        print(f"{label}: {p} passed, {f} failed, {c['skipped']} skipped (pytest exit {code})")
    worst = max(code for _label, code, _c in results)
    if worst != 0 and failed == 0:
        failed = 1  # pytest failed without a counted test failure (collection error, no tests)
    print(f"kehu: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if worst == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
