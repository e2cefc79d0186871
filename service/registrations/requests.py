"""The requests part's registrations: menu entry, notification events, SLA checks, anticipation source,
the card's timeline and action, the importer and the demo's requests."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

_EVENTS = "service/requests/events/"

# The SLA checks run every hour (core.periodic enqueues a job once a day at its time, so one job per
# hour); each request's warning and breach are also handed to the worker for their own time when it is
# saved (service.services_requests._schedule_sla). sla_check sends each notification once.
SLA_CHECK_HOURS = range(8, 21)  # a catch-up sweep each working hour; each request is also checked at its own times


def register() -> None:
    from accounts.roles import Cap
    from core import registry
    from core.navigation import NavItem, add_flag, add_item
    from core.periodic import PeriodicJob
    from dataio.importers import register_importer
    from service import demo_requests, selectors_requests
    from service.anticipation import FailureSource, register_failure_source
    from work.events import EMAIL, INAPP, register_event

    add_flag("service_requests", lambda user: user.is_active)
    add_flag("service_dispatch", lambda user: user.can(Cap.CHANGE))
    add_item(NavItem("service_requests", _("Service requests"), "service:request_board", order=62,
                     current_url_names=frozenset({"request_board", "request_board_column", "request_list",
                                                  "request_add", "request_detail", "request_edit",
                                                  "request_reports", "request_assign", "request_status",
                                                  "request_customer_pick", "request_export"}), parent="service_desk"))
    # The assignment reads like a task's (the work app's templates: item.title, item.due, actor.name).
    register_event("service.request_assigned", _("Service requests assigned to me"), default_channels=(INAPP, EMAIL),
                   subject_template="work/notifications/events/assignment_subject.txt",
                   text_template="work/notifications/events/assignment.txt",
                   html_template="work/notifications/events/assignment.html",
                   summary_template="work/notifications/events/assignment_summary.txt")
    for name, label in (("sla_warning", _("Service request about to breach its SLA")),
                        ("sla_breached", _("Service request past its SLA"))):
        register_event(f"service.request_{name}", label, default_channels=(INAPP, EMAIL),
                       subject_template=f"{_EVENTS}{name}_subject.txt", text_template=f"{_EVENTS}{name}.txt",
                       html_template=f"{_EVENTS}{name}.html", summary_template=f"{_EVENTS}{name}_summary.txt")
    for hour in SLA_CHECK_HOURS:
        registry.add("periodic_jobs", PeriodicJob(name=f"request_sla_{hour:02d}",
                                                  task="service.tasks_requests.request_sla_check_task", hour=hour,
                                                  minute=5))
    register_failure_source(FailureSource(key="overdue_service_request", label=_("overdue service request"),
                                          customers=selectors_requests.overdue_customers))
    registry.add("timeline_providers", selectors_requests.request_timeline)
    registry.add("timeline_actions", selectors_requests.timeline_actions)
    registry.add("work_record_urls", ("service.servicerequest", "service:request_detail"))
    register_importer("requests", app="service", path="service.importers_requests.RequestImporter")
    registry.add("demo_generators", demo_requests.generate)
