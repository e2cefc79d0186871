"""The SLA part's readers: agreements in the user's scope (lists, card panel, API, export), the working
calendar, holidays and policies (administrators' pages)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.pagination import KeysetPage, keyset_page
from core.timeline import CardPanel
from customers.models import Customer
from service.models import Holiday, ServiceAgreement, SlaPolicy
from service.models.sla import LEVELS, AgreementStatus
from service.services_sla import calendar_row

CARD_AGREEMENTS = 5


def status_q(status: str, today: date, notice_days: int) -> Q:
    """Agreements whose status (AgreementStatus) is `status` on `today` (see ServiceAgreement.status_on)."""
    soon = today + timedelta(days=notice_days)
    in_force = Q(starts_on__lte=today, ends_on__gte=today)
    by_status: dict[str, Q] = {
        AgreementStatus.UPCOMING: Q(starts_on__gt=today),
        AgreementStatus.ACTIVE: in_force & Q(ends_on__gte=soon),
        AgreementStatus.EXPIRING: in_force & Q(ends_on__lt=soon),
        AgreementStatus.EXPIRED: Q(ends_on__lt=today),
    }
    return by_status.get(status, Q())


def agreements_filtered(user: User, filters: Mapping[str, Any]) -> QuerySet[ServiceAgreement]:
    qs = ServiceAgreement.objects.restrict(user, "view").filter(deleted_at__isnull=True)
    if filters.get("customer"):
        qs = qs.filter(customer_id=filters["customer"])
    if filters.get("level"):
        qs = qs.filter(level=filters["level"])
    if filters.get("status"):
        qs = qs.filter(status_q(filters["status"], timezone.localdate(), calendar_row().renewal_notice_days))
    if filters.get("ends_before"):
        qs = qs.filter(ends_on__lte=filters["ends_before"])
    return qs


def ordering_for(status: str | None) -> list[str]:
    # Expired ones: the latest first (those that just lapsed matter); others: the next to end first.
    return ["-ends_on", "-id"] if status == AgreementStatus.EXPIRED else ["ends_on", "id"]


def agreement_list(*, user: User, filters: Mapping[str, Any], cursor: str | None = None,
                   size: int = 50, with_documents: bool = False) -> KeysetPage:
    qs = agreements_filtered(user, filters).select_related("customer", "customer__owner")
    if with_documents:
        qs = qs.prefetch_related("documents")
    page = keyset_page(qs, ordering=ordering_for(filters.get("status")), cursor=cursor, size=size)
    with_status(page.items)
    return page


def with_status(agreements: list[ServiceAgreement], today: date | None = None) -> list[ServiceAgreement]:
    """Set `status` and `status_label` on each (one query for the notice period)."""
    today = today or timezone.localdate()
    notice = calendar_row().renewal_notice_days
    for agreement in agreements:
        agreement.status = agreement.status_on(today, notice)  # type: ignore[attr-defined]
        agreement.status_label = AgreementStatus(agreement.status).label  # type: ignore[attr-defined]
    return agreements


def agreement_read(user: User, pk: int) -> ServiceAgreement:
    """One agreement in the user's view scope, with its customer and documents (DoesNotExist otherwise)."""
    agreement = (ServiceAgreement.objects.restrict(user, "view").filter(deleted_at__isnull=True)
                 .select_related("customer", "customer__owner", "created_by")
                 .prefetch_related("documents").get(pk=pk))
    with_status([agreement])
    return agreement


def live_documents(agreement: ServiceAgreement) -> list[Any]:
    return [d for d in agreement.documents.all() if d.deleted_at is None]


def card_panels(user: User, customer_id: int) -> list[CardPanel]:
    """The card's "Service agreements" panel: the latest agreements, each with its status."""
    if not Customer.objects.restrict(user, "view").filter(pk=customer_id).exists():
        return []
    can_change = Customer.objects.restrict(user, "change").filter(pk=customer_id).exists()
    agreements = list(ServiceAgreement.objects.restrict(user, "view")
                      .filter(customer_id=customer_id, deleted_at__isnull=True)
                      .order_by("-ends_on", "-id")[:CARD_AGREEMENTS])
    with_status(agreements)
    return [CardPanel(key="service_agreements", title=str(_("Service agreements")),
                      template="service/sla/card_panel.html",
                      context={"agreements": agreements, "can_change": can_change})]


def holiday_list(year: int | None = None) -> list[Holiday]:
    qs = Holiday.objects.all()
    if year:
        qs = qs.filter(date__year=year)
    return list(qs.order_by("date"))


def holiday_years() -> list[int]:
    return sorted({d.year for d in Holiday.objects.values_list("date", flat=True)}, reverse=True)


def policy_table() -> list[SlaPolicy]:
    """Every (subject, level), most severe first, with its stored times (unsaved defaults where missing)."""
    from service.sla import DEFAULT_MINUTES

    stored = {(p.subject, p.level): p for p in SlaPolicy.objects.all()}
    rows = []
    for subject, levels in LEVELS.items():
        for level in reversed(levels.values):
            policy = stored.get((subject, level))
            if policy is None:
                ack, res = DEFAULT_MINUTES[subject][level]
                policy = SlaPolicy(subject=subject, level=level, acknowledge_minutes=ack, resolve_minutes=res)
            rows.append(policy)
    return rows
