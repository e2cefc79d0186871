"""Writes of the plan (营销过程管理): a daily log's notes, a weekly plan's customers, monthly targets.

Rules (docs/plans.md): a user writes only their own log, and only today's or yesterday's (in the
business time zone; yesterday's is recorded as a correction); targets are set by managers for their
team and its members and by administrators for everyone; a weekly plan holds customers its owner may
see. Bad input raises ValidationError in the user's language; a user or record outside the actor's
reach raises ObjectDoesNotExist, as for one that does not exist.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import ChangeAction
from audit.services import change_record
from customers.models import Customer
from work import plan_registry as reg
from work import selectors_plans as sel
from work.models import DailyLog, PlanEntry, Target, WeeklyPlan

NOTES_MAX = 20_000
TARGET_MAX = Decimal("99999999999999.99")


def daily_log_save(*, actor: User, day: date, notes: str) -> DailyLog:
    """Write the actor's own notes for `day` (today or yesterday; older logs are locked)."""
    today = sel.business_today()
    if not sel.log_editable(day, today):
        if day > today:
            raise ValidationError(_("The log of %(day)s cannot be written yet: it is in the future.")
                                  % {"day": day.isoformat()})
        raise ValidationError(_("The log of %(day)s is locked: only today's and yesterday's logs can be "
                                "changed.") % {"day": day.isoformat()})
    notes = (notes or "").replace("\r\n", "\n").strip()
    if len(notes) > NOTES_MAX:
        raise ValidationError(_("The notes are too long (at most %(n)d characters).") % {"n": NOTES_MAX})
    with transaction.atomic():
        log, _created = DailyLog.objects.select_for_update().get_or_create(user=actor, day=day)
        before, log.notes = log.notes, notes
        if day < today:
            log.corrected_at = timezone.now()
        log.save()
        if day < today and before != notes:  # a correction of a past day stays traceable
            change_record(user=actor, instance=log, action=ChangeAction.UPDATE, changes={"notes": [before, notes]})
    return log


def _month(value: date) -> date:
    return sel.month_start(value)


def _value(value: object) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(sel.CENT)
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"value": _("Enter a number.")}) from exc
    if amount < 0 or amount > TARGET_MAX:
        raise ValidationError({"value": _("A target is a number from 0 to %(max)s.") % {"max": TARGET_MAX}})
    return amount


def _check_may_set(actor: User) -> None:
    if not sel.may_set_targets(actor):
        raise PermissionDenied(_("Only managers and administrators set targets."))


def target_set(*, actor: User, month: date, metric: str, value: object, user_id: int | None = None,
               team_id: int | None = None) -> Target:
    """Set (create or change) the target of one user or one team for one metric in one month."""
    _check_may_set(actor)
    if (user_id is None) == (team_id is None):
        raise ValidationError(_("A target is set for one person or for one team."))
    if reg.metric(metric) is None:
        raise ValidationError({"metric": _("“%(metric)s” is not a plan metric.") % {"metric": metric}})
    amount = _value(value)
    if user_id is not None and sel.plan_user(actor, user_id) is None:
        raise ObjectDoesNotExist(_("No such user."))
    if team_id is not None and not sel.plan_teams(actor).filter(pk=team_id).exists():
        raise ObjectDoesNotExist(_("No such team."))
    whose: dict[str, Any] = {"user_id": user_id, "team_id": team_id}
    with transaction.atomic():
        target, created = Target.objects.select_for_update().get_or_create(
            month=_month(month), metric=metric, **whose, defaults={"value": amount, "set_by": actor})
        if created:
            change_record(user=actor, instance=target, action=ChangeAction.CREATE,
                          changes={"value": [None, str(amount)]})
        else:
            _change_value(actor, target, amount)
    return target


def _change_value(actor: User, target: Target, amount: Decimal) -> None:
    before = target.value
    target.value, target.set_by = amount, actor
    target.save(update_fields=["value", "set_by", "updated_at"])
    if before != amount:
        change_record(user=actor, instance=target, action=ChangeAction.UPDATE,
                      changes={"value": [str(before), str(amount)]})


def target_update(*, actor: User, target_id: int, value: object) -> Target:
    _check_may_set(actor)
    with transaction.atomic():
        target = sel.targets_visible(actor).select_for_update().get(pk=target_id)
        _change_value(actor, target, _value(value))
    return target


def target_delete(*, actor: User, target_id: int) -> None:
    _check_may_set(actor)
    with transaction.atomic():
        target = sel.targets_visible(actor).get(pk=target_id)
        change_record(user=actor, instance=target, action=ChangeAction.DELETE,
                      changes={"value": [str(target.value), None]})
        target.delete()


def plan_entry_add(*, actor: User, week: date, customer_id: int, source: str = PlanEntry.Source.CHOSEN,
                   reason: str = "") -> PlanEntry:
    """Put a customer the actor may see on the actor's plan of the week starting on `week` (once)."""
    week = sel.week_start(week)
    if week < sel.week_start(sel.business_today()):
        raise ValidationError(_("A past week's plan cannot be changed."))
    if source not in PlanEntry.Source.values:
        raise ValidationError({"source": _("Unknown source.")})
    customer = Customer.objects.restrict(actor, "view").get(pk=customer_id)
    with transaction.atomic():
        plan, _created = WeeklyPlan.objects.get_or_create(user=actor, week=week)
        entry, _created = PlanEntry.objects.get_or_create(
            plan=plan, customer=customer, defaults={"source": source, "reason": reason[:200]})
    return entry


def plan_entry_remove(*, actor: User, week: date, customer_id: int) -> None:
    week = sel.week_start(week)
    if week < sel.week_start(sel.business_today()):
        raise ValidationError(_("A past week's plan cannot be changed."))
    deleted, _rows = PlanEntry.objects.restrict(actor, "view").filter(
        plan__user=actor, plan__week=week, customer_id=customer_id).delete()
    if not deleted:
        raise ObjectDoesNotExist(_("This customer is not on the plan."))
