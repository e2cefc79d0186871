"""The SLA part's registrations: the agreements panel on the card, the menu entries, the renewal
reminder (event and morning job) and the demo's agreements."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# The administrators' calendar, holiday and policy pages are under the agreements' entry (the menu is
# crowded; they are opened a few times a year): the list links to them for administrators.
AGREEMENT_PAGES = frozenset({"agreement_list", "agreement_detail", "agreement_add", "agreement_edit",
                             "agreement_delete", "sla_calendar", "sla_policies", "holiday_list"})
_EVENTS = "service/sla/events/"


def register() -> None:
    from accounts.roles import Cap
    from core import navigation, registry
    from core.periodic import PeriodicJob
    from service import demo_sla, selectors_sla
    from service.services_sla import RENEWAL_EVENT
    from work.events import EMAIL, INAPP, register_event

    registry.add("card_panels", selectors_sla.card_panels)
    registry.add("demo_generators", demo_sla.generate)
    # Context: {"agreement": {"label", "level", "ends_on", "days_left"}} (service.services_sla.remind_renewals).
    register_event(RENEWAL_EVENT, _("Service agreements to renew"), default_channels=(INAPP, EMAIL),
                   subject_template=f"{_EVENTS}agreement_renewal_subject.txt",
                   text_template=f"{_EVENTS}agreement_renewal.txt", html_template=f"{_EVENTS}agreement_renewal.html",
                   summary_template=f"{_EVENTS}agreement_renewal_summary.txt")
    registry.add("periodic_jobs", PeriodicJob(name="agreement_renewals", task="service.tasks_sla.remind_renewals_task",
                                              hour=7, minute=10))
    navigation.add_flag("sla_admin", lambda user: user.can(Cap.MANAGE_USERS))
    navigation.add_item(navigation.NavItem("agreements", _("Agreements"), "service:agreement_list", order=58,
                                           current_url_names=AGREEMENT_PAGES, parent="service_desk"))
