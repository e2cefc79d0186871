"""The plan's registrations (营销过程管理): the menu entry, the new-customers metric (customers sit
below work, so work measures them itself) and the demo targets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext_lazy as _


def new_customers(user_ids: Sequence[int], start: date, end: date) -> dict[int, Decimal]:
    """Customers each user owns that were created in the days (deleted ones not counted)."""
    from customers.models import Customer
    from work.plan_registry import period_bounds

    low, high = period_bounds(start, end)
    rows = (Customer.objects.filter(owner_id__in=user_ids, created_at__gte=low, created_at__lt=high,
                                    deleted_at__isnull=True)
            .order_by().values("owner_id").annotate(n=Count("pk")).values_list("owner_id", "n"))
    return {uid: Decimal(n) for uid, n in rows}


def register() -> None:
    from core import registry
    from core.navigation import NavItem, add_item
    from work import demo_plans
    from work.plan_registry import COUNT, PlanMetric, add_metric

    add_metric(PlanMetric(key="new_customers", label=_("New customers"), unit=COUNT, actual=new_customers,
                          order=30))
    add_item(NavItem("plans", _("Plan"), "work:plan_month", order=65,
                     current_url_names=frozenset({"plan_month", "plan_day", "plan_week"})))
    registry.add("demo_generators", demo_plans.generate)
