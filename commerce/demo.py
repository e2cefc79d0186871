"""Demo orders and costs (filled in below)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any]) -> None:
    """Write the demo catalogue, orders with lines, and costs for the given customers."""
