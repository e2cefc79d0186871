"""The notifications part of the work app: its events, the outbox sweep, the user's bell."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.roles import Cap
from core import navigation, registry
from core.periodic import PeriodicJob
from work.events import EMAIL, INAPP, register_event

_EVENTS = "work/notifications/events/"


def _register_work_event(name: str, label: object, channels: tuple[str, ...]) -> None:
    register_event(f"work.{name}", label, default_channels=channels,
                   subject_template=f"{_EVENTS}{name}_subject.txt", text_template=f"{_EVENTS}{name}.txt",
                   html_template=f"{_EVENTS}{name}.html", summary_template=f"{_EVENTS}{name}_summary.txt")


def register() -> None:
    # Context of work.assignment and work.reminder: {"item": {"title", "due"}, "actor": {"name"}};
    # of work.mention: {"actor": {"name"}, "excerpt", "item": {"title"}} (docs/notifications.md).
    _register_work_event("assignment", _("Assigned to me"), (INAPP, EMAIL))
    _register_work_event("reminder", _("Reminders"), (INAPP, EMAIL))
    # Of work.invitation: {"item": {"title", "when", "location"}, "actor": {"name"}} (the calendar part).
    _register_work_event("invitation", _("Invitations to appointments"), (INAPP, EMAIL))
    _register_work_event("mention", _("Mentions"), (INAPP,))
    from work import demo_notifications

    registry.add("demo_generators", demo_notifications.generate)
    registry.add("periodic_jobs", PeriodicJob(name="outbox_sweep", task="work.notification_tasks.outbox_sweep_task",
                                              hour=3, minute=30))
    # The outbox is linked from the notifications page (the bell), not from the crowded main menu.
    navigation.add_flag("outbox", lambda user: user.can(Cap.MANAGE_USERS))
