"""Reads for the churn page, its exports and the API: churn rates by period and breakdown, the margin lost, the
cohort triangle with its sBG fits. Everything comes from the small tables the churn refresh writes
(retention/services_churn.py); only cumulative sums over months are formed here (never a loop over customers).

Scope: roles that see every customer see the company's figures. Others see their team's (or, without a team,
their own customers'): the stored team/owner rows; the breakdowns that are not stored per team (region, channel,
segment before the loss, stage, reason) are counted from the losses they may see (ChurnEvent, restricted), as
numbers of losses without a rate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from accounts.models import User
from core.db_analytics import month_index_date
from retention.churn_text import survivors_message
from retention.models import ChurnCohortMonth, ChurnEvent, ChurnMonth, ChurnRefresh
from retention.models.churn import RATE_DIMENSIONS, ChurnDimension
from retention.sbg import MIN_PERIODS, SBGFit, SurvivorsError, sbg_fit
from segmentation.choices import AbcTier, ChurnReason, LifecycleStage, RfmSegment

PERIODS = ("month", "quarter")
SHOWN = {"month": 24, "quarter": 8}  # periods on the rate chart
COHORT_MONTHS = 24  # cohorts (rows) and months after the first purchase (columns) in the triangle
ZERO = Decimal("0")


@dataclass
class ChurnScope:
    """What part of the stored figures a user may see: everything, one team's rows, or one owner's."""

    everything: bool
    dimension: str = ChurnDimension.ALL
    key: str = ""
    team_id: int | None = None
    user: User | None = None


def churn_scope(user: User) -> ChurnScope:
    if user.sees_all_customers:
        return ChurnScope(everything=True, user=user)
    if user.team_id is not None:
        return ChurnScope(everything=False, dimension=ChurnDimension.TEAM, key=str(user.team_id), team_id=user.team_id,
                          user=user)
    return ChurnScope(everything=False, dimension=ChurnDimension.OWNER, key=str(user.pk), user=user)


@dataclass
class PeriodFigures:
    """One period (month or quarter) of one breakdown key."""

    period: int  # month index of the period's first month
    label: str
    active_start: int | None  # None where the breakdown has no rate
    lost: int  # every loss in the period
    lost_counted: int  # losses of customers active at its start: the rate's numerator
    returned_same: int  # of the losses, customers who bought again before the period ended
    margin_lost: Decimal
    clv_lost: float

    @property
    def rate(self) -> float | None:
        if not self.active_start:
            return None
        return self.lost_counted / self.active_start

    @property
    def start(self) -> date:
        return month_index_date(self.period)


def period_label(index: int, period: str) -> str:
    start = month_index_date(index)
    if period == "quarter":
        return _("%(year)d Q%(quarter)d") % {"year": start.year, "quarter": (start.month - 1) // 3 + 1}
    return f"{start.year}-{start.month:02d}"


def _period_of(month: int, period: str) -> int:
    return month - month % 3 if period == "quarter" else month


def last_refresh() -> ChurnRefresh | None:
    return ChurnRefresh.objects.filter(pk=1).first()


def _series(rows: list[dict[str, Any]], period: str, *, with_rate: bool,
            until: int | None) -> dict[str, list[PeriodFigures]]:
    """Per key, the periods in order, from stored month rows (dicts of ChurnMonth values)."""
    by_key: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    first, last = None, None
    for row in rows:
        by_key[row["key"]][row["month"]] = row
        first = row["month"] if first is None else min(first, row["month"])
        last = row["month"] if last is None else max(last, row["month"])
    if first is None or last is None:
        return {}
    if until is not None:
        last = max(last, until)
    out: dict[str, list[PeriodFigures]] = {}
    quarter = period == "quarter"
    for key, months in by_key.items():
        active = 0  # active at the start of the current month: Σ (began − lost) over earlier months
        figures: list[PeriodFigures] = []
        current: PeriodFigures | None = None
        for month in range(first, last + 1):
            found = months.get(month)
            p = _period_of(month, period)
            if current is None or current.period != p:
                current = PeriodFigures(period=p, label=period_label(p, period),
                                        active_start=active if with_rate else None, lost=0, lost_counted=0,
                                        returned_same=0, margin_lost=ZERO, clv_lost=0.0)
                figures.append(current)
            if found is None:
                continue
            row = found
            current.lost += row["lost"]
            current.lost_counted += row["lost"] - (row["lost_new_quarter"] if quarter else row["lost_new"])
            current.returned_same += row["returned_same_quarter"] if quarter else row["returned_same_month"]
            current.margin_lost += row["margin_lost"] or ZERO
            current.clv_lost += row["clv_lost"] or 0.0
            active += row["began"] - row["lost"]
        out[key] = figures
    return out


_FIELDS = ("key", "month", "began", "lost", "lost_new", "returned_same_month", "lost_new_quarter",
           "returned_same_quarter", "margin_lost", "clv_lost")


def _month_rows(dimension: str, keys: list[str] | None = None) -> list[dict[str, Any]]:
    qs = ChurnMonth.objects.filter(dimension=dimension)
    if keys is not None:
        qs = qs.filter(key__in=keys)
    return list(qs.values(*_FIELDS))


def _current_month(refresh: ChurnRefresh | None) -> int | None:
    if refresh is None:
        return None
    return refresh.as_of.year * 12 + refresh.as_of.month - 1


def churn_rates(*, scope: ChurnScope, period: str) -> list[PeriodFigures]:
    """The overall series in the viewer's scope, oldest first (the current, incomplete period last)."""
    rows = _month_rows(scope.dimension, [scope.key])
    series = _series(rows, period, with_rate=True, until=_current_month(last_refresh()))
    return series.get(scope.key, [])


@dataclass
class Breakdown:
    dimension: str
    with_rate: bool
    rows: list[dict[str, Any]] = field(default_factory=list)  # {"key", "label", "figures": PeriodFigures}
    note: str = ""


def _labels(dimension: str, keys: list[str]) -> dict[str, str]:
    unknown = _("unknown")
    if dimension == ChurnDimension.OWNER:
        users = {str(u.pk): str(u) for u in User.objects.filter(pk__in=[int(k) for k in keys if k.isdigit()])}
        return {k: users.get(k, unknown) for k in keys}
    if dimension == ChurnDimension.TEAM:
        from accounts.models import Team

        teams = {str(t.pk): t.name for t in Team.objects.filter(pk__in=[int(k) for k in keys if k.isdigit()])}
        return {k: teams.get(k, _("no team")) for k in keys}
    choices: dict[str, Any] = {
        ChurnDimension.ABC: AbcTier, ChurnDimension.RFM: RfmSegment, ChurnDimension.STAGE: LifecycleStage,
        ChurnDimension.REASON: ChurnReason,
    }
    if dimension == ChurnDimension.CHANNEL:
        from customers.choices import SourceChannel

        choices[ChurnDimension.CHANNEL] = SourceChannel
    if dimension in choices:
        labels = dict(choices[dimension].choices)
        missing = _("not recorded") if dimension in (ChurnDimension.ABC, ChurnDimension.RFM) else unknown
        return {k: str(labels.get(k, k)) if k else missing for k in keys}
    return {k: k or unknown for k in keys}


# For scoped viewers: the breakdowns counted from the losses they may see (field of ChurnEvent per dimension).
_EVENT_FIELDS: dict[str, str] = {
    ChurnDimension.REGION: "customer__province", ChurnDimension.CHANNEL: "customer__source_channel",
    ChurnDimension.ABC: "abc_before", ChurnDimension.RFM: "rfm_before", ChurnDimension.STAGE: "stage_before",
    ChurnDimension.REASON: "reason", ChurnDimension.OWNER: "customer__owner_id",
    ChurnDimension.TEAM: "customer__team_id",
}


def _event_rows(user: User, dimension: str) -> list[dict[str, Any]]:
    """Month rows (as the stored ones) counted from the losses the user may see."""
    from django.db.models.functions import ExtractMonth, ExtractYear

    key = _EVENT_FIELDS[dimension]
    found = (ChurnEvent.objects.restrict(user, "view").values(key)
             .annotate(year=ExtractYear("lost_on"), m=ExtractMonth("lost_on"))
             .values(key, "year", "m")
             .annotate(lost=Count("pk"), margin_lost=Sum("margin_12m"), clv_lost=Sum("clv_at_loss"),
                       returned=Count("pk", filter=Q(returned_on__isnull=False))))
    rows = []
    for r in found:
        rows.append({"key": "" if r[key] is None else str(r[key]), "month": r["year"] * 12 + r["m"] - 1,
                     "began": 0, "lost": r["lost"], "lost_new": 0, "returned_same_month": 0, "lost_new_quarter": 0,
                     "returned_same_quarter": 0, "margin_lost": r["margin_lost"], "clv_lost": r["clv_lost"] or 0.0})
    return rows


def churn_breakdown(*, scope: ChurnScope, period: str, dimension: str, at: int | None) -> tuple[Breakdown, int | None]:
    """One period's figures per key of `dimension` (default period: the latest complete one); and the period."""
    refresh = last_refresh()
    with_rate = dimension in RATE_DIMENSIONS
    note = ""
    if scope.everything:
        rows = _month_rows(dimension)
    elif dimension == ChurnDimension.OWNER and scope.team_id is not None:
        members = [str(pk) for pk in User.objects.filter(team_id=scope.team_id).values_list("pk", flat=True)]
        rows = _month_rows(dimension, members)
    elif dimension in (ChurnDimension.ALL, scope.dimension):
        rows = _month_rows(scope.dimension, [scope.key])
    else:
        assert scope.user is not None
        rows = _event_rows(scope.user, dimension)
        with_rate = False
        note = _("Counted from the losses of the customers you may see; rates by this breakdown are shown to roles "
                 "that see every customer.")
    series = _series(rows, period, with_rate=with_rate, until=_current_month(refresh))
    periods = sorted({f.period for figures in series.values() for f in figures})
    if at is None or at not in periods:
        current = _current_month(refresh)
        complete = [p for p in periods if current is None or _period_of(current, period) != p]
        at = complete[-1] if complete else (periods[-1] if periods else None)
    labels = _labels(dimension, list(series))
    out = Breakdown(dimension=dimension, with_rate=with_rate, note=note)
    for key, figures in series.items():
        found = next((f for f in figures if f.period == at), None)
        if found is not None and (found.lost or (found.active_start or 0)):
            out.rows.append({"key": key, "label": labels[key], "figures": found})
    out.rows.sort(key=lambda r: (-(r["figures"].rate or 0) if with_rate else -r["figures"].lost, r["label"]))
    return out, at


def breakdown_periods(*, scope: ChurnScope, period: str) -> list[tuple[int, str]]:
    """The periods one may pick for the breakdown, newest first."""
    return [(f.period, f.label) for f in reversed(churn_rates(scope=scope, period=period))]


# --- Cohorts -------------------------------------------------------------------------------------------------------

@dataclass
class CohortRow:
    cohort: int
    label: str
    size: int
    active: list[float]  # share still active at the end of month k = 0, 1, … after the first (ended months only)


@dataclass
class CohortFit:
    """The sBG model on one first-purchase year's customers never lost yet, by whole year after the first purchase."""

    year: int
    size: int
    never_lost: list[int]  # after 0, 1, 2 … whole years (only the years every member has completed)
    fit: SBGFit | None = None
    note: str = ""
    projected: list[float] = field(default_factory=list)


def _cohort_flows(since: int | None = None) -> dict[int, dict[int, tuple[int, int, int]]]:
    flows: dict[int, dict[int, tuple[int, int, int]]] = defaultdict(dict)
    qs = ChurnCohortMonth.objects.all()
    if since is not None:
        qs = qs.filter(cohort__gte=since)
    for cohort, month, began, lost, first_lost in qs.values_list("cohort", "month", "began", "lost", "first_lost"):
        flows[cohort][month] = (began, lost, first_lost)
    return flows


def cohort_table(*, months: int = COHORT_MONTHS) -> list[CohortRow]:
    """The triangle: for each first-purchase month of the last `months` (newest first), the share of its customers
    still active at the end of each month after it (k = 0: the end of the first month). Company-wide: the cohorts
    are not stored per team (the page shows them to roles that see every customer)."""
    current = _current_month(last_refresh())
    if current is None:
        return []
    flows = _cohort_flows(current - months)
    out = []
    for cohort in sorted(flows, reverse=True):
        months_of = flows[cohort]
        size = months_of.get(cohort, (0, 0, 0))[0]
        if not size:
            continue
        active, shares = 0, []
        for month in range(cohort, current):  # complete months only: the current one has not ended
            began, lost, _first = months_of.get(month, (0, 0, 0))
            active += began - lost
            shares.append(active / size)
        out.append(CohortRow(cohort=cohort, label=period_label(cohort, "month"), size=size, active=shares))
    return out


def cohort_fits() -> list[CohortFit]:
    """sBG fits per first-purchase year (newest first). A loss needs a year without purchase, so the periods are
    whole years after each customer's first purchase; a year is counted once every member has completed it. Needs
    MIN_PERIODS such years, else the cohort is "too young to fit"."""
    current = _current_month(last_refresh())
    if current is None:
        return []
    by_year: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))  # year → offset in years → first losses
    sizes: dict[int, int] = defaultdict(int)
    for cohort, months_of in _cohort_flows().items():
        year = cohort // 12
        sizes[year] += months_of.get(cohort, (0, 0, 0))[0]
        for month, (_began, _lost, first_lost) in months_of.items():
            if first_lost:
                # Year 1 = the 12 months after the first purchase's month (a loss in month 12 ends year 1: a
                # customer who never bought again is lost 366 days after the first purchase).
                by_year[year][max(month - cohort - 1, 0) // 12] += first_lost
    out = []
    for year in sorted(sizes, reverse=True):
        size = sizes[year]
        if not size:
            continue
        last_member = year * 12 + 11  # the cohort's last month
        complete = max((current - last_member - 1) // 12, 0)  # whole years every member has completed
        survivors, left = [size], size
        for offset in range(complete):
            left -= by_year[year].get(offset, 0)
            survivors.append(left)
        row = CohortFit(year=year, size=size, never_lost=survivors)
        if complete < MIN_PERIODS:
            row.note = _("too young to fit (%(years)d of %(needed)d whole years)") % {
                "years": complete, "needed": MIN_PERIODS}
        else:
            try:
                row.fit = sbg_fit(survivors)
                row.projected = [float(s) for s in row.fit.survival(complete + 3)]
            except SurvivorsError as exc:
                row.note = survivors_message(exc)
        out.append(row)
    return out


def churn_summary(*, scope: ChurnScope, period: str) -> dict[str, Any]:
    """The latest complete period's figures, for the cards."""
    series = churn_rates(scope=scope, period=period)
    current = _current_month(last_refresh())
    complete = [f for f in series if current is None or f.period != _period_of(current, period)]
    latest = complete[-1] if complete else None
    previous = complete[-2] if len(complete) > 1 else None
    return {"latest": latest, "previous": previous}
