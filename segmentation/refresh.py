# ruff: noqa: S608
# (The statements are built from table and column names declared in code and from integers computed
# here; every value that comes from data or settings is a bound parameter.)
"""The refresh of the computed schemes (ABC, RFM, lifecycle, loyalty, value matrix), set-based.

Four statements do the work, whatever the number of customers (docs/segmentation.md has the rules):

1. `kehu_seg_base` (temporary table): one row per non-deleted customer with the figures of its
   completed orders up to the as-of day, each order on its calendar day in the business time zone
   (integers: days since 1970-01-01; money in cents, so that sums and comparisons are exact on
   SQLite too): window figures, all-time counts, first/second/last order day, the day they were won
   back after a gap longer than the churn window, purchases per loyalty period, margin of the last
   two periods, the current lifecycle mark, costs to serve in the window.
2. `kehu_seg_new`: the classes. ABC by a running sum over profit (desc, id), RFM ranks and scores by
   RANK() over the customers who bought in the window, the value matrix by RANK() against the
   configured percentiles, the lifecycle stage by CASE, and the stage change against the stored row
   with its date and cause.
3. INSERT … SELECT into LifecycleTransition for every changed stage.
4. INSERT … SELECT … ON CONFLICT (customer_id) DO UPDATE into CustomerSegment; rows of customers
   deleted since are removed.

All in one transaction: readers see the previous classes until it commits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from commerce.choices import OrderStatus
from commerce.models import CustomerCost, Order
from core.db_analytics import analytics_settings, date_day_sql, day_date_sql, local_day_sql
from customers.models import Customer
from segmentation.choices import AbcTier, LifecycleMarkKind, LifecycleStage, Loyalty, RfmSegment, ValueClass
from segmentation.models import CustomerSegment, LifecycleMark, LifecycleTransition, SegmentationSettings

EPOCH = date(1970, 1, 1)

# Causes of lifecycle transitions (LifecycleTransition.cause), documented in docs/segmentation.md.
CAUSE_NEW_CUSTOMER = "new_customer"
CAUSE_MARKED_TARGET = "marked_target"
CAUSE_MARKED_NON_CUSTOMER = "marked_non_customer"
CAUSE_MARK_CLEARED = "mark_cleared"
CAUSE_FIRST_PURCHASE = "first_purchase"
CAUSE_SECOND_PURCHASE = "second_purchase"
CAUSE_LOYAL_RULE = "loyal_rule"
CAUSE_LOYAL_LAPSED = "loyal_lapsed"
CAUSE_NO_PURCHASE = "no_purchase"
CAUSE_MARKED_CHURNED = "marked_churned"
CAUSE_WON_BACK = "won_back"
CAUSE_LOST_EXPIRED = "lost_expired"
CAUSE_ORDERS_CHANGED = "orders_changed"
CAUSES = [
    CAUSE_NEW_CUSTOMER, CAUSE_MARKED_TARGET, CAUSE_MARKED_NON_CUSTOMER, CAUSE_MARK_CLEARED, CAUSE_FIRST_PURCHASE,
    CAUSE_SECOND_PURCHASE, CAUSE_LOYAL_RULE, CAUSE_LOYAL_LAPSED, CAUSE_NO_PURCHASE, CAUSE_MARKED_CHURNED,
    CAUSE_WON_BACK, CAUSE_LOST_EXPIRED, CAUSE_ORDERS_CHANGED,
]


@dataclass
class RefreshResult:
    """What a refresh did: the as-of day, how many customers it classified, how many lifecycle
    transitions it recorded, the rule schemes it evaluated, and the time of each phase (seconds)."""

    as_of: date
    customers: int = 0
    transitions: int = 0
    removed: int = 0
    rule_schemes: int | None = None
    potential_source: str = "trend"
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())


def business_zone() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "KEHU_TIME_ZONE", None) or settings.TIME_ZONE)


def business_today() -> date:
    """Today in the business time zone."""
    return timezone.now().astimezone(business_zone()).date()


def day_number(value: date) -> int:
    return (value - EPOCH).days


def _day_start_utc(day: date) -> datetime:
    """The instant the calendar day `day` starts in the business time zone."""
    return datetime(day.year, day.month, day.day, tzinfo=business_zone())


def _clv_table(using: str) -> str | None:
    """The table of stored CLV scores, when the insights app is installed and has scored anyone."""
    if not apps.is_installed("insights"):
        return None
    try:
        model = apps.get_model("insights", "CustomerScore")
        model._meta.get_field("clv")
    except LookupError:
        return None
    except Exception:  # noqa: BLE001 (FieldDoesNotExist: no clv column, use the trend)
        return None
    try:
        if not model.objects.using(using).exists():
            return None
    except Exception:  # noqa: BLE001 (table not migrated yet)
        return None
    return model._meta.db_table


def _q(name: str) -> str:
    return '"' + name + '"'


def _stage_sql() -> str:
    """The lifecycle stage of a kehu_seg_base row (b) with lost_since (days) computed."""
    S = LifecycleStage  # noqa: N806
    return f"""CASE
        WHEN b.orders_total = 0 THEN CASE b.mark_kind WHEN '{LifecycleMarkKind.NON_CUSTOMER}' THEN '{S.NON_CUSTOMER}'
             WHEN '{LifecycleMarkKind.TARGET}' THEN '{S.TARGET}' ELSE '{S.POTENTIAL}' END
        WHEN b.lost_since IS NOT NULL AND %(A)s - b.lost_since > %(non_customer_after)s THEN '{S.NON_CUSTOMER}'
        WHEN b.lost_since IS NOT NULL THEN '{S.LOST}'
        WHEN b.orders_total >= %(loyal_min_orders)s AND b.periods >= %(loyal_min_periods)s THEN '{S.LOYAL}'
        WHEN b.orders_total >= 2 THEN '{S.REPEAT}'
        ELSE '{S.FIRST_TIME}' END"""


def _rfm_segment_sql(r: str, f: str) -> str:
    """The named segment of the R×F grid (issue 5 / docs/segmentation.md)."""
    R = RfmSegment  # noqa: N806
    return f"""CASE
        WHEN {r} IS NULL THEN '{R.NO_RECENT_PURCHASE}'
        WHEN {r} <= 2 THEN CASE WHEN {f} <= 2 THEN '{R.HIBERNATING}' WHEN {f} <= 4 THEN '{R.AT_RISK}'
                               ELSE '{R.CANT_LOSE}' END
        WHEN {r} = 3 THEN CASE WHEN {f} <= 2 THEN '{R.ABOUT_TO_SLEEP}' WHEN {f} = 3 THEN '{R.NEED_ATTENTION}'
                              ELSE '{R.LOYAL}' END
        WHEN {r} = 4 THEN CASE WHEN {f} = 1 THEN '{R.PROMISING}' WHEN {f} <= 3 THEN '{R.POTENTIAL_LOYALIST}'
                              ELSE '{R.LOYAL}' END
        ELSE CASE WHEN {f} = 1 THEN '{R.NEW}' WHEN {f} <= 3 THEN '{R.POTENTIAL_LOYALIST}' ELSE '{R.CHAMPIONS}' END
        END"""


class _Statements:
    """The SQL of one refresh (vendor differences only through core.db_analytics)."""

    def __init__(self, *, using: str, conf: SegmentationSettings, as_of: date, clv_table: str | None) -> None:
        self.using = using
        tz = getattr(settings, "KEHU_TIME_ZONE", None) or settings.TIME_ZONE
        self.end_utc = _day_start_utc(as_of + timedelta(days=1))
        self.day = lambda column: local_day_sql(column, tz, until=self.end_utc, using=using)
        self.dday = lambda column: date_day_sql(column, using=using)
        self.date = lambda expression: day_date_sql(expression, using=using)
        self.conf = conf
        self.clv_table = clv_table

    def base(self) -> str:
        conf = self.conf
        order, cost, mark, customer = (Order._meta.db_table, CustomerCost._meta.db_table,
                                       LifecycleMark._meta.db_table, Customer._meta.db_table)
        # Purchases in each loyalty period k = 0 … periods−1 (a day d is in period k when
        # A − P·(k+1) < d ≤ A − P·k): 1 when there is at least one.
        periods = " + ".join(
            f"MAX(CASE WHEN d > %(A)s - {k + 1} * %(P)s AND d <= %(A)s - {k} * %(P)s THEN 1 ELSE 0 END)"
            for k in range(conf.loyal_periods)
        )
        potential = "COALESCE(a.margin_p0, 0) - COALESCE(a.margin_p1, 0)"
        clv_join = ""
        if self.clv_table:
            # CLV in cents (a float column): ranked against the percentile like the trend would be.
            potential = "COALESCE(CAST(ROUND(cs.clv * 100) AS BIGINT), 0)"
            clv_join = f"LEFT JOIN {_q(self.clv_table)} cs ON cs.customer_id = cu.id"
        return f"""
        CREATE TEMPORARY TABLE kehu_seg_base AS
        WITH o AS (
            SELECT customer_id AS c, {self.day('ordered_at')} AS d, ordered_at AS t, id,
                   CAST(ROUND(revenue * 100) AS BIGINT) AS rev, CAST(ROUND(margin * 100) AS BIGINT) AS mar
            FROM {_q(order)}
            WHERE status = %(paid)s AND deleted_at IS NULL AND ordered_at < %(end_utc)s
        ),
        ow AS (
            SELECT c, d, rev, mar,
                   ROW_NUMBER() OVER (PARTITION BY c ORDER BY t, id) AS k,
                   LAG(d) OVER (PARTITION BY c ORDER BY t, id) AS prev_d
            FROM o
        ),
        agg AS (
            SELECT c,
                   COUNT(*) AS orders_total, MIN(d) AS first_day, MAX(d) AS last_day,
                   MIN(CASE WHEN k = 2 THEN d END) AS second_day,
                   MAX(CASE WHEN d - prev_d > %(lost_after)s THEN d END) AS gap_day,
                   SUM(CASE WHEN d > %(A)s - %(W)s THEN 1 ELSE 0 END) AS frequency,
                   SUM(CASE WHEN d > %(A)s - %(W)s THEN rev ELSE 0 END) AS revenue_c,
                   SUM(CASE WHEN d > %(A)s - %(W)s THEN mar ELSE 0 END) AS margin_c,
                   MAX(CASE WHEN d > %(A)s - %(W)s THEN d END) AS last_window_day,
                   {periods} AS periods,
                   SUM(CASE WHEN d > %(A)s - %(P)s THEN mar ELSE 0 END) AS margin_p0,
                   SUM(CASE WHEN d > %(A)s - 2 * %(P)s AND d <= %(A)s - %(P)s THEN mar ELSE 0 END) AS margin_p1
            FROM ow GROUP BY c
        ),
        co AS (
            SELECT customer_id AS c, SUM(CAST(ROUND(amount * 100) AS BIGINT)) AS cost_c
            FROM {_q(cost)}
            WHERE deleted_at IS NULL AND incurred_on > %(window_start)s AND incurred_on <= %(as_of)s
            GROUP BY customer_id
        ),
        mk AS (
            SELECT customer_id AS c, kind AS mark_kind, {self.dday('marked_on')} AS mark_day,
                   ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY marked_on DESC, id DESC) AS rn
            FROM {_q(mark)}
            WHERE marked_on <= %(as_of)s AND (cleared_on IS NULL OR cleared_on > %(as_of)s)
        ),
        cw AS (
            -- the first purchase after a churn mark that is still in force wins the customer back
            SELECT m.c, MIN({self.day('x.ordered_at')}) AS won_day
            FROM mk m JOIN {_q(order)} x ON x.customer_id = m.c
            WHERE m.rn = 1 AND m.mark_kind = %(churned)s AND x.status = %(paid)s AND x.deleted_at IS NULL
                  AND x.ordered_at < %(end_utc)s AND {self.day('x.ordered_at')} > m.mark_day
            GROUP BY m.c
        )
        SELECT cu.id AS customer_id,
               {self.day('cu.created_at')} AS created_day,
               COALESCE(a.orders_total, 0) AS orders_total,
               a.first_day, a.second_day, a.last_day,
               CASE WHEN cw.won_day IS NOT NULL AND (a.gap_day IS NULL OR cw.won_day > a.gap_day)
                    THEN cw.won_day ELSE a.gap_day END AS won_day,
               COALESCE(a.frequency, 0) AS frequency,
               COALESCE(a.revenue_c, 0) AS revenue_c,
               COALESCE(a.margin_c, 0) AS margin_c,
               COALESCE(co.cost_c, 0) AS cost_c,
               COALESCE(a.margin_c, 0) - COALESCE(co.cost_c, 0) AS profit_c,
               %(A)s - a.last_window_day AS recency_days,
               COALESCE(a.periods, 0) AS periods,
               {potential} AS potential_c,
               m.mark_kind, m.mark_day,
               CASE
                   WHEN m.mark_kind = %(churned)s AND a.last_day <= m.mark_day
                        AND NOT (%(A)s - a.last_day > %(lost_after)s AND a.last_day + %(lost_after)s + 1 < m.mark_day)
                        THEN m.mark_day
                   WHEN %(A)s - a.last_day > %(lost_after)s THEN a.last_day + %(lost_after)s + 1
               END AS lost_since,
               CASE
                   WHEN m.mark_kind = %(churned)s AND a.last_day <= m.mark_day
                        AND NOT (%(A)s - a.last_day > %(lost_after)s AND a.last_day + %(lost_after)s + 1 < m.mark_day)
                        THEN '{CAUSE_MARKED_CHURNED}'
                   ELSE '{CAUSE_NO_PURCHASE}'
               END AS lost_cause
        FROM {_q(customer)} cu
        LEFT JOIN agg a ON a.c = cu.id
        LEFT JOIN co ON co.c = cu.id
        LEFT JOIN mk m ON m.c = cu.id AND m.rn = 1
        LEFT JOIN cw ON cw.c = cu.id
        {clv_join}
        WHERE cu.deleted_at IS NULL
        """

    def new(self) -> str:
        S, L, V = LifecycleStage, Loyalty, ValueClass  # noqa: N806
        segment = CustomerSegment._meta.db_table
        rfm = "CASE WHEN frequency > 0 THEN 1 ELSE 0 END"
        # The stage change against the stored row, its day and cause: the day the new stage began
        # (the purchase that made them first-time/repeat/won back, the 366th day without a purchase,
        # the mark's day …); see docs/segmentation.md.
        natural_day = f"""CASE s.stage
            WHEN '{S.POTENTIAL}' THEN CASE WHEN s.old_stage IS NULL AND s.created_day < %(A)s THEN s.created_day
                                       ELSE %(A)s END
            WHEN '{S.TARGET}' THEN s.mark_day
            WHEN '{S.NON_CUSTOMER}' THEN CASE WHEN s.orders_total = 0 THEN s.mark_day
                                          ELSE s.lost_since + %(non_customer_after)s + 1 END
            WHEN '{S.FIRST_TIME}' THEN s.first_day
            WHEN '{S.REPEAT}' THEN CASE WHEN s.old_stage = '{S.LOYAL}' THEN %(A)s
                                        WHEN s.won_day IS NOT NULL AND s.won_day >= s.second_day THEN s.won_day
                                        ELSE s.second_day END
            WHEN '{S.LOYAL}' THEN CASE WHEN s.old_stage IN ('{S.LOST}', '{S.NON_CUSTOMER}') AND s.old_orders > 0
                                            AND s.won_day IS NOT NULL THEN s.won_day ELSE %(A)s END
            WHEN '{S.LOST}' THEN s.lost_since
            END"""
        natural_cause = f"""CASE s.stage
            WHEN '{S.POTENTIAL}' THEN CASE WHEN s.old_stage IS NULL THEN '{CAUSE_NEW_CUSTOMER}'
                                           ELSE '{CAUSE_MARK_CLEARED}' END
            WHEN '{S.TARGET}' THEN '{CAUSE_MARKED_TARGET}'
            WHEN '{S.NON_CUSTOMER}' THEN CASE WHEN s.orders_total = 0 THEN '{CAUSE_MARKED_NON_CUSTOMER}'
                                              ELSE '{CAUSE_LOST_EXPIRED}' END
            WHEN '{S.FIRST_TIME}' THEN '{CAUSE_FIRST_PURCHASE}'
            WHEN '{S.REPEAT}' THEN CASE WHEN s.old_stage = '{S.LOYAL}' THEN '{CAUSE_LOYAL_LAPSED}'
                                        WHEN s.won_day IS NOT NULL AND s.won_day >= s.second_day
                                            THEN '{CAUSE_WON_BACK}'
                                        ELSE '{CAUSE_SECOND_PURCHASE}' END
            WHEN '{S.LOYAL}' THEN CASE WHEN s.old_stage IN ('{S.LOST}', '{S.NON_CUSTOMER}') AND s.old_orders > 0
                                            AND s.won_day IS NOT NULL THEN '{CAUSE_WON_BACK}'
                                       ELSE '{CAUSE_LOYAL_RULE}' END
            WHEN '{S.LOST}' THEN s.lost_cause
            END"""
        # Fewer completed orders than at the last refresh (refunded, deleted): the change is the
        # data's, dated on the refresh.
        regressed = "s.old_stage IS NOT NULL AND s.orders_total < s.old_orders"
        changed = "(s.old_stage IS NULL OR s.old_stage <> s.stage)"
        return f"""
        CREATE TEMPORARY TABLE kehu_seg_new AS
        SELECT w.*,
               {_rfm_segment_sql('w.r_score', 'w.f_score')} AS rfm_segment,
               CASE
                   WHEN 100 * (w.current_rank - 1) >= %(value_current_pct)s * w.n_all
                       THEN CASE WHEN 100 * (w.potential_rank - 1) >= %(value_potential_pct)s * w.n_all
                                 THEN '{V.VALUE}' ELSE '{V.MIGRATING}' END
                   ELSE CASE WHEN 100 * (w.potential_rank - 1) >= %(value_potential_pct)s * w.n_all
                             THEN '{V.POTENTIAL}' ELSE '{V.FROZEN}' END
               END AS value_class
        FROM (
            SELECT s.*,
                   ROW_NUMBER() OVER (ORDER BY s.profit_c DESC, s.customer_id) AS profit_rank,
                   CASE
                       WHEN s.profit_c <= 0 THEN '{AbcTier.C}'
                       WHEN 100 * COALESCE(SUM(s.profit_c) OVER (
                                ORDER BY s.profit_c DESC, s.customer_id
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                            < %(abc_a_pct)s * SUM(CASE WHEN s.profit_c > 0 THEN s.profit_c ELSE 0 END) OVER ()
                           THEN '{AbcTier.A}'
                       WHEN 100 * COALESCE(SUM(s.profit_c) OVER (
                                ORDER BY s.profit_c DESC, s.customer_id
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                            < %(abc_b_pct)s * SUM(CASE WHEN s.profit_c > 0 THEN s.profit_c ELSE 0 END) OVER ()
                           THEN '{AbcTier.B}'
                       ELSE '{AbcTier.C}'
                   END AS abc_tier,
                   -- RFM: rank r = 1 + customers strictly worse; score = 1 + floor(5·(r−1)/n)
                   CASE WHEN s.frequency > 0 THEN 1 + (5 * (RANK() OVER (
                        PARTITION BY {rfm} ORDER BY s.recency_days DESC) - 1)) / COUNT(*) OVER (PARTITION BY {rfm})
                   END AS r_score,
                   CASE WHEN s.frequency > 0 THEN 1 + (5 * (RANK() OVER (
                        PARTITION BY {rfm} ORDER BY s.frequency) - 1)) / COUNT(*) OVER (PARTITION BY {rfm})
                   END AS f_score,
                   CASE WHEN s.frequency > 0 THEN 1 + (5 * (RANK() OVER (
                        PARTITION BY {rfm} ORDER BY s.revenue_c) - 1)) / COUNT(*) OVER (PARTITION BY {rfm})
                   END AS m_score,
                   RANK() OVER (ORDER BY s.profit_c) AS current_rank,
                   RANK() OVER (ORDER BY s.potential_c) AS potential_rank,
                   COUNT(*) OVER () AS n_all,
                   CASE
                       WHEN s.stage IN ('{S.POTENTIAL}', '{S.TARGET}', '{S.NON_CUSTOMER}') THEN '{L.POTENTIAL}'
                       WHEN s.stage = '{S.LOYAL}' THEN '{L.LOYAL}'
                       WHEN s.orders_total = 1 THEN '{L.NEW}'
                       ELSE '{L.OLD}'
                   END AS loyalty,
                   CASE WHEN {changed} AND (s.old_as_of IS NULL OR s.old_as_of <= %(as_of)s) THEN 1 ELSE 0 END
                       AS record_change,
                   CASE WHEN {regressed} THEN %(A)s ELSE {natural_day} END AS change_day,
                   CASE WHEN {regressed} THEN '{CAUSE_ORDERS_CHANGED}' ELSE {natural_cause} END AS change_cause
            FROM (
                SELECT b.*, {_stage_sql()} AS stage,
                       old.lifecycle_stage AS old_stage, old.lifecycle_since AS old_since,
                       old.orders_total AS old_orders, old.as_of AS old_as_of
                FROM kehu_seg_base b
                LEFT JOIN {_q(segment)} old ON old.customer_id = b.customer_id
            ) s
        ) w
        """

    def transitions(self) -> str:
        table = LifecycleTransition._meta.db_table
        return f"""
        INSERT INTO {_q(table)} (customer_id, {_q('on')}, from_stage, to_stage, cause, recorded_at)
        SELECT customer_id, {self.date('change_day')}, COALESCE(old_stage, ''), stage, change_cause, %(now)s
        FROM kehu_seg_new WHERE record_change = 1
        """

    def upsert(self) -> str:
        table = CustomerSegment._meta.db_table
        columns = [
            "customer_id", "as_of", "revenue", "margin", "cost_to_serve", "profit", "profit_rank", "abc_tier",
            "loss_making", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "rfm_segment",
            "orders_total", "first_order_on", "last_order_on", "lifecycle_stage", "lifecycle_since", "loyalty",
            "current_value", "potential_value", "value_class", "refreshed_at",
        ]
        values = [
            "customer_id", "%(as_of)s", "revenue_c / 100.0", "margin_c / 100.0", "cost_c / 100.0",
            "profit_c / 100.0", "profit_rank", "abc_tier", "CASE WHEN profit_c < 0 THEN %(true)s ELSE %(false)s END",
            "recency_days", "frequency", "revenue_c / 100.0", "r_score", "f_score", "m_score", "rfm_segment",
            "orders_total", self.date("first_day"), self.date("last_day"), "stage",
            f"CASE WHEN old_stage = stage AND old_since IS NOT NULL THEN old_since "
            f"ELSE {self.date('change_day')} END",
            "loyalty", "profit_c / 100.0", "potential_c / 100.0", "value_class", "%(now)s",
        ]
        updates = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in columns[1:])
        return f"""
        INSERT INTO {_q(table)} ({", ".join(_q(c) for c in columns)})
        SELECT {", ".join(values)} FROM kehu_seg_new WHERE 1 = 1
        ON CONFLICT (customer_id) DO UPDATE SET {updates}
        """

    def remove_deleted(self) -> str:
        segment, customer = CustomerSegment._meta.db_table, Customer._meta.db_table
        return f"""
        DELETE FROM {_q(segment)} WHERE customer_id IN (SELECT id FROM {_q(customer)} WHERE deleted_at IS NOT NULL)
        """


def _params(*, using: str, conf: SegmentationSettings, as_of: date, now: datetime) -> dict[str, Any]:
    ops = connections[using].ops
    end_utc = _day_start_utc(as_of + timedelta(days=1))
    return {
        "A": day_number(as_of),
        "W": conf.window_days,
        "P": conf.period_days,
        "as_of": ops.adapt_datefield_value(as_of),
        "window_start": ops.adapt_datefield_value(as_of - timedelta(days=conf.window_days)),
        "end_utc": ops.adapt_datetimefield_value(end_utc),
        "now": ops.adapt_datetimefield_value(now),
        "paid": OrderStatus.PAID.value,
        "churned": LifecycleMarkKind.CHURNED.value,
        "lost_after": conf.lost_after_days,
        "non_customer_after": conf.non_customer_after_days,
        "loyal_min_orders": conf.loyal_min_orders,
        "loyal_min_periods": conf.loyal_min_periods,
        # Shares as integer percents: comparisons in integers (cents × 100 against percent × cents),
        # so a customer exactly at 50 % is not A on one database and B on the other.
        "abc_a_pct": int(round(conf.abc_a_cumulative_share * 100)),
        "abc_b_pct": int(round(conf.abc_b_cumulative_share * 100)),
        "value_current_pct": conf.value_current_percentile,
        "value_potential_pct": conf.value_potential_percentile,
        "true": True,
        "false": False,
    }


def segmentation_settings() -> SegmentationSettings:
    """The one settings row (created with the documented defaults when missing)."""
    conf, _created = SegmentationSettings.objects.get_or_create(pk=1)
    return conf


def compute(
    *, as_of: date, progress: Callable[[str], None] | None = None, using: str = DEFAULT_DB_ALIAS,
) -> RefreshResult:
    """Recompute every computed scheme as of `as_of` (see the module docstring). One transaction."""
    conf = segmentation_settings()
    result = RefreshResult(as_of=as_of)
    clv_table = _clv_table(using)
    result.potential_source = "clv" if clv_table else "trend"
    statements = _Statements(using=using, conf=conf, as_of=as_of, clv_table=clv_table)
    params = _params(using=using, conf=conf, as_of=as_of, now=timezone.now())
    connection = connections[using]

    def step(name: str, sql: str, cursor: Any) -> int:
        if progress:
            progress(name)
        started = time.perf_counter()
        cursor.execute(sql, params)
        result.phases[name] = round(time.perf_counter() - started, 3)
        return cursor.rowcount

    with transaction.atomic(using=using), analytics_settings(using), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS kehu_seg_new")
        cursor.execute("DROP TABLE IF EXISTS kehu_seg_base")
        step("base", statements.base(), cursor)
        step("classes", statements.new(), cursor)
        result.transitions = max(step("transitions", statements.transitions(), cursor), 0)
        result.customers = max(step("segments", statements.upsert(), cursor), 0)
        result.removed = max(step("removed", statements.remove_deleted(), cursor), 0)
        cursor.execute("DROP TABLE kehu_seg_new")
        cursor.execute("DROP TABLE kehu_seg_base")
    return result
