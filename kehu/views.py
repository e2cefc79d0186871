"""Project-level pages that draw on several apps: the home dashboard."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import User
from accounts.roles import Cap
from audit.presentation import present_changes
from audit.selectors import recent_changes
from core.home import home_panels
from customers.choices import RiskPreference
from customers.models import Customer
from customers.selectors import customers_stale, customers_visible
from work.selectors_tasks import tasks_open_for

RECENT_CHANGES = 10
STALE_SHOWN = 10
FOLLOW_UPS_SHOWN = 20


def _counts(user: User) -> dict[str, int]:
    """How many customers the user owns, how many they can see and how many stale cards they answer
    for (their team's when they lead one, else their own: customers_stale), in one query."""
    mine = Q(owner_id=user.pk)
    stale = Customer.stale_q() if user.leads_team else Customer.stale_q() & mine
    return customers_visible(user).aggregate(
        mine=Count("pk", filter=mine), visible=Count("pk"), stale=Count("pk", filter=stale)
    )


def _risk_chart(user: User) -> dict[str, Any]:
    """The user's visible customers by risk preference, counted in SQL, for the ECharts bar chart."""
    grouped = customers_visible(user).order_by().values("risk_preference").annotate(n=Count("pk"))
    rows = {row["risk_preference"]: row["n"] for row in grouped}
    labels = [str(label) for label in RiskPreference.labels]
    values = [rows.get(value, 0) for value in RiskPreference.values]
    unset = sum(n for value, n in rows.items() if value not in RiskPreference.values)
    if unset:
        labels.append(_("Not set"))
        values.append(unset)
    return {"labels": labels, "values": values, "series": _("Customers")}


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The logged-in user's dashboard: their customers, stale cards (their team's for those who lead
    one), recent changes, one chart."""
    user = request.user
    context = {
        "counts": _counts(user),
        "sees_all": user.sees_all_customers,
        "leads_team": user.leads_team,
        "stale": list(customers_stale(user=user, limit=STALE_SHOWN)),
        "can_verify": user.can(Cap.CHANGE),
        # Which fields changed, not their values (labels only: no names to read, nothing to mask).
        "changes": present_changes(recent_changes(user=user, limit=RECENT_CHANGES), reader=user, values=False),
        "stale_days": settings.KEHU_STALE_AFTER_DAYS,
        # Open tasks assigned to the user (the interactions' follow-ups among them), earliest due first.
        "follow_ups": tasks_open_for(user=user, limit=FOLLOW_UPS_SHOWN),
        # Panels of the apps above (reviews due …: core.home).
        "home_panels": home_panels(user),
    }
    chart = _risk_chart(user)
    context["risk_chart"] = chart
    context["risk_rows"] = list(zip(chart["labels"], chart["values"], strict=True))
    return render(request, "home.html", context)
