"""The calendar part's registrations: its menu entry and its demo generator."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CALENDAR_PAGES = frozenset({
    "calendar_week", "calendar_day", "calendar_month", "calendar_team", "calendar_feed_settings",
    "appointment_add", "appointment_detail", "appointment_edit", "appointment_delete",
})


def register() -> None:
    from core import registry
    from core.navigation import NavItem, add_item
    from work import demo_calendar, plan_registry, selectors_calendar

    registry.add("demo_generators", demo_calendar.generate)
    plan_registry.add_log_source("appointment", _("Appointments"), selectors_calendar.appointment_log_entries)

    add_item(NavItem("calendar", _("Calendar"), "work:calendar_week", order=36, current_url_names=CALENDAR_PAGES))
