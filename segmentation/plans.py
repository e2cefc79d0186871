"""What segmentation contributes to the salesperson's plan (work/plan_registry.py's contracts): the
state changes of a salesperson's customers in a week — lifecycle transitions and assignments to a
class of a manual scheme — and won-back customers as a plan metric (lifecycle transitions with the
cause `won_back`, docs/segmentation.md, counted for the customer's owner, dated by the transition)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from segmentation.choices import LifecycleStage
from segmentation.models import LifecycleTransition, SchemeAssignment
from segmentation.refresh import CAUSE_LABELS, CAUSE_WON_BACK
from work import plan_registry as reg


def _stage(value: str) -> str:
    return str(LifecycleStage(value).label) if value else "—"


def state_changes(*, owner_ids: Sequence[int], start: date, end: date) -> list[reg.StateChange]:
    out = [
        reg.StateChange(customer_id=cid, owner_id=owner, on=on, what=_(
            "Lifecycle stage: %(from)s → %(to)s (%(cause)s)") % {
                "from": _stage(from_stage), "to": _stage(to_stage), "cause": CAUSE_LABELS.get(cause, cause)})
        for cid, owner, on, from_stage, to_stage, cause in LifecycleTransition.objects.filter(
            customer__owner_id__in=owner_ids, customer__deleted_at__isnull=True, on__gte=start, on__lte=end)
        .values_list("customer_id", "customer__owner_id", "on", "from_stage", "to_stage", "cause")
    ]
    low, high = reg.period_bounds(start, end)
    zone = reg.business_zone()
    out += [
        reg.StateChange(customer_id=cid, owner_id=owner, on=at.astimezone(zone).date(), what=_(
            "%(scheme)s: now “%(class)s”") % {"scheme": scheme, "class": klass})
        for cid, owner, at, scheme, klass in SchemeAssignment.objects.filter(
            customer__owner_id__in=owner_ids, customer__deleted_at__isnull=True, assigned_at__gte=low,
            assigned_at__lt=high)
        .values_list("customer_id", "customer__owner_id", "assigned_at", "scheme__name", "scheme_class__name")
    ]
    return out


def won_back(user_ids: Sequence[int], start: date, end: date) -> dict[int, Decimal]:
    rows = (LifecycleTransition.objects
            .filter(customer__owner_id__in=user_ids, customer__deleted_at__isnull=True, cause=CAUSE_WON_BACK,
                    on__gte=start, on__lte=end)
            .order_by().values("customer__owner_id").annotate(n=Count("customer_id", distinct=True))
            .values_list("customer__owner_id", "n"))
    return {uid: Decimal(n) for uid, n in rows}


def register() -> None:
    reg.add_state_changes("segmentation", state_changes)
    reg.add_metric(reg.PlanMetric(key="won_back", label=gettext_lazy("Won-back customers"), unit=reg.COUNT,
                                  actual=won_back, order=40))
