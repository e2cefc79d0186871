"""Where the value matrix's potential value comes from: providers that higher apps register.

segmentation sits below insights, so it may not import the predicted lifetime values; insights
registers a provider instead (InsightsConfig.ready()). At each refresh the available provider with
the highest priority supplies every customer's potential; with none available, the potential is
the trend of margin that segmentation computes itself (docs/segmentation.md). The refresh records
which one it used (`RefreshResult.potential_source`, the settings row, the log, the value matrix's
page).

Contract for a provider (`register(PotentialProvider(...))` from an AppConfig.ready()):

- `key`: a short stable name, stored with the refresh ("clv"); not "trend", which is the fallback.
- `label`: what users read about the source (a lazy translation).
- `priority`: higher wins when several are available.
- `available(using)`: whether the provider has values to give now, on database alias `using` — an
  ordinary query (e.g. "are there any scores?") that does not raise for ordinary states; the tables
  exist because they are migrated with the project.
- `table`, `customer_column`, `value_column`: the SQL it supplies — a table (or view) with at most one
  row per customer, `customer_column` the customer's id and `value_column` the potential in the
  order currency. The refresh LEFT JOINs it to every customer; a customer without a row counts 0.

Registering a key again replaces the earlier provider (AppConfig.ready() may run more than once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

TREND = "trend"
TREND_LABEL = _("the trend of margin (the last period's margin minus the one before)")


@dataclass(frozen=True)
class PotentialProvider:
    """A source of every customer's potential value (see the module docstring for the contract)."""

    key: str
    label: Any
    priority: int
    available: Callable[[str], bool]
    table: str
    customer_column: str
    value_column: str


_providers: dict[str, PotentialProvider] = {}


def register(provider: PotentialProvider) -> None:
    """Offer `provider` to the value matrix (replacing an earlier one with the same key)."""
    if provider.key == TREND:
        raise ValueError(f"{TREND!r} is the built-in fallback, not a provider key")
    _providers[provider.key] = provider


def providers() -> list[PotentialProvider]:
    """Every registered provider, the highest priority first."""
    return sorted(_providers.values(), key=lambda p: (-p.priority, p.key))


def choose(using: str) -> PotentialProvider | None:
    """The available provider with the highest priority, or None: the trend of margin."""
    return next((p for p in providers() if p.available(using)), None)


def label_of(key: str) -> Any:
    """What users read about the source stored as `key` (the key itself when its provider is gone)."""
    if key == TREND:
        return TREND_LABEL
    provider = _providers.get(key)
    return provider.label if provider else key
