"""Demo interactions and follow-up tasks (filled in below)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any]) -> None:
    """Write demo interactions and follow-up tasks for the given customers."""
