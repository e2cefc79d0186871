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
4. UPDATE … FROM and INSERT … SELECT into CustomerSegment; rows of customers deleted since are
   removed.

All in one transaction: readers see the previous classes until it commits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commerce.choices import OrderStatus
from commerce.models import CustomerCost, Order
from core.db_analytics import (
    analytics_settings,
    date_day_sql,
    day_date_sql,
    grouping_in_index_order,
    local_day_sql,
)
from customers.models import Customer
from segmentation import potential
from segmentation.choices import AbcTier, LifecycleMarkKind, LifecycleStage, Loyalty, RfmSegment, ValueClass
from segmentation.models import CustomerSegment, LifecycleMark, LifecycleTransition, SegmentationSettings

logger = logging.getLogger(__name__)

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
# What users read for each cause (the history of a customer's stages).
CAUSE_LABELS = {
    CAUSE_NEW_CUSTOMER: _("new customer"),
    CAUSE_MARKED_TARGET: _("marked as a target customer"),
    CAUSE_MARKED_NON_CUSTOMER: _("marked as a non-customer"),
    CAUSE_MARK_CLEARED: _("mark cleared"),
    CAUSE_FIRST_PURCHASE: _("first purchase"),
    CAUSE_SECOND_PURCHASE: _("second purchase"),
    CAUSE_LOYAL_RULE: _("bought regularly (loyalty rule met)"),
    CAUSE_LOYAL_LAPSED: _("loyalty rule no longer met"),
    CAUSE_NO_PURCHASE: _("no purchase within the churn window"),
    CAUSE_MARKED_CHURNED: _("marked as churned"),
    CAUSE_WON_BACK: _("won back by a purchase"),
    CAUSE_LOST_EXPIRED: _("lost for too long"),
    CAUSE_ORDERS_CHANGED: _("orders refunded or removed"),
}
CAUSES = list(CAUSE_LABELS)


@dataclass
class RefreshResult:
    """What a refresh did: the as-of day, how many customers it classified, how many lifecycle
    transitions it recorded, the rule schemes it evaluated, and the time of each phase (seconds)."""

    as_of: date
    customers: int = 0
    transitions: int = 0
    removed: int = 0
    rule_schemes: int | None = None
    # The key of the provider that supplied the value matrix's potential (segmentation/potential.py).
    potential_source: str = potential.TREND
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


_PAID = f"'{OrderStatus.PAID.value}'"  # a literal, so that the partial index order_paid_customer serves the query


class _Statements:
    """The SQL of one refresh (vendor differences only through core.db_analytics)."""

    def __init__(self, *, using: str, conf: SegmentationSettings, as_of: date,
                 provider: potential.PotentialProvider | None, since: datetime | None) -> None:
        self.using = using
        tz = getattr(settings, "KEHU_TIME_ZONE", None) or settings.TIME_ZONE
        end_utc = _day_start_utc(as_of + timedelta(days=1))
        self.day = lambda column: local_day_sql(column, tz, until=end_utc, since=since, using=using)
        self.dday = lambda column: date_day_sql(column, using=using)
        self.date = lambda expression: day_date_sql(expression, using=using)
        self.conf = conf
        self.provider = provider
        self.order = _q(Order._meta.db_table)

    def _paid(self, alias: str) -> str:
        return f"{alias}.status = {_PAID} AND {alias}.deleted_at IS NULL AND {alias}.ordered_at < %(end_utc)s"

    def base(self) -> str:
        """Per customer: one GROUP BY over the completed orders. Order times are compared with the UTC
        instants at which the business days start (computed in Python), so no order's day is
        computed; only each customer's first/last order times are turned into days."""
        conf = self.conf
        cost, mark, customer = (CustomerCost._meta.db_table, LifecycleMark._meta.db_table,
                                Customer._meta.db_table)
        # Purchases in each loyalty period k (a day d is in period k when A − P·(k+1) < d ≤ A − P·k).
        periods = " + ".join(
            f"CASE WHEN COUNT(*) FILTER (WHERE o.ordered_at >= %(period_{k + 1})s "
            f"AND o.ordered_at < %(period_{k})s) > 0 THEN 1 ELSE 0 END"
            for k in range(conf.loyal_periods)
        )
        # The potential in cents: the trend of margin, or the registered provider's value (0 without one).
        potential_c = "CAST(ROUND((COALESCE(x.margin_p0, 0) - COALESCE(x.margin_p1, 0)) * 100) AS BIGINT)"
        potential_join = ""
        if self.provider is not None:
            p = self.provider
            potential_c = f"COALESCE(CAST(ROUND(pv.{_q(p.value_column)} * 100) AS BIGINT), 0)"
            potential_join = f"LEFT JOIN {_q(p.table)} pv ON pv.{_q(p.customer_column)} = x.customer_id"
        in_window = "o.ordered_at >= %(window_from)s"
        return f"""
        CREATE TEMPORARY TABLE kehu_seg_base AS
        WITH agg AS (
            SELECT o.customer_id AS c, COUNT(*) AS orders_total,
                   MIN(o.ordered_at) AS first_t, MAX(o.ordered_at) AS last_t,
                   COUNT(*) FILTER (WHERE {in_window}) AS frequency,
                   SUM(o.revenue) FILTER (WHERE {in_window}) AS revenue_w,
                   SUM(o.margin) FILTER (WHERE {in_window}) AS margin_w,
                   MAX(o.ordered_at) FILTER (WHERE {in_window}) AS last_window_t,
                   {periods} AS periods,
                   SUM(o.margin) FILTER (WHERE o.ordered_at >= %(period_1)s) AS margin_p0,
                   SUM(o.margin) FILTER (WHERE o.ordered_at >= %(period_2)s AND o.ordered_at < %(period_1)s)
                       AS margin_p1
            FROM {self.order} o
            WHERE {self._paid('o')}
            GROUP BY o.customer_id
        ),
        co AS (
            SELECT customer_id AS c, SUM(amount) AS cost_w
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
            -- the first purchase after a churn mark still in force wins the customer back
            SELECT m.c, MIN(x.ordered_at) AS won_t
            FROM mk m JOIN {self.order} x ON x.customer_id = m.c
            WHERE m.rn = 1 AND m.mark_kind = %(churned)s AND {self._paid('x')}
                  AND {self.day('x.ordered_at')} > m.mark_day
            GROUP BY m.c
        ),
        -- Materialized: the outer SELECT refers to its day columns several times, and an inlined
        -- CTE would convert each order time to a local day once per reference (PostgreSQL, 1M
        -- customers: 22.5 s → 11.2 s for this statement; SQLite: the same either way, 35 s).
        x AS MATERIALIZED (
            SELECT cu.id AS customer_id, {self.day('cu.created_at')} AS created_day,
                   COALESCE(a.orders_total, 0) AS orders_total,
                   {self.day('a.first_t')} AS first_day, {self.day('a.last_t')} AS last_day,
                   %(A)s - {self.day('a.last_window_t')} AS recency_days,
                   COALESCE(a.frequency, 0) AS frequency,
                   CAST(ROUND(COALESCE(a.revenue_w, 0) * 100) AS BIGINT) AS revenue_c,
                   CAST(ROUND(COALESCE(a.margin_w, 0) * 100) AS BIGINT) AS margin_c,
                   CAST(ROUND(COALESCE(co.cost_w, 0) * 100) AS BIGINT) AS cost_c,
                   COALESCE(a.periods, 0) AS periods, a.margin_p0, a.margin_p1,
                   m.mark_kind, m.mark_day, {self.day('cw.won_t')} AS mark_won_day
            FROM {_q(customer)} cu
            LEFT JOIN agg a ON a.c = cu.id
            LEFT JOIN co ON co.c = cu.id
            LEFT JOIN mk m ON m.c = cu.id AND m.rn = 1
            LEFT JOIN cw ON cw.c = cu.id
            WHERE cu.deleted_at IS NULL
        )
        SELECT x.customer_id, x.created_day, x.orders_total, x.first_day, x.last_day, x.recency_days,
               x.frequency, x.revenue_c, x.margin_c, x.cost_c, x.margin_c - x.cost_c AS profit_c, x.periods,
               {potential_c} AS potential_c, x.mark_kind, x.mark_day, x.mark_won_day,
               CASE
                   WHEN x.mark_kind = %(churned)s AND x.last_day <= x.mark_day
                        AND NOT (%(A)s - x.last_day > %(lost_after)s AND x.last_day + %(lost_after)s + 1 < x.mark_day)
                        THEN x.mark_day
                   WHEN %(A)s - x.last_day > %(lost_after)s THEN x.last_day + %(lost_after)s + 1
               END AS lost_since,
               CASE
                   WHEN x.mark_kind = %(churned)s AND x.last_day <= x.mark_day
                        AND NOT (%(A)s - x.last_day > %(lost_after)s AND x.last_day + %(lost_after)s + 1 < x.mark_day)
                        THEN '{CAUSE_MARKED_CHURNED}'
                   ELSE '{CAUSE_NO_PURCHASE}'
               END AS lost_cause
        FROM x
        {potential_join}
        """

    def ranks(self) -> str:
        """The window functions over a narrow projection (a sort carries only these columns). Counts
        and totals come from scalar subqueries, not windows (one sort fewer each). RFM ranks are
        taken over all customers ordered by (has an order in the window, measure): those without
        sort first, so subtracting their number gives the rank among the RFM population."""
        base = "kehu_seg_base"
        return f"""
        CREATE TEMPORARY TABLE kehu_seg_rank AS
        SELECT customer_id, profit_rank, cum_profit - profit_c AS cum_before,
               (SELECT COALESCE(SUM(profit_c), 0) FROM {base} WHERE profit_c > 0) AS total_positive,
               -- RFM: rank r = 1 + customers strictly worse; score = 1 + floor(5·(r−1)/n)
               CASE WHEN has_rfm = 1 THEN 1 + (5 * (r_rank - n0 - 1)) / (n_all - n0) END AS r_score,
               CASE WHEN has_rfm = 1 THEN 1 + (5 * (f_rank - n0 - 1)) / (n_all - n0) END AS f_score,
               CASE WHEN has_rfm = 1 THEN 1 + (5 * (m_rank - n0 - 1)) / (n_all - n0) END AS m_score,
               current_rank, potential_rank, n_all
        FROM (
            SELECT customer_id, profit_c, has_rfm, n0, n_all,
                   ROW_NUMBER() OVER (ORDER BY profit_c DESC, customer_id) AS profit_rank,
                   SUM(profit_c) OVER (ORDER BY profit_c DESC, customer_id ROWS UNBOUNDED PRECEDING) AS cum_profit,
                   RANK() OVER (ORDER BY has_rfm, recency_days DESC) AS r_rank,
                   RANK() OVER (ORDER BY has_rfm, frequency) AS f_rank,
                   RANK() OVER (ORDER BY has_rfm, revenue_c) AS m_rank,
                   RANK() OVER (ORDER BY profit_c) AS current_rank,
                   RANK() OVER (ORDER BY potential_c) AS potential_rank
            FROM (SELECT customer_id, profit_c, recency_days, frequency, revenue_c, potential_c,
                         CASE WHEN frequency > 0 THEN 1 ELSE 0 END AS has_rfm,
                         (SELECT COUNT(*) FROM {base} WHERE frequency = 0) AS n0,
                         (SELECT COUNT(*) FROM {base}) AS n_all
                  FROM {base}) s
        ) w
        """

    def new(self) -> str:
        S, L, V = LifecycleStage, Loyalty, ValueClass  # noqa: N806
        segment = CustomerSegment._meta.db_table
        return f"""
        CREATE TEMPORARY TABLE kehu_seg_new AS
        SELECT s.*,
               CASE
                   WHEN s.profit_c <= 0 THEN '{AbcTier.C}'
                   WHEN 100 * s.cum_before < %(abc_a_pct)s * s.total_positive THEN '{AbcTier.A}'
                   WHEN 100 * s.cum_before < %(abc_b_pct)s * s.total_positive THEN '{AbcTier.B}'
                   ELSE '{AbcTier.C}'
               END AS abc_tier,
               {_rfm_segment_sql('s.r_score', 's.f_score')} AS rfm_segment,
               CASE
                   WHEN 100 * (s.current_rank - 1) >= %(value_current_pct)s * s.n_all
                       THEN CASE WHEN 100 * (s.potential_rank - 1) >= %(value_potential_pct)s * s.n_all
                                 THEN '{V.VALUE}' ELSE '{V.MIGRATING}' END
                   ELSE CASE WHEN 100 * (s.potential_rank - 1) >= %(value_potential_pct)s * s.n_all
                             THEN '{V.POTENTIAL}' ELSE '{V.FROZEN}' END
               END AS value_class,
               CASE
                   WHEN s.stage IN ('{S.POTENTIAL}', '{S.TARGET}', '{S.NON_CUSTOMER}') THEN '{L.POTENTIAL}'
                   WHEN s.stage = '{S.LOYAL}' THEN '{L.LOYAL}'
                   WHEN s.orders_total = 1 THEN '{L.NEW}'
                   ELSE '{L.OLD}'
               END AS loyalty,
               CASE WHEN s.old_stage IS NULL OR s.old_stage <> s.stage THEN 1 ELSE 0 END AS changed,
               CASE WHEN (s.old_stage IS NULL OR s.old_stage <> s.stage)
                         AND (s.old_as_of IS NULL OR s.old_as_of <= %(as_of)s) THEN 1 ELSE 0 END AS record_change,
               CAST(NULL AS BIGINT) AS second_day, CAST(NULL AS BIGINT) AS won_day,
               CAST(NULL AS BIGINT) AS change_day, CAST(NULL AS VARCHAR(32)) AS change_cause
        FROM (
            SELECT b.*, r.profit_rank, r.cum_before, r.total_positive, r.r_score, r.f_score, r.m_score,
                   r.current_rank, r.potential_rank, r.n_all, {_stage_sql()} AS stage,
                   old.lifecycle_stage AS old_stage, old.lifecycle_since AS old_since,
                   old.orders_total AS old_orders, old.as_of AS old_as_of,
                   {self.dday('old.as_of')} AS old_as_of_day
            FROM kehu_seg_base b
            JOIN kehu_seg_rank r ON r.customer_id = b.customer_id
            LEFT JOIN {_q(segment)} old ON old.customer_id = b.customer_id
        ) s
        """

    def lazy_days(self) -> list[str]:
        """The days a stage change needs and no aggregate gives: the second order's, and the purchase
        that won a lost customer back. Only for customers whose stage changed (a few a night; every
        customer at the first refresh), each by index seeks on order_paid_customer."""
        S = LifecycleStage  # noqa: N806
        t = "kehu_seg_new"
        nth = (f"(SELECT x.ordered_at FROM {self.order} x WHERE x.customer_id = {t}.customer_id AND "
               f"{self._paid('x')} ORDER BY x.ordered_at LIMIT 1 OFFSET 1)")
        # After a refresh that found them lost: the first purchase since that refresh's day.
        after_old = (f"(SELECT MIN(x.ordered_at) FROM {self.order} x WHERE x.customer_id = {t}.customer_id AND "
                     f"{self._paid('x')} AND {self.day('x.ordered_at')} > {t}.old_as_of_day)")
        winners = f"('{S.REPEAT}', '{S.LOYAL}')"
        return [
            f"UPDATE {t} SET second_day = {self.day(nth)} WHERE changed = 1 AND stage = '{S.REPEAT}' "
            f"AND orders_total >= 2",
            f"UPDATE {t} SET won_day = {self.day(after_old)} WHERE changed = 1 AND stage IN {winners} "
            f"AND old_stage IN ('{S.LOST}', '{S.NON_CUSTOMER}') AND old_orders > 0",
            # First refresh (no stored stage): the latest purchase more than `lost_after` days after
            # the one before it, by LAG over those customers' orders (one pass, index order).
            f"""CREATE TEMPORARY TABLE kehu_seg_gap AS
            SELECT c AS customer_id, MAX(CASE WHEN d - prev_d > %(lost_after)s THEN d END) AS won_day
            FROM (SELECT x.customer_id AS c, {self.day('x.ordered_at')} AS d,
                         LAG({self.day('x.ordered_at')}) OVER (PARTITION BY x.customer_id ORDER BY x.ordered_at)
                             AS prev_d
                  FROM {t} n JOIN {self.order} x ON x.customer_id = n.customer_id
                  WHERE n.changed = 1 AND n.stage IN {winners} AND n.old_stage IS NULL
                        AND {self._paid('x')}) g
            GROUP BY c""",
            "DELETE FROM kehu_seg_gap WHERE won_day IS NULL",
            "CREATE INDEX kehu_seg_gap_customer ON kehu_seg_gap (customer_id)",
            f"UPDATE {t} SET won_day = (SELECT g.won_day FROM kehu_seg_gap g WHERE g.customer_id = {t}.customer_id) "
            f"WHERE customer_id IN (SELECT customer_id FROM kehu_seg_gap)",
            f"UPDATE {t} SET won_day = mark_won_day WHERE changed = 1 AND stage IN {winners} "
            f"AND mark_won_day IS NOT NULL AND (won_day IS NULL OR mark_won_day > won_day)",
        ]

    def change(self) -> str:
        """The day and cause of each changed stage (docs/segmentation.md)."""
        S = LifecycleStage  # noqa: N806
        lost = f"('{S.LOST}', '{S.NON_CUSTOMER}')"
        won = "(won_day IS NOT NULL AND (second_day IS NULL OR won_day >= second_day))"
        day = f"""CASE
            WHEN old_stage IS NOT NULL AND orders_total < old_orders THEN %(A)s
            WHEN stage = '{S.POTENTIAL}' THEN CASE WHEN old_stage IS NULL AND created_day < %(A)s THEN created_day
                                                   ELSE %(A)s END
            WHEN stage = '{S.TARGET}' THEN mark_day
            WHEN stage = '{S.NON_CUSTOMER}' THEN CASE WHEN orders_total = 0 THEN mark_day
                                                      ELSE lost_since + %(non_customer_after)s + 1 END
            WHEN stage = '{S.FIRST_TIME}' THEN first_day
            WHEN stage = '{S.REPEAT}' THEN CASE WHEN old_stage = '{S.LOYAL}' THEN %(A)s
                                                WHEN {won} THEN won_day ELSE COALESCE(second_day, %(A)s) END
            WHEN stage = '{S.LOYAL}' THEN CASE WHEN old_stage IN {lost} AND won_day IS NOT NULL THEN won_day
                                               ELSE %(A)s END
            WHEN stage = '{S.LOST}' THEN lost_since
            END"""
        cause = f"""CASE
            WHEN old_stage IS NOT NULL AND orders_total < old_orders THEN '{CAUSE_ORDERS_CHANGED}'
            WHEN stage = '{S.POTENTIAL}' THEN CASE WHEN old_stage IS NULL THEN '{CAUSE_NEW_CUSTOMER}'
                                                   ELSE '{CAUSE_MARK_CLEARED}' END
            WHEN stage = '{S.TARGET}' THEN '{CAUSE_MARKED_TARGET}'
            WHEN stage = '{S.NON_CUSTOMER}' THEN CASE WHEN orders_total = 0 THEN '{CAUSE_MARKED_NON_CUSTOMER}'
                                                      ELSE '{CAUSE_LOST_EXPIRED}' END
            WHEN stage = '{S.FIRST_TIME}' THEN '{CAUSE_FIRST_PURCHASE}'
            WHEN stage = '{S.REPEAT}' THEN CASE WHEN old_stage = '{S.LOYAL}' THEN '{CAUSE_LOYAL_LAPSED}'
                                                WHEN {won} THEN '{CAUSE_WON_BACK}' ELSE '{CAUSE_SECOND_PURCHASE}' END
            WHEN stage = '{S.LOYAL}' THEN CASE WHEN old_stage IN {lost} AND won_day IS NOT NULL
                                               THEN '{CAUSE_WON_BACK}' ELSE '{CAUSE_LOYAL_RULE}' END
            WHEN stage = '{S.LOST}' THEN lost_cause
            END"""
        return f"UPDATE kehu_seg_new SET change_day = {day}, change_cause = {cause} WHERE changed = 1"

    def transitions(self) -> str:
        table = LifecycleTransition._meta.db_table
        return f"""
        INSERT INTO {_q(table)} (customer_id, {_q('on')}, from_stage, to_stage, cause, recorded_at)
        SELECT customer_id, {self.date('change_day')}, COALESCE(old_stage, ''), stage, change_cause, %(now)s
        FROM kehu_seg_new WHERE record_change = 1
        """

    def upsert(self) -> list[str]:
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
            f"CASE WHEN changed = 0 AND old_since IS NOT NULL THEN old_since ELSE {self.date('change_day')} END",
            "loyalty", "profit_c / 100.0", "potential_c / 100.0", "value_class", "%(now)s",
        ]
        select = ", ".join(f"{v} AS {_q(c)}" for c, v in zip(columns, values, strict=True))
        updates = ", ".join(f"{_q(c)} = n.{_q(c)}" for c in columns[1:])
        # An UPDATE … FROM (one join of the two tables) and an INSERT of the customers without a row,
        # rather than INSERT … ON CONFLICT, which probes the primary key row by row (PostgreSQL, 1M
        # customers: docs/segmentation.md).
        return [
            f"""UPDATE {_q(table)} SET {updates}
            FROM (SELECT {select} FROM kehu_seg_new) n WHERE {_q(table)}.customer_id = n.customer_id""",
            f"""INSERT INTO {_q(table)} ({", ".join(_q(c) for c in columns)})
            SELECT {", ".join(values)} FROM kehu_seg_new
            WHERE NOT EXISTS (SELECT 1 FROM {_q(table)} s WHERE s.customer_id = kehu_seg_new.customer_id)""",
        ]

    def remove_deleted(self) -> str:
        segment, customer = CustomerSegment._meta.db_table, Customer._meta.db_table
        return f"""
        DELETE FROM {_q(segment)} WHERE customer_id IN (SELECT id FROM {_q(customer)} WHERE deleted_at IS NOT NULL)
        """


def _params(*, using: str, conf: SegmentationSettings, as_of: date, now: datetime) -> dict[str, Any]:
    ops = connections[using].ops

    def instant(day: date) -> Any:
        return ops.adapt_datetimefield_value(_day_start_utc(day))

    params = {
        "A": day_number(as_of),
        "as_of": ops.adapt_datefield_value(as_of),
        "window_start": ops.adapt_datefield_value(as_of - timedelta(days=conf.window_days)),
        # d > as_of − W  ⇔  the order is at or after the start of day as_of − W + 1
        "window_from": instant(as_of - timedelta(days=conf.window_days - 1)),
        "end_utc": instant(as_of + timedelta(days=1)),
        "now": ops.adapt_datetimefield_value(now),
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
    # period_k: the start of period k−1's first day, i.e. period k covers [period_{k+1}, period_k).
    for k in range(max(conf.loyal_periods, 2) + 1):
        params[f"period_{k}"] = instant(as_of - timedelta(days=conf.period_days * k - 1))
    return params


def segmentation_settings() -> SegmentationSettings:
    """The one settings row (created with the documented defaults when missing)."""
    conf, _created = SegmentationSettings.objects.get_or_create(pk=1)
    return conf


def _earliest(using: str) -> datetime | None:
    """The earliest order or customer creation time (so SQLite's day arithmetic can leave out the
    zone's older offset changes); two index seeks."""
    found = [
        Order.objects.using(using).order_by("ordered_at").values_list("ordered_at", flat=True).first(),
        Customer.objects.using(using).order_by("created_at").values_list("created_at", flat=True).first(),
    ]
    found = [f for f in found if f is not None]
    return min(found) if found else None


def compute(
    *, as_of: date, progress: Callable[[str], None] | None = None, using: str = DEFAULT_DB_ALIAS,
) -> RefreshResult:
    """Recompute every computed scheme as of `as_of` (see the module docstring). One transaction."""
    conf = segmentation_settings()
    result = RefreshResult(as_of=as_of)
    provider = potential.choose(using)
    result.potential_source = provider.key if provider else potential.TREND
    logger.info("segments as of %s: the value matrix's potential from %r", as_of, result.potential_source)
    connection = connections[using]

    def step(name: str, sql: str, cursor: Any) -> int:
        if progress:
            progress(name)
        started = time.perf_counter()
        cursor.execute(sql, params)
        result.phases[name] = round(result.phases.get(name, 0) + time.perf_counter() - started, 3)
        return cursor.rowcount

    temporary = ("kehu_seg_gap", "kehu_seg_new", "kehu_seg_rank", "kehu_seg_base")
    with analytics_settings(using), transaction.atomic(using=using), connection.cursor() as cursor:
        # One refresh at a time: a write first (locks the settings row on PostgreSQL, the database on
        # SQLite), so a second refresh waits and then compares against the first one's stages
        # instead of recording the same transitions again. It records the potential's source too.
        cursor.execute(f"UPDATE {_q(SegmentationSettings._meta.db_table)} SET value_potential_source = %s "
                       "WHERE id = %s", [result.potential_source, conf.pk])
        statements = _Statements(using=using, conf=conf, as_of=as_of, provider=provider, since=_earliest(using))
        params = _params(using=using, conf=conf, as_of=as_of, now=timezone.now())
        for table in temporary:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        with grouping_in_index_order(cursor, using):
            step("base", statements.base(), cursor)
        step("ranks", statements.ranks(), cursor)
        step("classes", statements.new(), cursor)
        for sql in statements.lazy_days():
            step("stage days", sql, cursor)
        step("stage days", statements.change(), cursor)
        result.transitions = max(step("transitions", statements.transitions(), cursor), 0)
        result.customers = sum(max(step("segments", sql, cursor), 0) for sql in statements.upsert())
        result.removed = max(step("removed", statements.remove_deleted(), cursor), 0)
        for table in temporary:
            cursor.execute(f"DROP TABLE {table}")
    return result
