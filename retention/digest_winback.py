"""The weekly churn digest (early warning, docs/retention.md "Weekly digest").

Insights keeps only each customer's current churn risk, so each week's digest first stores a
snapshot of the scores (ChurnRiskSnapshot, set-based INSERT … SELECT); "rose most" is this week's
risk minus the previous snapshot's, ranked per owner in SQL (a window function). Each owner is told
of their top customers; each team's manager of the team's churn rate last week against the week
before. A week's digest is sent once (WinbackDigestRun), whatever day the job first runs that week.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from customers.models import Customer
from retention.models import ChurnRiskSnapshot, WinbackDigestRun
from segmentation.choices import LifecycleStage
from segmentation.models import LifecycleTransition
from segmentation.refresh import business_today

TOP = 10
OWNER_EVENT = "retention.churn_digest"
MANAGER_EVENT = "retention.team_churn"
BUYING = (LifecycleStage.FIRST_TIME, LifecycleStage.REPEAT, LifecycleStage.LOYAL)


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def snapshot_store(week: date) -> None:
    """Copy every current churn risk into the week's snapshot (one INSERT … SELECT; a second call
    for the same week adds nothing)."""
    from insights.models import CustomerScore

    snap, score = ChurnRiskSnapshot._meta.db_table, CustomerScore._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {snap} (customer_id, week, churn_risk) "  # noqa: S608 - table names from the models
            f"SELECT customer_id, %s, churn_risk FROM {score} WHERE churn_risk IS NOT NULL "
            "ON CONFLICT (customer_id, week) DO NOTHING", [week])


def risers(week: date, *, top: int = TOP) -> list[dict[str, Any]]:
    """Per owner, the `top` customers whose churn risk rose most since the previous snapshot (rise >
    0), largest rise first. One query."""
    previous = (ChurnRiskSnapshot.objects.filter(week__lt=week).order_by("-week").values_list("week", flat=True)
                .first())
    if previous is None:
        return []
    before = ChurnRiskSnapshot.objects.filter(customer_id=OuterRef("customer_id"), week=previous).values("churn_risk")
    qs = (ChurnRiskSnapshot.objects.filter(week=week, customer__deleted_at__isnull=True,
                                           customer__owner__isnull=False)
          .annotate(before=Subquery(before[:1]))
          .filter(before__isnull=False)
          .annotate(rise=F("churn_risk") - F("before"))
          .filter(rise__gt=0)
          .annotate(rank=Window(RowNumber(), partition_by=[F("customer__owner_id")],
                                order_by=[F("rise").desc(), F("customer_id").asc()]))
          .filter(rank__lte=top)
          .values("customer_id", "customer__name", "customer__owner_id", "churn_risk", "before", "rise"))
    return sorted(qs, key=lambda r: (r["customer__owner_id"], -r["rise"], r["customer_id"]))


def team_churn(start: date, end: date) -> dict[int, dict[str, int]]:
    """Per team: customers active at `start` (their stage then a buying one: first-time, repeat,
    loyal) and those of them lost from `start` to `end` (a transition to lost). One query."""
    stage_then = (LifecycleTransition.objects.filter(customer_id=OuterRef("pk"), on__lt=start)
                  .order_by("-on", "-id").values("to_stage")[:1])
    lost = LifecycleTransition.objects.filter(customer_id=OuterRef("pk"), to_stage=LifecycleStage.LOST,
                                              on__gte=start, on__lte=end)
    rows = (Customer.objects.filter(deleted_at__isnull=True, team__isnull=False)
            .annotate(stage_then=Subquery(stage_then), was_lost=Exists(lost))
            .filter(stage_then__in=BUYING)
            .values("team_id")
            .annotate(active=Count("pk"), lost=Count("pk", filter=Q(was_lost=True)))
            .order_by())
    return {r["team_id"]: {"active": r["active"], "lost": r["lost"]} for r in rows}


def _rate(row: dict[str, int] | None) -> dict[str, Any]:
    row = row or {"active": 0, "lost": 0}
    share = (100.0 * row["lost"] / row["active"]) if row["active"] else None
    return {"active": row["active"], "lost": row["lost"], "percent": "–" if share is None else f"{share:.1f} %"}


def weekly_digest(*, today: date | None = None, top: int = TOP) -> dict[str, Any]:
    """Send this week's digest unless it was sent: snapshot the scores, tell each owner of their
    risers and each team manager of the team's churn rate. One transaction: a failure sends nothing
    and the next run tries again."""
    from accounts.models import Team
    from work.services_notifications import notify

    week = week_of(today or business_today())
    try:
        with transaction.atomic():
            run = WinbackDigestRun.objects.create(week=week)
            snapshot_store(week)
            by_owner: dict[int, list[dict[str, Any]]] = {}
            for row in risers(week, top=top):
                by_owner.setdefault(row["customer__owner_id"], []).append({
                    "name": row["customer__name"], "risk": round(100 * row["churn_risk"]),
                    "rise": round(100 * row["rise"]), "url": reverse("customers:customer_detail",
                                                                     args=[row["customer_id"]])})
            url = reverse("retention:winback")
            for owner_id, customers in by_owner.items():
                notify(recipients=[owner_id], event=OWNER_EVENT,
                       context={"week": week, "customers": customers, "count": len(customers), "url": url})
            this_start, prev_start = week - timedelta(days=7), week - timedelta(days=14)
            now_rates, prev_rates = team_churn(this_start, week - timedelta(days=1)), team_churn(
                prev_start, this_start - timedelta(days=1))
            managers = 0
            for team in Team.objects.filter(manager__isnull=False, manager__is_active=True).select_related("manager"):
                notify(recipients=[team.manager], event=MANAGER_EVENT, context={
                    "team": team.name, "start": this_start, "end": week - timedelta(days=1),
                    "this": _rate(now_rates.get(team.pk)), "previous": _rate(prev_rates.get(team.pk)), "url": url})
                managers += 1
            run.owners, run.managers = len(by_owner), managers
            run.save(update_fields=["owners", "managers"])
    except IntegrityError:
        return {"week": week, "sent": False}
    return {"week": week, "sent": True, "owners": run.owners, "managers": run.managers}
