"""Run kehu's processes on one machine as one command (`kehu run`, what `make run` starts).

The product needs three processes: the web server (gunicorn), the task worker (`kehu db_worker`:
imports, "refresh now", segments after an import) and the scheduler (`kehu periodic --loop`: the
nightly jobs). Production runs them as separate services (docs/deploy.md); on one machine this small
supervisor starts the three, stops them all on Ctrl-C or SIGTERM, and stops them all when one of
them dies (a half-running kehu, e.g. pages without a worker, is worse than a clear stop).

Each child runs in a session of its own, so that a Ctrl-C in the terminal reaches only the
supervisor, which then stops the children in order and waits for them (no orphan keeps the port or
the database). On Linux the children are also told to end should the supervisor itself be killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

# Seconds a child has to finish its current request or task after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 20.0
POLL_SECONDS = 0.2


class Log(Protocol):
    """Where the supervisor reports: a text stream (sys.stderr, a command's OutputWrapper)."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> None: ...


@dataclass
class Child:
    """One supervised process: a name for the log and its command line."""

    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)


def kehu_processes(*, bind: str, web_workers: int, periodic_interval: int) -> list[Child]:
    """The web server, the task worker and the scheduler, with the running interpreter."""
    python = sys.executable
    return [
        Child("web", [python, "-m", "gunicorn", "kehu.wsgi", "--bind", bind, "--workers", str(web_workers),
                      "--timeout", "120", "--graceful-timeout", str(int(STOP_GRACE_SECONDS) - 5),
                      # gunicorn's control socket is one path per user: a second kehu would take it.
                      "--no-control-socket"]),
        Child("worker", [python, "-m", "kehu", "db_worker", "--no-reload"]),
        Child("scheduler", [python, "-m", "kehu", "periodic", "--loop", "--interval", str(periodic_interval)]),
    ]


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM when the supervisor dies, even by SIGKILL."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(libc_name, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Supervisor:
    """Start `children`, wait until one ends or a stop signal arrives, then stop them all.

    `run()` returns the exit status: 0 after a requested stop, otherwise the status of the child that
    ended first (1 if it ended with status 0: it was not asked to).
    """

    def __init__(self, children: Sequence[Child], *, log: Log | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.children = list(children)
        self.log: Log = log or sys.stderr
        self.env = env
        self._stop_signal: int | None = None

    def _say(self, message: str) -> None:
        self.log.write(f"[kehu run] {message}\n")
        self.log.flush()

    def _request_stop(self, signum: int, _frame: object) -> None:
        self._stop_signal = signum

    def run(self) -> int:
        previous: dict[int, Callable[..., object] | int | None] = {}
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, self._request_stop)
        try:
            for child in self.children:
                if self._stop_signal is not None:
                    break
                child.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                    child.argv, env=self.env, start_new_session=True,
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
                )
                self._say(f"started {child.name} (pid {child.process.pid}): {' '.join(child.argv[1:])}")
            status = self._watch()
        finally:
            self.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return status

    def _watch(self) -> int:
        while self._stop_signal is None:
            for child in self.children:
                code = child.process.poll() if child.process else None
                if code is not None:
                    self._say(f"{child.name} ended (status {code}); stopping the others")
                    return code or 1
            time.sleep(POLL_SECONDS)
        self._say(f"{signal.Signals(self._stop_signal).name}: stopping")
        return 0

    def stop(self) -> None:
        """SIGTERM to every child still running (web first: no new requests while the worker ends its
        task), wait up to STOP_GRACE_SECONDS, then kill whatever is left with its process group."""
        running = [(c, c.process) for c in self.children if c.process is not None and c.process.poll() is None]
        for _child, process in running:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child, process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._say(f"{child.name} did not stop in {STOP_GRACE_SECONDS:.0f} s; killing it")
            # Whatever the child left in its group (gunicorn's workers after a killed master).
            _signal_group(process, signal.SIGKILL)
            process.wait()
        if running:
            self._say("stopped")


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)  # the child leads its own session, so its group id is its pid
