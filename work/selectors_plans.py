"""Reads of the plan (营销过程管理): who may see whose plan, the daily log assembled from the day's
activity, the weekly plan with its contacted flags and state changes, and the monthly targets with
their actuals, completion and forecast (docs/plans.md).

Who sees what: administrators every user's plan; a manager the plans of their team's members (and
their own); everyone else only their own. A user outside the viewer's reach is answered exactly like
a user who does not exist (Http404 in the views, 404 in the API).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.roles import Role
from customers.models import Customer
from work import plan_registry as reg
from work.models import DailyLog, PlanEntry, Target

ZERO = Decimal("0")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


# --- Time in the business zone --------------------------------------------------------------------

def business_today() -> date:
    return timezone.now().astimezone(reg.business_zone()).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def week_start(day: date) -> date:
    """The Monday of the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def log_editable(day: date, today: date | None = None) -> bool:
    """Today's and yesterday's logs may be written; older ones are locked (and future ones do not exist yet)."""
    today = today or business_today()
    return today - timedelta(days=1) <= day <= today


# --- Whose plans the viewer may see ---------------------------------------------------------------

def plan_users(viewer: User) -> QuerySet[User]:
    """The active users whose logs, plans and progress `viewer` may see."""
    qs = User.objects.filter(is_active=True)
    role = viewer.effective_role
    if role == Role.ADMIN:
        return qs.order_by("team__name", "first_name", "last_name", "username")
    if role == Role.MANAGER and viewer.team_id:
        return qs.filter(team_id=viewer.team_id).order_by("first_name", "last_name", "username")
    return qs.filter(pk=viewer.pk)


def plan_user(viewer: User, user_id: int) -> User | None:
    """The user `user_id` if `viewer` may see their plan, else None (as if they did not exist)."""
    return plan_users(viewer).filter(pk=user_id).first()


def plan_teams(viewer: User) -> QuerySet[Team]:
    """Teams whose progress `viewer` may see (and, for managers and administrators, set targets of)."""
    role = viewer.effective_role
    if role == Role.ADMIN:
        return Team.objects.order_by("name")
    if role == Role.MANAGER and viewer.team_id:
        return Team.objects.filter(pk=viewer.team_id)
    return Team.objects.none()


def may_set_targets(viewer: User) -> bool:
    return viewer.is_active and viewer.effective_role in (Role.ADMIN, Role.MANAGER)


def targets_visible(viewer: User) -> QuerySet[Target]:
    """Targets of the users and teams whose plans `viewer` may see."""
    return Target.objects.filter(Q(user__in=plan_users(viewer)) | Q(team__in=plan_teams(viewer)))


# --- Masking the activity -------------------------------------------------------------------------

def _visible_customer_ids(viewer: User, ids: Iterable[int | None]) -> set[int]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return set()
    return set(Customer.objects.restrict(viewer, "view").filter(pk__in=wanted).values_list("pk", flat=True))


def _masked(entry: reg.LogEntry, visible: set[int]) -> reg.LogEntry:
    if entry.customer_id is None or entry.customer_id in visible:
        return entry
    return reg.LogEntry(user_id=entry.user_id, at=entry.at, kind=entry.kind,
                        label=_("Activity with a customer you may not see"), contact=entry.contact)


def _raw_entries(user_ids: Sequence[int], start: date, end: date) -> list[reg.LogEntry]:
    out: list[reg.LogEntry] = []
    for source in reg.log_sources():
        out += source.entries(user_ids=list(user_ids), start=start, end=end)
    return sorted(out, key=lambda e: (e.at, e.kind, e.label))


# --- Daily log (日程表) ----------------------------------------------------------------------------

@dataclass
class DayLog:
    user: User
    day: date
    notes: str
    corrected_at: object
    editable: bool  # by its owner: today or yesterday
    entries: list[reg.LogEntry]

    @property
    def labelled(self) -> list[tuple[reg.LogEntry, str]]:
        """The entries with the label of their source ("Orders", "Interactions" …)."""
        labels = {source.key: str(source.label) for source in reg.log_sources()}
        return [(e, labels.get(e.kind, e.kind)) for e in self.entries]


def daily_logs(*, viewer: User, users: Sequence[User], day: date) -> list[DayLog]:
    """The logs of `users` (whom the caller checked `viewer` may see) on `day`: the notes and the
    day's activity from every registered source, entries about customers the viewer may not see
    masked. A few queries for all users together."""
    ids = [u.pk for u in users]
    notes = {log.user_id: log for log in DailyLog.objects.filter(user_id__in=ids, day=day)}
    entries = _raw_entries(ids, day, day)
    visible = _visible_customer_ids(viewer, (e.customer_id for e in entries))
    by_user: dict[int, list[reg.LogEntry]] = defaultdict(list)
    for e in entries:
        by_user[e.user_id].append(_masked(e, visible))
    editable = log_editable(day)
    return [DayLog(user=u, day=day, notes=notes[u.pk].notes if u.pk in notes else "",
                   corrected_at=notes[u.pk].corrected_at if u.pk in notes else None,
                   editable=editable and u.pk == viewer.pk, entries=by_user[u.pk]) for u in users]


# --- Weekly plan (周计划) --------------------------------------------------------------------------

@dataclass
class PlanRow:
    customer_id: int | None  # None: a customer the viewer may not see
    name: str
    source: str
    reason: str
    done: bool


@dataclass
class ChangeRow:
    on: date
    customer_id: int
    name: str
    what: str


@dataclass
class WeekView:
    user: User
    week: date
    rows: list[PlanRow]
    changes: list[ChangeRow]
    suggestions: list[reg.Suggestion] = field(default_factory=list)

    @property
    def done_count(self) -> int:
        return sum(1 for r in self.rows if r.done)


def weekly_plan(*, viewer: User, user: User, week: date, suggest: int = 10) -> WeekView:
    """`user`'s plan for the ISO week starting on `week` (a Monday): the planned customers, each
    marked done when `user` had a contact with it that week (a log entry with `contact`), the state
    changes of `user`'s customers that week, and suggestions not planned yet (only for the plan's owner)."""
    end = week + timedelta(days=6)
    entries = list(PlanEntry.objects.filter(plan__user=user, plan__week=week).only("customer_id", "source", "reason"))
    contacted = {e.customer_id for e in _raw_entries([user.pk], week, end) if e.contact}
    changes: list[reg.StateChange] = []
    for provider in reg.state_change_providers():
        changes += provider(owner_ids=[user.pk], start=week, end=end)
    names = customer_names(viewer, [e.customer_id for e in entries] + [c.customer_id for c in changes])
    visible = set(names)
    rows = [PlanRow(customer_id=e.customer_id if e.customer_id in visible else None,
                    name=names[e.customer_id] if e.customer_id in visible else _("A customer you may not see"),
                    source=e.get_source_display(), reason=e.reason, done=e.customer_id in contacted)
            for e in entries]
    change_rows = sorted((ChangeRow(on=c.on, customer_id=c.customer_id, name=names[c.customer_id], what=c.what)
                          for c in changes if c.customer_id in visible), key=lambda c: (c.on, c.name, c.what))
    suggestions: list[reg.Suggestion] = []
    if viewer.pk == user.pk and suggest:
        planned = {e.customer_id for e in entries}
        for suggest_from in reg.suggestion_providers():
            suggestions += [s for s in suggest_from(user=viewer, owner_id=user.pk, limit=suggest + len(planned))
                            if s.customer_id not in planned][:suggest]
    return WeekView(user=user, week=week, rows=rows, changes=change_rows, suggestions=suggestions)


@dataclass
class WeekSummary:
    user: User
    planned: int
    contacted: int
    changes: int


def weekly_overview(*, users: Sequence[User], week: date) -> list[WeekSummary]:
    """Per person (whom the caller checked the viewer may see): customers planned for the week, how
    many of them were contacted, and how many state changes their customers had — the team side by
    side, in a few set-based queries for everyone (counts only: no customer is named)."""
    ids = [u.pk for u in users]
    end = week + timedelta(days=6)
    planned: dict[int, set[int]] = defaultdict(set)
    for uid, cid in PlanEntry.objects.filter(plan__user_id__in=ids, plan__week=week).values_list(
            "plan__user_id", "customer_id"):
        planned[uid].add(cid)
    contacted: dict[int, set[int]] = defaultdict(set)
    for e in _raw_entries(ids, week, end):
        if e.contact and e.customer_id in planned[e.user_id]:
            contacted[e.user_id].add(e.customer_id)
    changes: dict[int, int] = defaultdict(int)
    for provider in reg.state_change_providers():
        for c in provider(owner_ids=ids, start=week, end=end):
            changes[c.owner_id] += 1
    return [WeekSummary(user=u, planned=len(planned[u.pk]), contacted=len(contacted[u.pk]), changes=changes[u.pk])
            for u in users]


def customer_names(viewer: User, ids: Iterable[int]) -> dict[int, str]:
    """Names of the customers among `ids` that `viewer` may see (one query), for log sources' labels."""
    return dict(Customer.objects.restrict(viewer, "view").filter(pk__in=set(ids)).values_list("pk", "name"))


# --- Monthly targets (月计划) ----------------------------------------------------------------------

@dataclass
class Progress:
    """One metric of one person or team in one month."""

    metric: reg.PlanMetric
    target: Decimal | None
    actual: Decimal
    completion: Decimal | None  # percent, one decimal; None without a (positive) target
    forecast: Decimal | None  # the month's end at the run rate; None for a month not begun


@dataclass
class ProgressRow:
    label: str
    user: User | None
    team: Team | None
    cells: list[Progress]


@dataclass
class MonthProgress:
    month: date
    elapsed_days: int
    days: int
    rows: list[ProgressRow]


def elapsed_days(month: date, today: date) -> int:
    """Days of `month` gone by on `today`, today included: all of a past month, none of a future one."""
    end = month_end(month)
    if today < month:
        return 0
    if today > end:
        return end.day
    return today.day


def forecast(actual: Decimal, elapsed: int, days: int) -> Decimal | None:
    """The month's end at the run rate: actual ÷ elapsed days × days in the month, rounded half-up
    to 0.01. A finished month's forecast is its actual; a month not begun has none."""
    if elapsed <= 0:
        return None
    if elapsed >= days:
        return actual
    return (actual * days / elapsed).quantize(CENT, rounding=ROUND_HALF_UP)


def completion(actual: Decimal, target: Decimal | None) -> Decimal | None:
    """actual ÷ target in percent, rounded half-up to 0.1; None without a positive target."""
    if target is None or target <= 0:
        return None
    return (actual * 100 / target).quantize(TENTH, rounding=ROUND_HALF_UP)


def month_progress(*, viewer: User, month: date, users: Sequence[User], team: Team | None,
                   today: date | None = None) -> MonthProgress:
    """Target, actual so far, completion and forecast of every registered metric for `users` (whom the
    caller checked `viewer` may see) and, with `team`, for the team (actual = the sum over `users`,
    the team's current members). One aggregate query per metric for all users, one for the targets."""
    month = month_start(month)
    end = month_end(month)
    today = today or business_today()
    elapsed, days = elapsed_days(month, today), end.day
    ids = [u.pk for u in users]
    metrics = reg.metrics()
    actuals = {m.key: m.actual(ids, month, end) for m in metrics}
    targets: dict[tuple[str, int | None, int | None], Decimal] = {
        (t.metric, t.user_id, t.team_id): t.value
        for t in Target.objects.filter(Q(user_id__in=ids) | Q(team=team), month=month)
        .only("metric", "user_id", "team_id", "value")
    }

    def cells(user_id: int | None, team_id: int | None, actual_of: dict[str, Decimal]) -> list[Progress]:
        out = []
        for m in metrics:
            actual = Decimal(actual_of[m.key] or 0)
            target = targets.get((m.key, user_id, team_id))
            out.append(Progress(metric=m, target=target, actual=actual, completion=completion(actual, target),
                                forecast=forecast(actual, elapsed, days)))
        return out

    rows = []
    if team is not None:
        totals = {m.key: sum((Decimal(actuals[m.key].get(i, 0)) for i in ids), ZERO) for m in metrics}
        rows.append(ProgressRow(label=str(team), user=None, team=team, cells=cells(None, team.pk, totals)))
    for u in users:
        rows.append(ProgressRow(label=u.get_full_name() or u.username, user=u, team=None,
                                cells=cells(u.pk, None, {m.key: actuals[m.key].get(u.pk, ZERO) for m in metrics})))
    return MonthProgress(month=month, elapsed_days=elapsed, days=days, rows=rows)
