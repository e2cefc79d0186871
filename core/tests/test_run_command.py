"""`kehu run` (what `make run` starts): web server, task worker and scheduler in one command that stops
cleanly — issue 12, item 4 ("refresh now" waited forever: `make run` started no worker).

The supervisor on its own with stand-in children (fast), then the real command on a fresh data
folder: the web answers, an enqueued task is done by the worker, and SIGINT (Ctrl-C) or the death of
one child leaves no process behind (slow).
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import supervisor
from core.supervisor import Child, Supervisor
from core.testing_run import alive, command_line, descendants, free_port, http_status, user_env, wait_for

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads process trees from /proc")

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
STUBBORN = [sys.executable, "-c",
            "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
            "time.sleep(120)"]


def test_when_one_child_ends_the_others_are_stopped():
    children = [Child("a", SLEEPER), Child("b", [sys.executable, "-c", "import sys, time; time.sleep(1); sys.exit(3)"]),
                Child("c", SLEEPER)]
    log = io.StringIO()
    assert Supervisor(children, log=log).run() == 3
    assert not any(alive(c.process.pid) for c in children)
    assert "b ended (status 3)" in log.getvalue()


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(monkeypatch):
    monkeypatch.setattr(supervisor, "STOP_GRACE_SECONDS", 1.0)
    stubborn = Child("stubborn", STUBBORN)
    stubborn.process = subprocess.Popen(stubborn.argv, stdout=subprocess.PIPE, start_new_session=True)  # noqa: S603
    assert stubborn.process.stdout.readline().strip() == b"ready"  # its SIGTERM handler is in place
    log = io.StringIO()
    Supervisor([stubborn], log=log).stop()
    assert not alive(stubborn.process.pid)
    assert "did not stop" in log.getvalue()


# --- the real command (slow) ----------------------------------------------------------------------------

def kehu(*args: str, env: dict[str, str], timeout: float = 300) -> str:
    result = subprocess.run([sys.executable, "-m", "kehu", *args], env=env, capture_output=True, text=True,  # noqa: S603
                            timeout=timeout, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("kehu-run-data")
    kehu("migrate", "--no-input", env=user_env(data_dir))
    return data_dir


@pytest.fixture
def kehu_run(migrated: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    port = free_port()
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kehu", "run", f"127.0.0.1:{port}", "--periodic-interval", "1"],
        env=user_env(migrated), stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        wait_for(lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200, 60, "the web server")
        yield process, port, tmp_path / "run.log"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)
            process.wait()
        log.close()


def task_status(data_dir: Path, task_id: str) -> str | None:
    with sqlite3.connect(data_dir / "kehu.sqlite3", timeout=10) as db:
        row = db.execute("SELECT status FROM django_tasks_database_dbtaskresult WHERE id = ?",
                         [task_id.replace("-", "")]).fetchone()
    return row[0] if row else None


@pytest.mark.slow
def test_kehu_run_serves_runs_tasks_and_stops_on_ctrl_c(kehu_run, migrated):
    process, port, log = kehu_run
    children = descendants(process.pid)
    commands = {command_line(pid) for pid in children}
    assert any("gunicorn kehu.wsgi" in c for c in commands), commands
    assert any("db_worker" in c for c in commands) and any("periodic --loop" in c for c in commands), commands
    # DEBUG off: the friendly 404 (not Django's list of URL patterns), static files still served
    assert http_status(f"http://127.0.0.1:{port}/static/kehu/kehu.css") == 200
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page/", timeout=5)  # noqa: S310
    except urllib.error.HTTPError as exc:
        body = exc.read().decode()
        assert exc.code == 404 and "URLconf" not in body and "404" in body
    # a task enqueued (as the pages do) is done by the worker
    task_id = kehu("shell", "-c", "from segmentation.tasks import segments_refresh_task; "
                   "print(segments_refresh_task.enqueue().id)", env=user_env(migrated)).split()[-1]
    assert wait_for(lambda: task_status(migrated, task_id) in {"SUCCESSFUL", "FAILED"} and task_status(
        migrated, task_id), 60, "the worker") == "SUCCESSFUL"
    # Ctrl-C: everything ends, nothing is left behind
    os.kill(process.pid, 2)
    assert process.wait(timeout=40) == 0, log.read_text()[-3000:]
    assert not [pid for pid in children if alive(pid)]
    assert http_status(f"http://127.0.0.1:{port}/healthz") is None


@pytest.mark.slow
def test_kehu_run_stops_everything_when_a_child_dies(kehu_run):
    process, port, log = kehu_run
    children = descendants(process.pid)
    worker = next(pid for pid in children if "db_worker" in command_line(pid))
    os.kill(worker, 9)
    assert process.wait(timeout=40) != 0
    assert "worker ended" in log.read_text()
    assert not [pid for pid in children if alive(pid)]
