"""Who is acting, and through which door (web, API, CLI, task).

Every write records an actor. Middleware sets it for requests, the API auth for API calls, and
the `kehu` command for the CLI; services read it when they write the audit trail.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


class Source:
    WEB = "web"
    API = "api"
    CLI = "cli"
    TASK = "task"
    CHOICES = [(WEB, "web"), (API, "API"), (CLI, "CLI"), (TASK, "task")]


@dataclass(frozen=True)
class Actor:
    user: Any
    source: str
    ip: str | None = None


_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("kehu_actor", default=None)


def current_actor() -> Actor:
    """The acting user and source; outside a request it is the CLI (or task) with no user."""
    actor = _current.get()
    if actor is None:
        return Actor(user=None, source=os.environ.get("KEHU_SOURCE", Source.CLI))
    return actor


@contextlib.contextmanager
def acting_as(user: Any, source: str, ip: str | None = None) -> Iterator[Actor]:
    actor = Actor(user=user, source=source, ip=ip)
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
