"""Per-customer demo traits and vectorised building blocks shared by the demo generators of several
apps, so that orders, interactions (and later complaints, surveys …) tell one consistent story
about each customer, and a million customers take minutes, not hours.

Everything is drawn with NumPy for a whole block of customers at once. Random streams are
`numpy.random.Generator(PCG64)` seeded from (seed, stream, block), where a block is a fixed range
of BLOCK customer ids: the same seed gives the same traits and rows on every machine, whatever
the order in which blocks are generated and whichever app asks. No domain knowledge here: just how
much, how often, whether and when a customer goes quiet, and calendars.
"""

from __future__ import annotations

import queue
import threading
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from time import monotonic
from typing import Any

import numpy as np

# A small share of customers ("whales") buys far more per order: the value is lognormal with a
# heavy tail, so the top 20 % of customers bring roughly 70–80 % of the margin (Pareto-like).
VALUE_SIGMA = 1.4
ACTIVITY_SIGMA = 0.8
CHURN_SHARE = 0.22
# Customers per random block: block k holds the ids k·BLOCK … (k+1)·BLOCK − 1.
BLOCK = 25_000
# Random streams (one per kind of data, so that adding a generator never shifts another's data).
STREAM_TRAITS, STREAM_ORDERS, STREAM_INTERACTIONS = 1, 2, 3

# Relative weight of each month (1–12) for sales: the run-up to Spring Festival, quarter-end
# pushes of the banks, the Double-11 shopping season; quiet in the Spring Festival holiday and summer.
MONTH_WEIGHTS = {1: 1.35, 2: 0.75, 3: 1.2, 4: 0.9, 5: 0.9, 6: 1.2, 7: 0.8, 8: 0.8, 9: 1.15, 10: 0.85, 11: 1.1,
                 12: 1.3}


def block_rng(seed: int, stream: int, block: int) -> np.random.Generator:
    """The random stream of one (seed, stream, block)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed % 2**63, stream, block])))


@dataclass
class Traits:
    """Traits of an array of customers (one entry per customer, aligned with the ids asked for)."""

    value: np.ndarray  # size of purchases relative to the average customer (mean ≈ 1)
    activity: np.ndarray  # frequency of orders and contacts relative to the average (mean 1)
    churned: np.ndarray  # bool: stopped buying at some point
    stop_at: np.ndarray  # when, as a fraction (0–1) of the customer's active span; 1.0 = still active
    preference: np.ndarray  # a uniform draw apps use for a favourite channel, product line, …


def traits(seed: int, ids: np.ndarray) -> Traits:
    """The traits of the customers `ids` (any order, any blocks): a deterministic function of
    (seed, id) — every block draws the traits of all its BLOCK ids from its own stream."""
    ids = np.asarray(ids, dtype=np.int64)
    out = [np.empty(len(ids)) for _ in range(5)]
    blocks = ids // BLOCK
    for block in np.unique(blocks).tolist():
        rng = block_rng(seed, STREAM_TRAITS, block)
        # lognormal(mu, sigma) has mean exp(mu + sigma²/2): mu = −sigma²/2 gives mean 1.
        drawn = (rng.lognormal(-VALUE_SIGMA**2 / 2, VALUE_SIGMA, BLOCK),
                 rng.lognormal(-ACTIVITY_SIGMA**2 / 2, ACTIVITY_SIGMA, BLOCK),
                 rng.random(BLOCK), rng.random(BLOCK), rng.random(BLOCK))
        mask = blocks == block
        at = ids[mask] - block * BLOCK
        for target, values in zip(out, drawn, strict=True):
            target[mask] = values[at]
    value, activity, churn_draw, stop_draw, preference = out
    churned = churn_draw < CHURN_SHARE
    return Traits(value=value, activity=activity, churned=churned,
                  stop_at=np.where(churned, 0.35 + 0.55 * stop_draw, 1.0), preference=preference)


def weighted(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    """`size` indexes into `weights`, drawn with those weights (inverse CDF on cumulative weights)."""
    cum = np.cumsum(np.asarray(weights, dtype=float))
    return np.searchsorted(cum, rng.random(size) * cum[-1], side="right").clip(0, len(cum) - 1)


def weighted_rows(rng: np.random.Generator, table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each entry of `rows`, an index into the columns of `table[row]` drawn with that row's weights."""
    cum = np.cumsum(table, axis=1)[rows]
    x = rng.random(len(rows)) * cum[:, -1]
    return (x[:, None] >= cum).sum(axis=1).clip(0, table.shape[1] - 1)


def position_in_group(counts: np.ndarray) -> np.ndarray:
    """0, 1, … within each group of an expansion by np.repeat(…, counts)."""
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total) - np.repeat(starts, counts)


def _minutes_east(at: datetime) -> int:
    """The UTC offset of an aware datetime, in minutes."""
    offset = at.utcoffset()
    if offset is None:
        raise ValueError(f"{at} has no time zone")
    return int(offset.total_seconds() // 60)


class Calendar:
    """Days as ordinals (date.toordinal()) around `today`, in the current time zone: the seasonal
    curve, UTC offsets, and conversion of local (day, minute of day) to UTC minutes."""

    def __init__(self, today: date, tz: tzinfo | str, history_days: int, margin_days: int = 60) -> None:
        self.tz = zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz
        self.today = today.toordinal()
        self.first = self.today - history_days - margin_days
        self.last = self.today + margin_days
        days = [date.fromordinal(d) for d in range(self.first, self.last + 1)]
        weights = np.array([MONTH_WEIGHTS[d.month] for d in days])
        # cum[i] = weight of all days before first + i: a day is drawn by inverse CDF in [s, e].
        self.cum = np.concatenate([[0.0], np.cumsum(weights)])
        # Offsets at noon: office hours are never inside a daylight-saving switch.
        self.offset = np.array([_minutes_east(datetime.combine(d, time(12), tzinfo=self.tz)) for d in days],
                               dtype=np.int64)

    def clip(self, days: np.ndarray) -> np.ndarray:
        return np.clip(days, self.first, self.last)

    def seasonal(self, rng: np.random.Generator, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """One day per entry between start and end (inclusive) following MONTH_WEIGHTS."""
        s, e = self.clip(start) - self.first, self.clip(np.maximum(start, end)) - self.first
        lo, hi = self.cum[s], self.cum[e + 1]
        target = lo + rng.random(len(s)) * (hi - lo)
        day = np.searchsorted(self.cum, target, side="right") - 1
        return np.clip(day, s, e) + self.first

    def utc_minutes(self, day: np.ndarray, minute: np.ndarray) -> np.ndarray:
        """Minutes since 1970-01-01 00:00 UTC of local (ordinal day, minute of day)."""
        local = (day.astype(np.int64) - EPOCH) * 1440 + minute
        return local - self.offset[self.clip(day) - self.first]

    def local_day(self, utc_minutes: np.ndarray) -> np.ndarray:
        """The local ordinal day of UTC minutes (for dates shown to users, e.g. a due date)."""
        approx = utc_minutes // 1440 + EPOCH
        return (utc_minutes + self.offset[self.clip(approx) - self.first]) // 1440 + EPOCH

    @staticmethod
    def now_minutes(now: datetime) -> int:
        return int((now - datetime(1970, 1, 1, tzinfo=now.tzinfo or zoneinfo.ZoneInfo("UTC"))).total_seconds() // 60)


EPOCH = date(1970, 1, 1).toordinal()


def first_days(since: np.ndarray, today: int, history_days: int) -> np.ndarray:
    """The first day of a customer's history: the relationship start, at most history_days back
    (since is an ordinal day, or 0 when unknown)."""
    earliest = today - history_days
    return np.where(since > 0, np.maximum(since, earliest), earliest)


def codes(values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """(index of each value in the list of distinct values, that list): strings as small integers."""
    distinct: dict[Any, int] = {}
    out = np.fromiter((distinct.setdefault(v, len(distinct)) for v in values), dtype=np.int64, count=len(values))
    return out, list(distinct)


def pick(items: Sequence[Any], index: np.ndarray) -> list[Any]:
    """[items[i] for i in index], in C (the same objects, no copies)."""
    table = np.empty(len(items), dtype=object)
    table[:] = list(items)
    return table[index].tolist()




def ahead(items: Iterable[Any], depth: int = 1) -> Iterator[Any]:
    """The items of `items`, produced by a thread that runs `depth` items ahead: the caller writes
    one block while the next one is generated. The two overlap on two cores because NumPy and
    the database drivers release the GIL while they work (and a second process would cost more
    in pickling the rows than generating them). The thread never touches the database."""
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                box.put(("item", item))
            box.put(("done", None))
        except BaseException as exc:  # handed to the caller, which raises it
            box.put(("error", exc))

    worker = threading.Thread(target=produce, name="demo-generator", daemon=True)
    worker.start()
    try:
        while True:
            kind, payload = box.get()
            if kind == "item":
                yield payload
            elif kind == "error":
                raise payload
            else:
                return
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                box.get_nowait()
            except queue.Empty:
                worker.join(0.05)


class PhaseClock:
    """Seconds spent in each named phase of a bulk load (rows, indexes, commit …), as `kehu demo` prints them."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._at = monotonic()

    def lap(self, name: str) -> None:
        """Close the phase `name` now; the next phase starts from here."""
        now = monotonic()
        self.phases[name] = round(now - self._at, 1)
        self._at = now
