"""What interactions contribute to the salesperson's plan (work/plan_registry.py's contracts): each
interaction a staff member recorded as a daily log entry (a contact with its customer: it ticks the
customer off a weekly plan), and visits and calls as plan metrics — interactions by channel, by
their staff member, dated by when they happened."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interactions.choices import InteractionChannel
from interactions.models import Interaction
from work import plan_registry as reg


def interaction_entries(*, user_ids: Sequence[int], start: date, end: date) -> list[reg.LogEntry]:
    low, high = reg.period_bounds(start, end)
    rows = (Interaction.objects.filter(staff_id__in=user_ids, occurred_at__gte=low, occurred_at__lt=high,
                                       deleted_at__isnull=True, customer__deleted_at__isnull=True)
            .values_list("pk", "staff_id", "occurred_at", "customer_id", "customer__name", "channel", "subject"))
    return [reg.LogEntry(user_id=uid, at=at, kind="interaction", customer_id=cid, contact=True,
                         label=_("%(channel)s with %(customer)s: %(subject)s") % {
                             "channel": InteractionChannel(channel).label, "customer": name, "subject": subject},
                         url=reverse("interactions:interaction_detail", args=[pk]))
            for pk, uid, at, cid, name, channel, subject in rows]


def _by_channel(key: str, channel: str, label: object, order: int) -> reg.PlanMetric:
    def actual(user_ids: Sequence[int], start: date, end: date) -> dict[int, Decimal]:
        low, high = reg.period_bounds(start, end)
        rows = (Interaction.objects
                .filter(staff_id__in=user_ids, channel=channel, occurred_at__gte=low, occurred_at__lt=high,
                        deleted_at__isnull=True)
                .order_by().values("staff_id").annotate(n=Count("pk")).values_list("staff_id", "n"))
        return {uid: Decimal(n) for uid, n in rows}

    return reg.PlanMetric(key=key, label=label, unit=reg.COUNT, actual=actual, order=order)


def register() -> None:
    reg.add_log_source("interaction", gettext_lazy("Interactions"), interaction_entries)
    reg.add_metric(_by_channel("visits", InteractionChannel.VISIT, gettext_lazy("Visits"), 50))
    reg.add_metric(_by_channel("calls", InteractionChannel.PHONE, gettext_lazy("Calls"), 60))
