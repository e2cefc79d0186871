"""The win-back part's contributions: menu entry, notification events, periodic jobs, timeline
providers and the card's "mark as lost" action, the home page's "reason unknown" count."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import registry
from core.navigation import NavItem, add_item
from core.periodic import PeriodicJob
from core.timeline import TimelineAction
from work.events import EMAIL, INAPP, register_event

_EVENTS = "retention/winback/events/"
PAGES = frozenset({"winback", "winback_campaign_new", "winback_campaign", "winback_unknown", "winback_mark_lost",
                   "winback_scripts", "winback_script_edit"})


def _event(key: str, name: str, label: Any) -> None:
    register_event(key, label, default_channels=(INAPP, EMAIL), subject_template=f"{_EVENTS}{name}_subject.txt",
                   text_template=f"{_EVENTS}{name}.txt", html_template=f"{_EVENTS}{name}.html",
                   summary_template=f"{_EVENTS}{name}_summary.txt")


def mark_lost_action(user: Any, customer_id: int, can_change: bool) -> list[TimelineAction]:
    """The card's link to mark the customer lost (no query)."""
    if not can_change:
        return []
    return [TimelineAction(label=_("Mark as lost"), url=reverse("retention:winback_mark_lost", args=[customer_id]))]


def reason_unknown_panel(user: Any) -> list[Any]:
    """The home page's count of the user's lost customers whose reason is not known (one query;
    core.home's contract)."""
    if not user.can("customer.change"):
        return []
    from core.home import HomePanel
    from retention.selectors_winback import reason_unknown_count

    count = reason_unknown_count(user)
    hint = _("Contact them and record why they left.") if count else _("Every loss has its reason.")
    return [HomePanel(key="reason-unknown", title=_("Lost, reason unknown"),
                      template="retention/winback/home_panel.html",
                      context={"count": count, "url": reverse("retention:winback_unknown"), "hint": hint}, order=60)]


def register() -> None:
    from retention.selectors_winback import attempt_timeline, loss_timeline

    # Context of retention.churn_digest: {"week", "count", "customers": [{"name", "risk", "rise", "url"}]};
    # of retention.team_churn: {"team", "start", "end", "this"/"previous": {"active", "lost", "percent"}}.
    _event("retention.churn_digest", "churn_digest", gettext_lazy("Weekly churn warning (my customers)"))
    _event("retention.team_churn", "team_churn", gettext_lazy("Weekly churn rate (my team)"))
    registry.add("periodic_jobs", PeriodicJob(name="winback_attribute",
                                              task="retention.tasks_winback.winback_attribute_task", hour=4))
    registry.add("periodic_jobs", PeriodicJob(name="churn_digest", task="retention.tasks_winback.churn_digest_task",
                                              hour=7))
    registry.add("timeline_providers", attempt_timeline)
    registry.add("timeline_providers", loss_timeline)
    registry.add("timeline_actions", mark_lost_action)
    registry.add("home_panels", reason_unknown_panel)
    add_item(NavItem("winback", gettext_lazy("Win-back"), "retention:winback", order=62,
                     current_url_names=PAGES, parent="churn"))
