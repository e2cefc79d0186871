"""Helpers for tests that run kehu as a user does, in processes of its own (`kehu run`, `make run`):
a free port, a user's environment, and the process tree (Linux /proc) to prove nothing is left."""

from __future__ import annotations

import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def user_env(data_dir: Path) -> dict[str, str]:
    """The environment of a user's `make run`: SQLite in a fresh data folder, nothing from the tests
    (their database, settings or debug flags)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DATABASE_URL", "DJANGO_", "PYTEST_"))}
    env["KEHU_DATA_DIR"] = str(data_dir)
    return env


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, their children, …)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except FileNotFoundError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return " ".join(Path(f"/proc/{pid}/cmdline").read_text().split("\0"))
    except FileNotFoundError:
        return ""


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """The first truthy value of check(), polled until `timeout` seconds; fails the test after."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def http_status(url: str) -> int | None:
    """The status of GET `url` (None when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own local server)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None
