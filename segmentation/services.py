"""Writes of the segmentation app: the refresh of the computed schemes, and lifecycle marks.

- `segments_refresh()` recomputes ABC, RFM, lifecycle, loyalty and the value matrix for every
  customer, set-based (segmentation/refresh.py), then the user-defined rule schemes.
- `lifecycle_mark()` / `lifecycle_mark_clear()`: a user marks a customer target, non-customer or
  churned (with the reason), or clears the mark. Each is keyword-only, scoped to customers the actor
  may change, validated, audited and one transaction. The stage follows at the next refresh.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import ChangeAction
from audit.services import change_record
from core.services import get_scoped
from customers.models import Customer
from segmentation.choices import ChurnReason, LifecycleMarkKind
from segmentation.models import LifecycleMark
from segmentation.refresh import RefreshResult, business_today, compute

logger = logging.getLogger(__name__)

__all__ = ["RefreshResult", "lifecycle_mark", "lifecycle_mark_clear", "segments_refresh"]


def segments_refresh(*, as_of: date | None = None, progress: Callable[[str], None] | None = None) -> RefreshResult:
    """Recompute every computed scheme as of `as_of` (default: today in the business time zone) for
    every non-deleted customer, record the lifecycle transitions, then evaluate the rule schemes.
    Idempotent: a second run with the same data and day changes nothing and records no transition."""
    as_of = as_of or business_today()
    result = compute(as_of=as_of, progress=progress)
    # User-defined rule schemes read the classes just written, so they run after (own transaction).
    if importlib.util.find_spec("segmentation.rules") is not None:
        from segmentation import rules

        refresh_rules = getattr(rules, "rule_schemes_refresh", None)
        if refresh_rules is not None:
            if progress:
                progress("rule schemes")
            started = time.perf_counter()
            result.rule_schemes = refresh_rules(refreshed_at=timezone.now())
            result.phases["rule schemes"] = round(time.perf_counter() - started, 3)
    logger.info("segments refreshed as of %s: %s customers, %s transitions in %.1f s", as_of, result.customers,
                result.transitions, result.seconds)
    return result


def _check_day(day: date, field: str) -> None:
    if not isinstance(day, date):
        raise ValidationError({field: _("Enter a valid date.")})
    if day > business_today():
        raise ValidationError({field: _("The date cannot be in the future.")})


def _current_mark(customer_id: int) -> LifecycleMark | None:
    return (LifecycleMark.objects.select_for_update().filter(customer_id=customer_id, cleared_on__isnull=True)
            .order_by("-marked_on", "-id").first())


@transaction.atomic
def lifecycle_mark(
    *, actor: User, customer_id: int, kind: str, marked_on: date, churn_reason: str = "", note: str = "",
) -> LifecycleMark:
    """Mark a customer target, non-customer or churned (churn needs a reason) as of `marked_on`.
    The previous mark, if any, is cleared on that day: a customer has at most one mark in force.
    Target and non-customer apply to customers without a completed order; churned to customers who
    bought (docs/segmentation.md)."""
    customer = get_scoped(Customer.objects.select_for_update(), actor, "change", customer_id)
    if kind not in LifecycleMarkKind.values:
        raise ValidationError({"kind": _("Choose a valid mark.")})
    _check_day(marked_on, "marked_on")
    churn_reason = (churn_reason or "").strip()
    if kind == LifecycleMarkKind.CHURNED:
        if not churn_reason:
            raise ValidationError({"churn_reason": _("Give the reason the customer left.")})
        if churn_reason not in ChurnReason.values:
            raise ValidationError({"churn_reason": _("Choose a valid reason.")})
    elif churn_reason:
        raise ValidationError({"churn_reason": _("A reason is given only when a customer churned.")})
    previous = _current_mark(customer.pk)
    if previous is not None:
        if marked_on < previous.marked_on:
            raise ValidationError({"marked_on": _(
                "The customer has a mark from %(day)s; a new mark cannot be dated earlier.") % {
                "day": previous.marked_on.isoformat()}})
        previous.cleared_on = marked_on
        previous.save(update_fields=["cleared_on"])
    mark = LifecycleMark.objects.create(customer=customer, kind=kind, marked_on=marked_on, churn_reason=churn_reason,
                                        note=(note or "").strip(), marked_by=actor)
    changes = {"lifecycle_mark": [previous.kind if previous else None, kind], "marked_on": [None, str(marked_on)]}
    if churn_reason:
        changes["churn_reason"] = [None, churn_reason]
    change_record(user=actor, instance=mark, action=ChangeAction.CREATE, customer_id=customer.pk, changes=changes,
                  note=mark.note)
    return mark


@transaction.atomic
def lifecycle_mark_clear(*, actor: User, customer_id: int, cleared_on: date) -> LifecycleMark:
    """Clear the customer's mark in force from `cleared_on`; the computed stage applies again."""
    customer = get_scoped(Customer.objects.select_for_update(), actor, "change", customer_id)
    _check_day(cleared_on, "cleared_on")
    mark = _current_mark(customer.pk)
    if mark is None:
        raise ValidationError(_("The customer has no lifecycle mark to clear."))
    if cleared_on < mark.marked_on:
        raise ValidationError({"cleared_on": _("A mark cannot be cleared before the day it was set (%(day)s).") % {
            "day": mark.marked_on.isoformat()}})
    mark.cleared_on = cleared_on
    mark.save(update_fields=["cleared_on"])
    change_record(user=actor, instance=mark, action=ChangeAction.UPDATE, customer_id=customer.pk,
                  changes={"cleared_on": [None, str(cleared_on)]})
    return mark
