"""The complaints part's registrations: menu, card and timeline, home panels, list badges, events,
the anticipation sources, the SLA job, the importer and the demo."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

_EVENTS = "service/complaints/events/"

DESK_PAGES = frozenset({"desk", "complaint_add", "complaint_detail", "complaint_edit", "complaint_delete",
                        "complaints_analysis", "compensation_limits"})


def register() -> None:
    from core import registry
    from core.navigation import NavItem, add_item
    from core.periodic import PeriodicJob
    from dataio.importers import register_importer
    from service import demo_complaints, selectors_complaints
    from service.anticipation import FailureSource, register_failure_source
    from work.events import EMAIL, INAPP, register_event

    registry.add("timeline_providers", selectors_complaints.complaint_timeline)
    registry.add("timeline_actions", selectors_complaints.timeline_actions)
    registry.add("record_actions", selectors_complaints.record_actions)
    registry.add("card_panels", selectors_complaints.card_panels)
    registry.add("home_panels", selectors_complaints.home_panels)
    registry.add("customer_badges", selectors_complaints.customer_badges)
    registry.add("demo_generators", demo_complaints.generate)
    registry.add("work_record_urls", ("service.complaint", "service:complaint_detail"))
    register_failure_source(FailureSource(key="complaint", label=_("Open or recent complaint"),
                                          customers=selectors_complaints.recent_complaint_customers))
    register_failure_source(FailureSource(key="order", label=_("Cancelled or refunded order"),
                                          customers=selectors_complaints.failed_order_customers))
    # Context: {"item": {"title", "clock", "severity", "due"}} (SLA) or {"item": {"title", "amount"},
    # "actor": {"name"}, "decision", "note"} (compensation); see services_complaints.
    for name, label, channels in (
        ("complaint_sla_warning", _("Complaint SLA soon due"), (INAPP,)),
        ("complaint_sla_breach", _("Complaint SLA breached (escalation)"), (INAPP, EMAIL)),
        ("compensation_requested", _("Compensation to approve"), (INAPP, EMAIL)),
        ("compensation_decided", _("Compensation decided"), (INAPP,)),
    ):
        register_event(f"service.{name}", label, default_channels=channels,
                       subject_template=f"{_EVENTS}{name}_subject.txt", text_template=f"{_EVENTS}{name}.txt",
                       html_template=f"{_EVENTS}{name}.html", summary_template=f"{_EVENTS}{name}_summary.txt")
    registry.add("periodic_jobs", PeriodicJob(name="complaints_nightly",
                                              task="service.tasks_complaints.complaint_nightly_task",
                                              hour=4, minute=10))
    register_importer(kind="complaints", app="service", path="service.import_complaints.ComplaintImporter")
    add_item(NavItem("service_desk", _("Service desk"), "service:desk", order=40, current_url_names=DESK_PAGES))
