"""Writes of the win-back part (docs/retention.md).

- `customer_mark_lost`: a user marks a customer lost with the reason class, free text and the
  competitor. The mark is segmentation's churn mark (`lifecycle_mark`); the LossRecord holds what the
  mark lacks. A customer waiting in the "reason unknown" queue (lost by the lifecycle rule, no reason)
  is classified the same way, but only with a contact: an interaction after the loss, chosen or
  recorded in the same step.
- `campaign_create` / `campaign_execute`: a campaign over lost customers (reason, value, time since
  the loss); the background job makes one attempt per customer and channel — a task for the owner
  (work.services_tasks.task_create) and/or an e-mail to the customer (work's outbox) with the script
  of the customer's reason class — and reports its progress on the campaign.
- `winback_attribute`: credits each win-back (segmentation's `won_back` transition) to the latest
  attempt sent on or before the purchase day and at most the attribution window earlier.
- `script_update`: administrators edit the scripts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Cap
from audit.models import ChangeAction
from audit.services import change_record
from core.services import get_scoped
from customers.models import Customer
from interactions.models import Interaction
from retention import selectors_winback as selectors
from retention.models import LossRecord, WinbackAttempt, WinbackCampaign, WinbackScript
from retention.models.winback import (
    UNKNOWN_REASON,
    AttemptChannel,
    AttemptOutcome,
    AttemptStatus,
    CampaignStatus,
    ValueBasis,
)
from segmentation.choices import ChurnReason, LifecycleMarkKind, LifecycleStage
from segmentation.models import LifecycleTransition
from segmentation.refresh import CAUSE_WON_BACK, business_today

logger = logging.getLogger(__name__)

DEFAULT_ATTRIBUTION_DAYS = 90
BATCH = 200


def attribution_days() -> int:
    """The attribution window (settings.KEHU_WINBACK_ATTRIBUTION_DAYS, default 90 days)."""
    return int(getattr(settings, "KEHU_WINBACK_ATTRIBUTION_DAYS", DEFAULT_ATTRIBUTION_DAYS))


# --- recording churn ----------------------------------------------------------------------------

CONTACT_FIELDS = ("channel", "direction", "subject", "content", "outcome")


def _contact_for(*, actor: Any, customer_id: int, lost_since: date | None, interaction_id: int | None,
                 contact: Mapping[str, Any] | None) -> Interaction:
    """The interaction through which the reason was learnt: an existing one of the customer's since
    the loss began, or one recorded now from `contact` (channel, subject, content, outcome)."""
    from interactions.services import interaction_create

    if interaction_id:
        found = (Interaction.objects.restrict(actor, "view")
                 .filter(pk=interaction_id, customer_id=customer_id).first())
        if found is None:
            raise ValidationError({"interaction": _("Choose one of this customer's interactions.")})
        if lost_since and timezone.localdate(found.occurred_at) < lost_since:
            raise ValidationError({"interaction": _(
                "Choose a contact made after the customer was lost (from %(day)s).") % {"day": lost_since.isoformat()}})
        return found
    if contact and (contact.get("subject") or "").strip():
        data = {k: v for k, v in contact.items() if k in CONTACT_FIELDS and v not in (None, "")}
        return interaction_create(actor=actor, customer_id=customer_id, data=data)
    raise ValidationError({"interaction": _(
        "Contact the customer before you classify the loss: record the call, visit or message that told you why.")})


@transaction.atomic
def customer_mark_lost(
    *, actor: Any, customer_id: int, reason: str, note: str = "", competitor: str = "",
    marked_on: date | None = None, interaction_id: int | None = None, contact: Mapping[str, Any] | None = None,
) -> LossRecord:
    """Mark the customer lost with a reason class (D9), free text and the competitor if known.

    A customer in the "reason unknown" queue is classified: the contact that told the reason is
    required (`interaction_id`, or `contact` to record it now), and the loss keeps the day it began.
    Otherwise the loss begins on `marked_on` (default today). Audited; one transaction."""
    from segmentation.services import lifecycle_mark

    customer = get_scoped(Customer.objects.select_for_update(), actor, "change", customer_id)
    competitor = (competitor or "").strip()
    if len(competitor) > 200:
        raise ValidationError({"competitor": _("The competitor's name is too long (at most 200 characters).")})
    if reason not in ChurnReason.values:
        raise ValidationError({"reason": _("Choose a valid reason.")})
    pending = selectors.in_reason_unknown(customer.pk, actor)
    interaction = None
    transition = None
    if pending is not None:
        interaction = _contact_for(actor=actor, customer_id=customer.pk, lost_since=pending.lost_since,
                                   interaction_id=interaction_id, contact=contact)
        transition = (LifecycleTransition.objects.filter(customer_id=customer.pk, to_stage=LifecycleStage.LOST)
                      .order_by("-on", "-id").first())
    elif interaction_id or (contact and (contact.get("subject") or "").strip()):
        interaction = _contact_for(actor=actor, customer_id=customer.pk, lost_since=None,
                                   interaction_id=interaction_id, contact=contact)
    day = marked_on or business_today()
    mark = lifecycle_mark(actor=actor, customer_id=customer.pk, kind=LifecycleMarkKind.CHURNED, marked_on=day,
                          churn_reason=reason, note=note)
    loss = LossRecord.objects.create(
        customer=customer, mark=mark, transition=transition,
        lost_on=pending.lost_since if pending is not None and pending.lost_since else day,
        competitor=competitor, interaction=interaction, recorded_by=actor)
    changes: dict[str, Any] = {"reason": [None, reason], "lost_on": [None, str(loss.lost_on)]}
    if competitor:
        changes["competitor"] = [None, competitor]
    if interaction is not None:
        changes["interaction"] = [None, interaction.pk]
    change_record(user=actor, instance=loss, action=ChangeAction.CREATE, customer_id=customer.pk, changes=changes,
                  note=_("reason learnt by contact") if pending is not None else "")
    return loss


# --- scripts ------------------------------------------------------------------------------------

_MERGE_FIELD = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def render_script(text: str, values: Mapping[str, str]) -> str:
    """The script with its merge fields ({{ customer }}, {{ owner }}) filled in; unknown ones stay."""
    return _MERGE_FIELD.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def script_for(scripts: Mapping[str, WinbackScript], reason: str) -> WinbackScript | None:
    return scripts.get(reason) or scripts.get(ChurnReason.OTHER.value)


def may_edit_scripts(user: Any) -> bool:
    return user.can(Cap.MANAGE_USERS)


@transaction.atomic
def script_update(*, actor: Any, reason: str, data: Mapping[str, str]) -> WinbackScript:
    """Administrators edit a reason class's script (both languages). Audited."""
    if not may_edit_scripts(actor):
        raise PermissionDenied(_("Only administrators may edit the win-back scripts."))
    script = WinbackScript.objects.select_for_update().get(reason=reason)
    fields = ["subject_zh", "subject_en", "body_zh", "body_en"]
    before = {f: getattr(script, f) for f in fields}
    for f in fields:
        if f in data:
            setattr(script, f, (data[f] or "").strip())
    script.updated_by = actor
    script.full_clean()
    script.save()
    changes = {f: [before[f], getattr(script, f)] for f in fields if before[f] != getattr(script, f)}
    if changes:
        change_record(user=actor, instance=script, action=ChangeAction.UPDATE, changes=changes)
    return script


# --- campaigns ----------------------------------------------------------------------------------

def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc
    if not out.is_finite() or out < 0:
        raise ValidationError({field: _("Enter a number of zero or more.")})
    return out


def _days(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        out = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({field: _("Enter a whole number of days.")}) from exc
    if out < 0 or out > 36500:
        raise ValidationError({field: _("Enter a number of days from 0 to 36500.")})
    return out


def may_run_campaigns(user: Any) -> bool:
    return user.can(Cap.CHANGE)


@transaction.atomic
def campaign_create(*, actor: Any, data: Mapping[str, Any]) -> WinbackCampaign:
    """A win-back campaign over the lost customers the actor may change that match the filter
    (reasons, value band, days since the loss); its attempts are made by the background job
    (`campaign_execute`), queued when this transaction commits. Audited."""
    if not may_run_campaigns(actor):
        raise PermissionDenied(_("Your role may not run win-back campaigns."))
    name = (data.get("name") or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the campaign a name.")
    elif len(name) > 200:
        errors["name"] = _("The name is too long (at most 200 characters).")
    reasons = list(dict.fromkeys(data.get("reasons") or []))
    if any(r not in selectors.REASON_KEYS for r in reasons):
        errors["reasons"] = _("Choose valid reason classes.")
    basis = data.get("value_basis") or ValueBasis.CLV
    if basis not in ValueBasis.values:
        errors["value_basis"] = _("Choose lifetime value or margin.")
    by_task, by_email = bool(data.get("by_task")), bool(data.get("by_email"))
    if not (by_task or by_email):
        errors["by_task"] = _("Choose at least one channel: tasks for the owners or e-mail to the customers.")
    language = data.get("language") or "zh-hans"
    if language not in ("zh-hans", "en"):
        errors["language"] = _("Choose Chinese or English.")
    if errors:
        raise ValidationError(errors)
    value_min, value_max = _decimal(data.get("value_min"), "value_min"), _decimal(data.get("value_max"), "value_max")
    if value_min is not None and value_max is not None and value_min > value_max:
        raise ValidationError({"value_max": _("The upper value must not be below the lower one.")})
    lost_min, lost_max = _days(data.get("lost_min_days"), "lost_min_days"), _days(data.get("lost_max_days"),
                                                                                    "lost_max_days")
    if lost_min is not None and lost_max is not None and lost_min > lost_max:
        raise ValidationError({"lost_max_days": _("The longest time since the loss must not be below the shortest.")})
    due = _days(data.get("task_due_days", 7), "task_due_days")
    campaign = WinbackCampaign.objects.create(
        name=name, reasons=reasons, value_basis=basis, value_min=value_min, value_max=value_max,
        lost_min_days=lost_min, lost_max_days=lost_max, by_task=by_task, by_email=by_email, language=language,
        task_due_days=7 if due is None else due, team_id=actor.team_id, created_by=actor)
    change_record(user=actor, instance=campaign, action=ChangeAction.CREATE, changes={
        "name": [None, name], "reasons": [None, reasons], "channels": [None, [c for c, on in (
            ("task", by_task), ("email", by_email)) if on]]})
    from retention.tasks_winback import campaign_run_task

    transaction.on_commit(lambda: campaign_run_task.enqueue(campaign.pk))
    return campaign


def campaign_targets(campaign: WinbackCampaign, actor: Any) -> list[dict[str, Any]]:
    """The lost customers the campaign's filter selects among those its creator may change, with
    their reason class, owner, name and e-mail address (one query)."""
    qs = selectors.lost_customers(actor, "change")
    if campaign.reasons:
        qs = qs.filter(reason__in=campaign.reasons)
    today = business_today()
    if campaign.lost_min_days is not None:
        qs = qs.filter(lost_since__lte=today - timedelta(days=campaign.lost_min_days))
    if campaign.lost_max_days is not None:
        qs = qs.filter(lost_since__gte=today - timedelta(days=campaign.lost_max_days))
    if campaign.value_min is not None or campaign.value_max is not None:
        qs = qs.annotate(value=selectors.value_annotation(campaign.value_basis))
        if campaign.value_min is not None:
            qs = qs.filter(value__gte=campaign.value_min)
        if campaign.value_max is not None:
            qs = qs.filter(value__lte=campaign.value_max)
    return list(qs.order_by("customer_id").values(
        "customer_id", "reason", "customer__owner_id", "customer__name", "customer__email",
        "customer__owner__first_name", "customer__owner__last_name", "customer__owner__username"))


def _owner_name(row: Mapping[str, Any]) -> str:
    from accounts.models import User

    owner = User(first_name=row["customer__owner__first_name"] or "", last_name=row["customer__owner__last_name"] or "",
                 username=row["customer__owner__username"] or "")
    return str(owner)


def _attempt_task(campaign: WinbackCampaign, actor: Any, row: Mapping[str, Any], script: WinbackScript | None,
                  values: Mapping[str, str]) -> tuple[str, str, Any]:
    """Make the owner's task; (status, note, task)."""
    from work.services_tasks import task_create

    body = render_script(script.body_zh if campaign.language == "zh-hans" else script.body_en, values) if script else ""
    with transaction.atomic():
        try:
            task = task_create(actor=actor, customer_id=row["customer_id"], data={
                "title": _("Win back %(customer)s (%(reason)s)") % {
                    "customer": row["customer__name"], "reason": selectors.reason_label(row["reason"])},
                "description": body, "due_on": timezone.localdate() + timedelta(days=campaign.task_due_days),
                "assignee": row["customer__owner_id"] or actor.pk})
        except (ValidationError, PermissionDenied) as exc:
            return AttemptStatus.SKIPPED, "; ".join(getattr(exc, "messages", [str(exc)]))[:300], None
    return AttemptStatus.SENT, "", task


def _attempt_email(campaign: WinbackCampaign, row: Mapping[str, Any], script: WinbackScript | None,
                   values: Mapping[str, str]) -> tuple[str, str, Any]:
    """Queue the personalised e-mail; (status, note, e-mail)."""
    from work.services_notifications import email_to_address

    if not row["customer__email"]:
        return AttemptStatus.SKIPPED, _("The customer has no e-mail address."), None
    if script is None:
        return AttemptStatus.SKIPPED, _("No script for this reason class."), None
    zh = campaign.language == "zh-hans"
    try:
        with transaction.atomic():
            message = email_to_address(
                to=row["customer__email"],
                subject=render_script(script.subject_zh if zh else script.subject_en, values),
                body_text=render_script(script.body_zh if zh else script.body_en, values), language=campaign.language,
                event="retention.winback")
    except ValidationError as exc:
        return AttemptStatus.SKIPPED, "; ".join(exc.messages)[:300], None
    return AttemptStatus.SENT, "", message


def campaign_execute(*, campaign_id: int) -> WinbackCampaign:
    """Make the campaign's attempts, in batches, reporting progress (`done` of `total`). Idempotent:
    a customer who already has the campaign's attempt by a channel gets no second one, so a job
    delivered twice, or re-run after a failure, finishes the work without repeating it."""
    campaign = WinbackCampaign.objects.select_related("created_by").get(pk=campaign_id)
    actor = campaign.created_by
    if actor is None or not actor.is_active:
        WinbackCampaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.FAILED, error=_("The user who created the campaign is no longer active."),
            finished_at=timezone.now())
        campaign.refresh_from_db()
        return campaign
    try:
        targets = campaign_targets(campaign, actor)
        WinbackCampaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.RUNNING, total=len(targets), done=0)
        channels = [c for c, on in ((AttemptChannel.TASK, campaign.by_task), (AttemptChannel.EMAIL, campaign.by_email))
                    if on]
        scripts = {s.reason: s for s in WinbackScript.objects.all()}
        done = set(WinbackAttempt.objects.filter(campaign=campaign).values_list("customer_id", "channel"))
        for start in range(0, len(targets), BATCH):
            batch = targets[start:start + BATCH]
            with transaction.atomic():
                attempts = []
                for row in batch:
                    script = script_for(scripts, row["reason"])
                    values = {"customer": row["customer__name"], "owner": _owner_name(row)}
                    for channel in channels:
                        if (row["customer_id"], channel) in done:
                            continue
                        if channel == AttemptChannel.TASK:
                            status, note, task = _attempt_task(campaign, actor, row, script, values)
                            email = None
                        else:
                            status, note, email = _attempt_email(campaign, row, script, values)
                            task = None
                        now = timezone.now()
                        attempts.append(WinbackAttempt(
                            campaign=campaign, customer_id=row["customer_id"], reason=row["reason"], channel=channel,
                            status=status, note=note, sent_at=now, sent_on=business_today(), task=task, email=email))
                WinbackAttempt.objects.bulk_create(attempts)
                WinbackCampaign.objects.filter(pk=campaign.pk).update(done=start + len(batch))
        WinbackCampaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.DONE, finished_at=timezone.now())
    except Exception as exc:
        logger.exception("win-back campaign %s failed", campaign.pk)
        WinbackCampaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.FAILED, error=str(exc)[:2000],
                                                              finished_at=timezone.now())
    campaign.refresh_from_db()
    return campaign


# --- attribution ---------------------------------------------------------------------------------

def winback_attribute(*, window_days: int | None = None) -> int:
    """Credit every win-back not yet credited to the latest attempt (sent, any channel) made for that
    customer on or before the day of the purchase that won them back and at most `window_days`
    (default: attribution_days()) before it. Set-based: the uncredited win-backs of customers with
    attempts, their attempts, one bulk update. Returns how many attempts were credited."""
    window = attribution_days() if window_days is None else window_days
    attempted = WinbackAttempt.objects.filter(status=AttemptStatus.SENT).values("customer_id")
    credited = WinbackAttempt.objects.filter(won_back_transition__isnull=False).values("won_back_transition_id")
    wins = list(LifecycleTransition.objects.filter(cause=CAUSE_WON_BACK, customer_id__in=attempted)
                .exclude(pk__in=credited).order_by("customer_id", "on", "id").values("id", "customer_id", "on"))
    if not wins:
        return 0
    by_customer: dict[int, list[WinbackAttempt]] = {}
    for attempt in (WinbackAttempt.objects.filter(status=AttemptStatus.SENT,
                                                  customer_id__in={w["customer_id"] for w in wins})
                    .order_by("customer_id", "-sent_at", "-id").only("id", "customer_id", "sent_on", "sent_at",
                                                                    "won_back_transition_id")):
        by_customer.setdefault(attempt.customer_id, []).append(attempt)
    changed: list[WinbackAttempt] = []
    for win in wins:
        for attempt in by_customer.get(win["customer_id"], []):  # latest first
            if attempt.sent_on > win["on"]:
                continue
            if attempt.won_back_transition_id is not None:
                break  # credited for an earlier win-back: no attempt since then
            if (win["on"] - attempt.sent_on).days <= window:
                attempt.won_back_transition_id = win["id"]
                attempt.won_back_on = win["on"]
                attempt.outcome = AttemptOutcome.WON_BACK
                changed.append(attempt)
            break  # only the latest attempt before the purchase can be credited
    WinbackAttempt.objects.bulk_update(changed, ["won_back_transition", "won_back_on", "outcome"], batch_size=500)
    return len(changed)


__all__ = ["UNKNOWN_REASON", "attribution_days", "campaign_create", "campaign_execute", "customer_mark_lost",
           "render_script", "script_update", "winback_attribute"]
