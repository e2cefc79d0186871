# ruff: noqa: S608  (SQL from table names and fixed fragments; every value is a parameter)
"""The churn refresh: every loss of a customer, and the monthly flows the churn page and the cohort triangle read,
recomputed set-based in SQL (a handful of statements, no loop over customers) and stored in the small tables of
`retention/models/churn.py`. Runs nightly after the segment refresh (retention/registrations/churn.py) and from
`kehu retention refresh`.

The rules (docs/churn.md):

- A *purchase* is a paid, not deleted order; days are calendar days in the business time zone.
- A customer is *lost* (the lifecycle rule of docs/segmentation.md) on the day after the churn window
  (`SegmentationSettings.lost_after_days`, 365) passed without a purchase — the 366th day after the last purchase —
  or on the day a user marked them churned (a churn mark not withdrawn: a mark cleared on its own day does not
  count), whichever comes first. They are *won back* by their next purchase.
- This is what the nightly segment refresh records as lifecycle transitions, reconstructed from the orders and
  marks themselves, so that the history before kehu's first refresh (and across gaps between refreshes, where a
  transition is not recorded) counts too. Where a transition to *lost* was recorded on the loss's day, its from-stage
  is taken as the stage before the loss (the only source that knows *loyal*); otherwise one purchase before the loss
  means first-time buyer, more mean repeat buyer.
- A *spell* of activity begins with the first purchase or a win-back and ends with a loss. Active at the start of a
  month = spells begun before it and not ended before it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from commerce.choices import OrderStatus
from commerce.models import Order
from core.db_analytics import analytics_settings, date_day_sql, day_date_sql, local_day_sql, month_index_sql
from customers.models import Customer
from insights.models import CustomerScore
from retention.models import ChurnCohortMonth, ChurnEvent, ChurnMonth, ChurnRefresh, ChurnSegmentBefore
from retention.models.churn import ChurnDimension
from segmentation.choices import LifecycleMarkKind, LifecycleStage
from segmentation.models import CustomerSegment, LifecycleMark, LifecycleTransition
from segmentation.refresh import business_today, day_number, segmentation_settings

logger = logging.getLogger(__name__)

ACTIVE_STAGES = (LifecycleStage.FIRST_TIME, LifecycleStage.REPEAT, LifecycleStage.LOYAL)
TEMPORARY = ("kehu_ch_mark", "kehu_ch_gap", "kehu_ch_loss", "kehu_ch_spell")


@dataclass
class ChurnRefreshResult:
    as_of: date
    events: int = 0
    months: int = 0
    rows: int = 0
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())


def _q(name: str) -> str:
    return '"' + name + '"'


def _table(model: Any) -> str:
    return _q(model._meta.db_table)


class _Statements:
    """The SQL of one refresh; vendor differences only through core.db_analytics."""

    def __init__(self, using: str) -> None:
        tz = getattr(settings, "KEHU_TIME_ZONE", None) or settings.TIME_ZONE
        self.day = lambda column: local_day_sql(column, tz, using=using)
        self.dday = lambda column: date_day_sql(column, using=using)
        self.date = lambda expression: day_date_sql(expression, using=using)
        self.month = lambda expression: month_index_sql(expression, using=using)

    def _paid(self, alias: str) -> str:
        return (f"{alias}.status = '{OrderStatus.PAID.value}' AND {alias}.deleted_at IS NULL "
                f"AND {alias}.ordered_at < %(end_utc)s")

    def marks(self) -> str:
        """Each churn mark in force at some time (not withdrawn on its own day), attached to the last purchase day
        on or before it; of several marks between two purchases, the first (its reason is the loss's)."""
        return f"""
        CREATE TEMPORARY TABLE kehu_ch_mark AS
        SELECT c, d, m, reason FROM (
            SELECT y.*, ROW_NUMBER() OVER (PARTITION BY y.c, y.d ORDER BY y.m, y.id) AS rn FROM (
                SELECT mk.id, mk.c, mk.m, mk.reason,
                       (SELECT MAX({self.day('o.ordered_at')}) FROM {_table(Order)} o
                        WHERE o.customer_id = mk.c AND {self._paid('o')} AND {self.day('o.ordered_at')} <= mk.m) AS d
                FROM (SELECT id, customer_id AS c, {self.dday('marked_on')} AS m, churn_reason AS reason
                      FROM {_table(LifecycleMark)}
                      WHERE kind = %(churned)s AND marked_on <= %(as_of)s
                            AND (cleared_on IS NULL OR cleared_on > marked_on)) mk
            ) y
            WHERE y.d IS NOT NULL
        ) x
        WHERE rn = 1
        """

    def gaps(self) -> str:
        """One pass over the paid orders in customer and time order (LEAD: the next purchase's day), keeping only
        the rows that matter: each customer's first order, and the orders followed by a loss — a gap longer than
        the churn window, no further order, or a churn mark before the next order."""
        day = self.day("o.ordered_at")
        return f"""
        CREATE TEMPORARY TABLE kehu_ch_gap AS
        SELECT g.c, g.d, g.nd, g.rn, mk.m, mk.reason
        FROM (
            SELECT o.customer_id AS c, {day} AS d,
                   LEAD({day}) OVER (PARTITION BY o.customer_id ORDER BY o.ordered_at, o.id) AS nd,
                   ROW_NUMBER() OVER (PARTITION BY o.customer_id ORDER BY o.ordered_at, o.id) AS rn
            FROM {_table(Order)} o
            WHERE {self._paid('o')}
        ) g
        LEFT JOIN kehu_ch_mark mk
               ON mk.c = g.c AND mk.d = g.d AND (g.nd IS NULL OR g.nd > mk.m)
        WHERE g.rn = 1 OR (g.nd IS NULL AND %(A)s - g.d > %(window)s) OR g.nd - g.d > %(window)s
              OR mk.m IS NOT NULL
        """

    def losses(self) -> str:
        """One row per loss: its day, the win-back day, the spell's start (the previous win-back or the first
        purchase), the purchases before it."""
        implicit = "g.d + %(window)s + 1"
        return f"""
        CREATE TEMPORARY TABLE kehu_ch_loss AS
        SELECT l.*, COALESCE(LAG(l.ret_d) OVER (PARTITION BY l.c ORDER BY l.lost_d), f.d) AS start_d, f.d AS first_d
        FROM (
            SELECT g.c, g.d AS last_d, g.nd AS ret_d, g.rn AS orders_before, COALESCE(g.reason, '') AS reason,
                   CASE WHEN g.m IS NOT NULL AND g.m < {implicit} THEN g.m ELSE {implicit} END AS lost_d,
                   CASE WHEN g.m IS NOT NULL AND g.m < {implicit} THEN 1 ELSE 0 END AS marked
            FROM kehu_ch_gap g
            WHERE g.m IS NOT NULL OR (g.nd IS NULL AND %(A)s - g.d > %(window)s) OR g.nd - g.d > %(window)s
        ) l
        JOIN kehu_ch_gap f ON f.c = l.c AND f.rn = 1
        JOIN {_table(Customer)} cu ON cu.id = l.c AND cu.deleted_at IS NULL
        """

    def events(self) -> list[str]:
        """Rewrite ChurnEvent. What was recorded about a loss at an earlier refresh (the segment before it, the CLV
        at the loss) is kept; a new loss takes the segment stored while the customer was still active."""
        stage = f"""COALESCE(
            (SELECT MAX(t.from_stage) FROM {_table(LifecycleTransition)} t
             WHERE t.customer_id = l.c AND t.{_q('on')} = {self.date('l.lost_d')} AND t.to_stage = %(lost)s
                   AND t.from_stage IN (%(first_time)s, %(repeat)s, %(loyal)s)),
            CASE WHEN l.orders_before = 1 THEN %(first_time)s ELSE %(repeat)s END)"""
        margin = f"""COALESCE((SELECT SUM(o.margin) FROM {_table(Order)} o
            WHERE o.customer_id = l.c AND {self._paid('o')} AND o.ordered_at < %(end_utc)s
                  AND {self.day('o.ordered_at')} > l.last_d - 365 AND {self.day('o.ordered_at')} <= l.last_d), 0)"""
        before_ok = f"{self.dday('sb.as_of')} < l.lost_d"
        segment_ok = (f"{self.dday('cs.as_of')} < l.lost_d "
                      "AND cs.lifecycle_stage IN (%(first_time)s, %(repeat)s, %(loyal)s)")
        return [
            f"""CREATE TEMPORARY TABLE kehu_ch_event AS
            SELECT l.c AS customer_id, {self.date('l.lost_d')} AS lost_on, {self.date('l.ret_d')} AS returned_on,
                   {self.date('l.last_d')} AS last_order_on, l.marked, l.reason, {stage} AS stage_before,
                   COALESCE(NULLIF(old.abc_before, ''), CASE WHEN {before_ok} THEN sb.abc_tier END,
                            CASE WHEN {segment_ok} THEN cs.abc_tier END, '') AS abc_before,
                   COALESCE(NULLIF(old.rfm_before, ''), CASE WHEN {before_ok} THEN sb.rfm_segment END,
                            CASE WHEN {segment_ok} THEN cs.rfm_segment END, '') AS rfm_before,
                   {margin} AS margin_12m,
                   COALESCE(old.clv_at_loss, sc.clv) AS clv_at_loss
            FROM kehu_ch_loss l
            LEFT JOIN {_table(ChurnEvent)} old ON old.customer_id = l.c AND old.lost_on = {self.date('l.lost_d')}
            LEFT JOIN {_table(ChurnSegmentBefore)} sb ON sb.customer_id = l.c
            LEFT JOIN {_table(CustomerSegment)} cs ON cs.customer_id = l.c
            LEFT JOIN {_table(CustomerScore)} sc ON sc.customer_id = l.c
            """,
            f"DELETE FROM {_table(ChurnEvent)}",
            f"""INSERT INTO {_table(ChurnEvent)} (customer_id, lost_on, returned_on, last_order_on, marked, reason,
                   stage_before, abc_before, rfm_before, margin_12m, clv_at_loss)
            SELECT customer_id, lost_on, returned_on, last_order_on,
                   CASE WHEN marked = 1 THEN %(true)s ELSE %(false)s END, reason, stage_before, abc_before,
                   rfm_before, margin_12m, clv_at_loss
            FROM kehu_ch_event""",
        ]

    def segments_before(self) -> list[str]:
        """Keep each active customer's current ABC tier and RFM segment (only the rows that changed are written)."""
        table = _table(ChurnSegmentBefore)
        active = "cs.lifecycle_stage IN (%(first_time)s, %(repeat)s, %(loyal)s)"
        return [
            f"""UPDATE {table} SET as_of = cs.as_of, abc_tier = cs.abc_tier, rfm_segment = cs.rfm_segment
            FROM {_table(CustomerSegment)} cs
            WHERE cs.customer_id = {table}.customer_id AND {active}
                  AND (cs.as_of <> {table}.as_of OR cs.abc_tier <> {table}.abc_tier
                       OR cs.rfm_segment <> {table}.rfm_segment)""",
            f"""INSERT INTO {table} (customer_id, as_of, abc_tier, rfm_segment)
            SELECT cs.customer_id, cs.as_of, cs.abc_tier, cs.rfm_segment FROM {_table(CustomerSegment)} cs
            WHERE {active} AND NOT EXISTS (SELECT 1 FROM {table} sb WHERE sb.customer_id = cs.customer_id)""",
        ]

    def spells(self) -> str:
        """One row per spell of activity: the losses (each ends a spell) and each customer's open spell (after the
        last win-back, or since the first purchase when never lost)."""
        month = self.month
        return f"""
        CREATE TEMPORARY TABLE kehu_ch_spell AS
        SELECT s.c, {month('s.first_d')} AS cohort_m, {month('s.start_d')} AS start_m,
               {month('s.lost_d')} AS lost_m, {month('s.ret_d')} AS ret_m,
               CASE WHEN s.start_d = s.first_d THEN 1 ELSE 0 END AS first_spell, s.lost_d,
               cu.owner_id, cu.team_id, COALESCE(cu.province, '') AS region, COALESCE(cu.source_channel, '') AS channel
        FROM (
            SELECT c, first_d, start_d, lost_d, ret_d FROM kehu_ch_loss
            UNION ALL
            SELECT g.c, g.d, COALESCE(
                       (SELECT MAX(l.ret_d) FROM kehu_ch_loss l WHERE l.c = g.c), g.d), NULL, NULL
            FROM kehu_ch_gap g
            WHERE g.rn = 1 AND NOT EXISTS (SELECT 1 FROM kehu_ch_loss l WHERE l.c = g.c AND l.ret_d IS NULL)
        ) s
        JOIN {_table(Customer)} cu ON cu.id = s.c AND cu.deleted_at IS NULL
        """

    def months(self) -> list[str]:
        """ChurnMonth from the spells (rate breakdowns) and the events (loss-only breakdowns)."""
        table = _table(ChurnMonth)
        ev = _table(ChurnEvent)
        rate_keys = {
            ChurnDimension.ALL: "''", ChurnDimension.OWNER: "CAST(s.owner_id AS VARCHAR(20))",
            ChurnDimension.TEAM: "COALESCE(CAST(s.team_id AS VARCHAR(20)), '')",
            ChurnDimension.REGION: "s.region", ChurnDimension.CHANNEL: "s.channel",
        }
        statements = [f"DELETE FROM {table}"]

        def same_q(month: str) -> str:  # 1 when `month` is in the loss's quarter (month indexes: quarter = m / 3)
            return f"CASE WHEN {month} / 3 = s.lost_m / 3 THEN 1 ELSE 0 END"
        columns = ("month, dimension, {k}, began, lost, lost_new, returned_same_month, lost_new_quarter, "
                   "returned_same_quarter, margin_lost, clv_lost")
        columns = columns.format(k=_q("key"))
        for dimension, key in rate_keys.items():
            statements.append(f"""
            INSERT INTO {table} ({columns})
            SELECT m, '{dimension.value}', k, SUM(began), SUM(lost),
                   SUM(lost_new), SUM(ret_same), SUM(lost_new_q), SUM(ret_same_q), SUM(margin), SUM(clv)
            FROM (
                SELECT s.start_m AS m, {key} AS k, 1 AS began, 0 AS lost, 0 AS lost_new, 0 AS ret_same,
                       0 AS lost_new_q, 0 AS ret_same_q, 0 AS margin, 0 AS clv
                FROM kehu_ch_spell s
                UNION ALL
                SELECT s.lost_m, {key}, 0, 1, CASE WHEN s.start_m = s.lost_m THEN 1 ELSE 0 END,
                       CASE WHEN s.ret_m = s.lost_m THEN 1 ELSE 0 END, {same_q('s.start_m')}, {same_q('s.ret_m')},
                       e.margin_12m, COALESCE(e.clv_at_loss, 0)
                FROM kehu_ch_spell s
                JOIN {ev} e ON e.customer_id = s.c AND e.lost_on = {self.date('s.lost_d')}
                WHERE s.lost_d IS NOT NULL
            ) x
            GROUP BY m, k""")
        loss_keys = {
            ChurnDimension.ABC: "e.abc_before", ChurnDimension.RFM: "e.rfm_before",
            ChurnDimension.STAGE: "e.stage_before", ChurnDimension.REASON: "e.reason",
        }
        for dimension, key in loss_keys.items():
            statements.append(f"""
            INSERT INTO {table} ({columns})
            SELECT s.lost_m, '{dimension.value}', {key}, 0, COUNT(*),
                   SUM(CASE WHEN s.start_m = s.lost_m THEN 1 ELSE 0 END),
                   SUM(CASE WHEN s.ret_m = s.lost_m THEN 1 ELSE 0 END), SUM({same_q('s.start_m')}),
                   SUM({same_q('s.ret_m')}), SUM(e.margin_12m),
                   SUM(COALESCE(e.clv_at_loss, 0))
            FROM kehu_ch_spell s
            JOIN {ev} e ON e.customer_id = s.c AND e.lost_on = {self.date('s.lost_d')}
            WHERE s.lost_d IS NOT NULL
            GROUP BY s.lost_m, {key}""")
        return statements

    def cohorts(self) -> list[str]:
        table = _table(ChurnCohortMonth)
        return [
            f"DELETE FROM {table}",
            f"""INSERT INTO {table} (cohort, month, began, lost, first_lost)
            SELECT cohort_m, m, SUM(began), SUM(lost), SUM(first_lost) FROM (
                SELECT cohort_m, start_m AS m, 1 AS began, 0 AS lost, 0 AS first_lost FROM kehu_ch_spell
                UNION ALL
                SELECT cohort_m, lost_m, 0, 1, first_spell FROM kehu_ch_spell WHERE lost_m IS NOT NULL
            ) x
            GROUP BY cohort_m, m""",
        ]


def _params(using: str, as_of: date) -> dict[str, Any]:
    from segmentation.refresh import _day_start_utc

    ops = connections[using].ops
    return {
        "A": day_number(as_of),
        "as_of": ops.adapt_datefield_value(as_of),
        "end_utc": ops.adapt_datetimefield_value(_day_start_utc(as_of + timedelta(days=1))),
        "window": segmentation_settings().lost_after_days,
        "churned": LifecycleMarkKind.CHURNED.value,
        "lost": LifecycleStage.LOST.value,
        "first_time": LifecycleStage.FIRST_TIME.value,
        "repeat": LifecycleStage.REPEAT.value,
        "loyal": LifecycleStage.LOYAL.value,
        "true": True,
        "false": False,
    }


def churn_refresh(*, as_of: date | None = None, using: str = DEFAULT_DB_ALIAS) -> ChurnRefreshResult:
    """Recompute every loss and the monthly flows as of `as_of` (default today). One transaction; idempotent."""
    as_of = as_of or business_today()
    result = ChurnRefreshResult(as_of=as_of)
    statements = _Statements(using)
    params = _params(using, as_of)
    connection = connections[using]

    def step(name: str, sql: str, cursor: Any) -> int:
        started = time.perf_counter()
        cursor.execute(sql, params)
        result.phases[name] = round(result.phases.get(name, 0) + time.perf_counter() - started, 3)
        return cursor.rowcount

    temporary = (*TEMPORARY, "kehu_ch_event")
    with analytics_settings(using), transaction.atomic(using=using), connection.cursor() as cursor:
        # One refresh at a time (a write first: the row lock on PostgreSQL, the database lock on SQLite).
        refresh, _created = ChurnRefresh.objects.using(using).get_or_create(
            pk=1, defaults={"as_of": as_of, "refreshed_at": timezone.now()})
        ChurnRefresh.objects.using(using).filter(pk=1).update(as_of=as_of)
        for table in temporary:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        step("marks", statements.marks(), cursor)
        step("orders", statements.gaps(), cursor)
        step("losses", statements.losses(), cursor)
        for sql in statements.events():
            step("events", sql, cursor)
        for sql in statements.segments_before():
            step("segments before", sql, cursor)
        step("spells", statements.spells(), cursor)
        for sql in statements.months():
            step("months", sql, cursor)
        for sql in statements.cohorts():
            step("cohorts", sql, cursor)
        for table in temporary:
            cursor.execute(f"DROP TABLE {table}")
        result.events = ChurnEvent.objects.using(using).count()
        result.rows = ChurnMonth.objects.using(using).count()
        result.months = ChurnMonth.objects.using(using).filter(dimension=ChurnDimension.ALL).count()
        ChurnRefresh.objects.using(using).filter(pk=1).update(
            refreshed_at=timezone.now(), seconds=result.seconds, events=result.events)
    logger.info("churn refresh as of %s: %s losses in %.1f s", as_of, result.events, result.seconds)
    return result
