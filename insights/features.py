"""Per-customer features at a cut-off date, for the churn model (and anything else that needs a
point-in-time picture of a customer): computed set-based, one grouped query per source table.

Point in time. `as of D` means "at the end of day D" in the server's time zone: orders, interactions
and tasks created before the start of D + 1, costs dated D or earlier. Nothing after the cut is read,
so features at an old cut-off are what we would have known then (except one thing we cannot
reconstruct: an order's status is today's status — an order paid before the cut and refunded after
it counts as not completed; refunds are rare, and documented in docs/analytics.md).

Only completed (paid, not deleted) orders count, as everywhere in kehu (`Order.objects.completed()`).
The population at a cut-off is every non-deleted customer with at least one completed order before
it: a customer who never bought cannot be "leaving".

Registry. Features are declared as `Feature` rows and computed by providers: a provider is a function
`(ctx: FeatureContext) -> dict[key, np.ndarray]` giving one float per population customer (NaN when
undefined, e.g. the inter-purchase interval of a one-time buyer). Apps that come later — complaints
and service requests (D6/D7), satisfaction surveys (D8) — add their own features with
`register_provider(features=[...], provider=fn)`; the churn model picks up every registered feature
without change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class Feature:
    """One feature: a stable key (stored with the scores and used in the factors), a label for
    people, the group it belongs to and its unit (which also tells the models how to scale it)."""

    key: str
    label: Promise | str
    group: str  # behaviour, value, model, service, satisfaction
    unit: str  # days, count, money, ratio, probability, flag


@dataclass
class FeatureContext:
    """What a provider gets: the population (sorted customer ids), the cut-off and the window."""

    customer_ids: np.ndarray
    cut: date
    window_days: int
    cut_end: datetime = field(init=False)  # start of the day after the cut, in the server's time zone
    cache: dict[str, Any] = field(default_factory=dict)  # queries providers share

    def __post_init__(self) -> None:
        self.cut_end = day_start(self.cut + timedelta(days=1))

    def days_before(self, days: int) -> datetime:
        """The moment `days` days before the end of the cut day."""
        return self.cut_end - timedelta(days=days)

    def align(self, ids: list[int] | np.ndarray, values: list[Any] | np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Values given for some customer ids, placed in population order (`fill` where missing)."""
        out = np.full(len(self.customer_ids), fill, dtype=float)
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids):
            n = len(self.customer_ids)
            pos = np.searchsorted(self.customer_ids, ids)
            ok = (pos < n) & (self.customer_ids[np.minimum(pos, max(n - 1, 0))] == ids) if n else pos < 0
            out[pos[ok]] = np.asarray(values, dtype=float)[ok]
        return out


Provider = Callable[[FeatureContext], dict[str, np.ndarray]]


@dataclass(frozen=True)
class FeatureFrame:
    """A feature matrix: one row per customer (ids sorted), one column per feature key."""

    customer_ids: np.ndarray
    keys: list[str]
    X: np.ndarray
    cut: date
    window_days: int

    def column(self, key: str) -> np.ndarray:
        return self.X[:, self.keys.index(key)]


FEATURES: list[Feature] = []
PROVIDERS: list[Provider] = []


def register_provider(*, features: list[Feature], provider: Provider) -> None:
    """Add features and the function that computes them (idempotent: apps' ready() may run twice)."""
    known = {f.key for f in FEATURES}
    for f in features:
        if f.key not in known:
            FEATURES.append(f)
            known.add(f.key)
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)


def feature(key: str) -> Feature:
    """The declared feature with this key (LookupError if none)."""
    for f in FEATURES:
        if f.key == key:
            return f
    raise LookupError(key)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_default_timezone())


def _seconds(values: list[datetime | None]) -> np.ndarray:
    return np.array([v.timestamp() if v is not None else np.nan for v in values], dtype=float)


def _money(values: list[Any]) -> np.ndarray:
    return np.array([float(v) if v is not None else 0.0 for v in values], dtype=float)


# --- built-in providers -----------------------------------------------------------------------

ORDER_FEATURES = [
    Feature("recency_days", _("Days since last purchase"), "behaviour", "days"),
    Feature("frequency", _("Purchase days"), "behaviour", "count"),
    Feature("orders_365", _("Orders in the last 365 days"), "behaviour", "count"),
    Feature("tenure_days", _("Days since first purchase"), "behaviour", "days"),
    Feature("interval_days", _("Usual days between purchases"), "behaviour", "days"),
    Feature("silence_ratio", _("Silence relative to usual interval"), "behaviour", "ratio"),
    Feature("orders_last_window", _("Orders in the last window"), "behaviour", "count"),
    Feature("orders_prev_window", _("Orders in the window before"), "behaviour", "count"),
    Feature("margin_trend", _("Margin trend (last vs previous window)"), "value", "ratio"),
    Feature("margin_per_order", _("Margin per order"), "value", "money"),
    Feature("margin_total", _("Total margin"), "value", "money"),
]


def _order_rows(cut_end: datetime, window_days: int) -> list[tuple[Any, ...]]:
    """One grouped query over the completed orders before the cut: a row per customer."""
    from commerce.models import Order

    def before(days: int) -> datetime:
        return cut_end - timedelta(days=days)

    w1, w2, y1 = before(window_days), before(2 * window_days), before(365)
    return list(
        Order.objects.completed().filter(ordered_at__lt=cut_end, customer__deleted_at__isnull=True)
        .values("customer_id").order_by("customer_id")
        .annotate(
            first=Min("ordered_at"), last=Max("ordered_at"),
            # Several orders on one day are one purchase occasion, as in the BG/NBD literature.
            days=Count(TruncDate("ordered_at"), distinct=True),
            orders=Count("id"), margin_sum=Sum("margin"),
            o365=Count("id", filter=Q(ordered_at__gte=y1)),
            o1=Count("id", filter=Q(ordered_at__gte=w1)),
            o2=Count("id", filter=Q(ordered_at__gte=w2, ordered_at__lt=w1)),
            m1=Sum("margin", filter=Q(ordered_at__gte=w1)),
            m2=Sum("margin", filter=Q(ordered_at__gte=w2, ordered_at__lt=w1)),
        )
        .values_list("customer_id", "first", "last", "days", "orders", "margin_sum", "o365", "o1", "o2", "m1", "m2")
    )


def order_features(ctx: FeatureContext) -> dict[str, np.ndarray]:
    """Recency, frequency, value, tenure, interval, silence and trend from completed orders."""
    rows = ctx.cache.get("order_rows")
    if rows is None:
        rows = _order_rows(ctx.cut_end, ctx.window_days)
    ids = [r[0] for r in rows]
    cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _i in range(11)]
    end = ctx.cut_end.timestamp()
    first = ctx.align(ids, _seconds(list(cols[1])), np.nan)
    last = ctx.align(ids, _seconds(list(cols[2])), np.nan)
    days = ctx.align(ids, list(cols[3]))
    orders = ctx.align(ids, list(cols[4]))
    margin = ctx.align(ids, _money(list(cols[5])))
    m1, m2 = ctx.align(ids, _money(list(cols[9]))), ctx.align(ids, _money(list(cols[10])))
    recency = (end - last) / DAY_SECONDS
    tenure = (end - first) / DAY_SECONDS
    with np.errstate(invalid="ignore", divide="ignore"):
        # Undefined (NaN) for one-time buyers: there is no usual interval to be silent against.
        interval = np.where(days > 1, (last - first) / DAY_SECONDS / np.maximum(days - 1, 1), np.nan)
        silence = recency / np.maximum(interval, 1.0)
        scale = np.abs(m1) + np.abs(m2)
        trend = np.where(scale > 0, (m1 - m2) / np.where(scale > 0, scale, 1.0), 0.0)
        per_order = np.where(orders > 0, margin / np.maximum(orders, 1), np.nan)
    return {
        "recency_days": recency, "frequency": days, "orders_365": ctx.align(ids, list(cols[6])),
        "tenure_days": tenure, "interval_days": interval, "silence_ratio": silence,
        "orders_last_window": ctx.align(ids, list(cols[7])), "orders_prev_window": ctx.align(ids, list(cols[8])),
        "margin_trend": trend, "margin_per_order": per_order, "margin_total": margin,
        # Sufficient statistics for BG/NBD (not features themselves; used by bgnbd_features).
        "_first": first, "_last": last, "_days": days,
    }


BGNBD_FEATURES = [
    Feature("bgnbd_expected", _("Expected purchases in the window (BG/NBD)"), "model", "count"),
    Feature("bgnbd_p_alive", _("Probability alive (BG/NBD)"), "model", "probability"),
]


def bgnbd_inputs(first: np.ndarray, last: np.ndarray, days: np.ndarray, cut_end: datetime
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) in weeks, as in the papers: repeat purchase days, time of the last one after the
    first, and the customer's age at the cut."""
    x = np.maximum(days - 1, 0)
    t_x = (last - first) / DAY_SECONDS / 7.0
    T = (cut_end.timestamp() - first) / DAY_SECONDS / 7.0
    return x, t_x, T


def bgnbd_features(ctx: FeatureContext, base: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """BG/NBD expected purchases in the next window and P(alive), fitted on the data before the cut
    only (insights.math.bgnbd). NaN columns, and the reason in the info dict, when the fit fails."""
    nan = np.full(len(ctx.customer_ids), np.nan)
    info: dict[str, Any] = {"fitted": False}
    if len(ctx.customer_ids) == 0:
        return {"bgnbd_expected": nan, "bgnbd_p_alive": nan}, info
    try:
        from insights.math.bgnbd import bgnbd_expected_purchases, bgnbd_fit, bgnbd_p_alive
    except ImportError:  # pragma: no cover - the math module ships with insights
        info["error"] = "unavailable"
        return {"bgnbd_expected": nan, "bgnbd_p_alive": nan}, info
    x, t_x, T = bgnbd_inputs(base["_first"], base["_last"], base["_days"], ctx.cut_end)
    try:
        fit = bgnbd_fit(x, t_x, T)
        expected = np.asarray(bgnbd_expected_purchases(fit.params, ctx.window_days / 7.0, x, t_x, T), dtype=float)
        alive = np.asarray(bgnbd_p_alive(fit.params, x, t_x, T), dtype=float)
    except (ValueError, FloatingPointError, ArithmeticError, np.linalg.LinAlgError) as exc:
        info["error"] = str(exc)
        return {"bgnbd_expected": nan, "bgnbd_p_alive": nan}, info
    info.update(fitted=True, converged=bool(getattr(fit, "converged", True)),
                log_likelihood=float(getattr(fit, "log_likelihood", np.nan)),
                params={k: float(v) for k, v in _params_dict(fit.params).items()})
    return {"bgnbd_expected": expected, "bgnbd_p_alive": alive}, info


def _params_dict(params: Any) -> dict[str, float]:
    if hasattr(params, "_asdict"):
        return dict(params._asdict())
    if hasattr(params, "__dataclass_fields__"):
        return {k: getattr(params, k) for k in params.__dataclass_fields__}
    return {}


SERVICE_FEATURES = [
    Feature("inbound_180", _("Inbound contacts in the last 180 days"), "service", "count"),
    Feature("contacts_window", _("Contacts in the last window"), "service", "count"),
    Feature("days_since_contact", _("Days since last contact"), "service", "days"),
    Feature("open_tasks", _("Open follow-up tasks"), "service", "count"),
    Feature("overdue_tasks", _("Overdue follow-up tasks"), "service", "count"),
    Feature("service_cost_365", _("Service cost in the last 365 days"), "service", "money"),
    Feature("cost_to_serve_365", _("Cost to serve in the last 365 days"), "value", "money"),
]


def service_features(ctx: FeatureContext) -> dict[str, np.ndarray]:
    """Service signals that exist today: contacts (inbound ones are requests and questions), open
    and overdue follow-up tasks at the cut, and costs to serve (service costs separately)."""
    from commerce.choices import CostKind
    from commerce.models import CustomerCost
    from interactions.choices import Direction
    from interactions.models import Interaction
    from work.models import Task, TaskStatus

    end = ctx.cut_end
    rows = list(
        Interaction.objects.filter(occurred_at__lt=end, deleted_at__isnull=True, customer__deleted_at__isnull=True)
        .values("customer_id").order_by()
        .annotate(inbound=Count("id", filter=Q(direction=Direction.INBOUND, occurred_at__gte=ctx.days_before(180))),
                  recent=Count("id", filter=Q(occurred_at__gte=ctx.days_before(ctx.window_days))),
                  last=Max("occurred_at"))
        .values_list("customer_id", "inbound", "recent", "last")
    )
    ids = [r[0] for r in rows]
    last = ctx.align(ids, _seconds([r[3] for r in rows]), np.nan)
    # A task is open at the cut if it existed then and was not yet done (a cancelled one never counts).
    tasks = list(
        Task.objects.filter(created_at__lt=end, deleted_at__isnull=True, customer__deleted_at__isnull=True)
        .exclude(status=TaskStatus.CANCELLED)
        .filter(Q(done_at__isnull=True) | Q(done_at__gte=end))
        .values("customer_id").order_by()
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=ctx.cut)))
        .values_list("customer_id", "open", "overdue")
    )
    t_ids = [r[0] for r in tasks]
    year_ago = ctx.cut - timedelta(days=364)
    costs = list(
        CustomerCost.objects.filter(incurred_on__lte=ctx.cut, incurred_on__gte=year_ago, deleted_at__isnull=True,
                                    customer__deleted_at__isnull=True)
        .values("customer_id").order_by()
        .annotate(service=Sum("amount", filter=Q(kind=CostKind.SERVICE)), total=Sum("amount"))
        .values_list("customer_id", "service", "total")
    )
    c_ids = [r[0] for r in costs]
    return {
        "inbound_180": ctx.align(ids, [r[1] for r in rows]),
        "contacts_window": ctx.align(ids, [r[2] for r in rows]),
        "days_since_contact": (end.timestamp() - last) / DAY_SECONDS,
        "open_tasks": ctx.align(t_ids, [r[1] for r in tasks]),
        "overdue_tasks": ctx.align(t_ids, [r[2] for r in tasks]),
        "service_cost_365": ctx.align(c_ids, _money([r[1] for r in costs])),
        "cost_to_serve_365": ctx.align(c_ids, _money([r[2] for r in costs])),
    }


PROFILE_FEATURES = [Feature("organisation", _("Organisation"), "profile", "flag")]


def profile_features(ctx: FeatureContext) -> dict[str, np.ndarray]:
    from customers.models import Customer

    orgs = Customer.objects.filter(kind="organisation", deleted_at__isnull=True).values_list("pk", flat=True)
    return {"organisation": np.isin(ctx.customer_ids, np.fromiter(orgs.iterator(chunk_size=20_000),
                                                                  dtype=np.int64)).astype(float)}


register_provider(features=ORDER_FEATURES + BGNBD_FEATURES, provider=order_features)
register_provider(features=SERVICE_FEATURES, provider=service_features)
register_provider(features=PROFILE_FEATURES, provider=profile_features)


def feature_frame(*, cut: date, window_days: int = 90, customer_ids: np.ndarray | None = None,
                  info: dict[str, Any] | None = None) -> FeatureFrame:
    """The features of every registered provider at the cut, one row per population customer
    (or per given customer id that is in the population). `info` receives the BG/NBD fit summary."""
    # The grouped order query defines the population (customers with a completed order before the
    # cut), so it runs once, first, and the order provider reuses it.
    rows = _order_rows(day_start(cut + timedelta(days=1)), window_days)
    if customer_ids is not None:
        wanted = set(np.asarray(customer_ids, dtype=np.int64).tolist())
        rows = [r for r in rows if r[0] in wanted]
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    ctx = FeatureContext(customer_ids=ids, cut=cut, window_days=window_days)
    ctx.cache["order_rows"] = rows
    columns: dict[str, np.ndarray] = {}
    for provider in PROVIDERS:
        values = provider(ctx)
        if provider is order_features:
            # BG/NBD is fitted on the whole pre-cut population, from the order statistics just read.
            model, fit_info = bgnbd_features(ctx, values)
            values = {**values, **model}
            if info is not None:
                info["bgnbd"] = fit_info
        columns.update(values)
    keys = [f.key for f in FEATURES if f.key in columns]
    X = np.column_stack([columns[k] for k in keys]) if len(ids) else np.zeros((0, len(keys)))
    return FeatureFrame(customer_ids=ids, keys=keys, X=X.astype(float), cut=cut, window_days=window_days)


def churn_labels(*, customer_ids: np.ndarray, cut: date, window_days: int) -> np.ndarray:
    """1 where the customer has no completed order in (cut, cut + window], else 0."""
    from commerce.models import Order

    start = day_start(cut + timedelta(days=1))
    end = day_start(cut + timedelta(days=window_days + 1))
    bought = (Order.objects.completed().filter(ordered_at__gte=start, ordered_at__lt=end)
              .values_list("customer_id", flat=True).order_by().distinct())
    active = np.fromiter(bought.iterator(chunk_size=20_000), dtype=np.int64)
    return (~np.isin(np.asarray(customer_ids, dtype=np.int64), active)).astype(int)
