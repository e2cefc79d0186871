"""The churn part's registrations: the menu entry and the nightly refresh of the churn figures."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from core import registry
    from core.navigation import NavItem, add_item
    from core.periodic import PeriodicJob

    # After the segments (02:00; the worker runs tasks in the order they were enqueued), so that the segment before
    # a loss recorded tonight is last night's, and before the scores (03:00).
    registry.add("periodic_jobs", PeriodicJob(name="churn_refresh", task="retention.tasks_churn.churn_refresh_task",
                                              hour=2, minute=30))
    add_item(NavItem("churn", _("Churn"), "retention:churn", order=62, current_url_names=frozenset({"churn"})))
