"""Asset reviews: start one (snapshot of every holding), record what was discussed, keep each wealth
customer's next-due date, and remind owners of the reviews that are due."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from audit.models import ChangeAction
from audit.services import change_record
from core import registry
from core.concurrency import check_version
from core.services import apply_fields, get_scoped
from customers.models import Customer
from wealth.fx import rate_table_on
from wealth.models import AssetReview, AssetReviewLine, Holding, ReviewCadence, ReviewSchedule
from wealth.review_rules import next_due
from wealth.valuation import MissingRate, Position, RateTable, summarize

REVIEW_UPDATE_FIELDS = ["notes", "next_steps", "next_review_on"]
# Rows per statement of the nightly refresh.
REFRESH_CHUNK = 5000
# How many days ahead a review counts as due (the home page, the reminder, the appointment).
DUE_AHEAD_DAYS = 7


def _positions(holdings: Iterable[Holding]) -> list[Position]:
    return [Position(h.asset_class, h.amount, h.currency, h.risk_level) for h in holdings]


def snapshot_lines(holdings: list[Holding], *, currency: str, rates: RateTable) -> list[AssetReviewLine]:
    """Unsaved lines for `holdings` with their amounts converted into `currency` (MissingRate)."""
    lines = []
    for h in holdings:
        converted = summarize([Position(h.asset_class, h.amount, h.currency, h.risk_level)],
                              currency=currency, rates=rates)
        value = converted.liabilities or converted.assets
        lines.append(AssetReviewLine(
            customer_id=h.customer_id, holding_id=h.pk, asset_class=h.asset_class, product_name=h.product_name,
            product_code=h.product_code, held_with_us=h.held_with_us, institution=h.institution, amount=h.amount,
            currency=h.currency, converted_amount=value, risk_level=h.risk_level,
        ))
    return lines


@transaction.atomic
def review_start(
    *, actor: User, customer_id: int, reviewed_on: date | None = None, notes: str = "", next_steps: str = "",
    next_review_on: date | None = None,
) -> AssetReview:
    """Snapshot all the customer's holdings as a review dated `reviewed_on` (today), with its totals in
    the customer's reporting currency at the day's stored FX rates. ValidationError (nothing saved)
    when a holding's currency has no rate, or the date is in the future."""
    customer = get_scoped(Customer.objects.select_for_update(), actor, "change", customer_id)
    day = reviewed_on or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({"reviewed_on": _("A review cannot be dated in the future.")})
    holdings = list(Holding.objects.filter(customer_id=customer.pk, deleted_at__isnull=True).order_by("pk"))
    currency = customer.assets_currency
    rates = rate_table_on(day)
    try:
        summary = summarize(_positions(holdings), currency=currency, rates=rates)
        lines = snapshot_lines(holdings, currency=currency, rates=rates)
    except MissingRate as exc:
        raise ValidationError({"currency": _(
            "No FX rate from %(base)s to %(quote)s on %(day)s: enter the rate before starting the review."
        ) % {"base": exc.base, "quote": exc.quote, "day": day}}) from exc
    review = AssetReview(
        customer=customer, reviewed_on=day, currency=currency, assets=summary.assets,
        liabilities=summary.liabilities, net_worth=summary.net_worth,
        by_class={cls: str(amount) for cls, amount in summary.by_class.items()},
        risk_mix={level: str(share) for level, share in summary.risk_mix.items()},
        risk_preference=customer.risk_preference, notes=notes, next_steps=next_steps,
        next_review_on=next_review_on, created_by=actor,
    )
    review.full_clean(exclude=["customer", "created_by"])
    review.save()
    for line in lines:
        line.review_id = review.pk
    AssetReviewLine.objects.bulk_create(lines, batch_size=1000)
    change_record(user=actor, instance=review, action=ChangeAction.CREATE, customer_id=customer.pk, changes={
        "reviewed_on": [None, str(day)], "currency": [None, currency], "lines": [None, len(lines)],
    })
    schedule_refresh(customer_ids=[customer.pk], today=day)
    return review


@transaction.atomic
def review_update(
    *, actor: User, review_id: int, data: Mapping[str, Any], expected_version: str | Iterable[str] | None = None,
) -> AssetReview:
    """Record what was discussed, the next steps and the date of the next review (the snapshot itself
    never changes). The next review date, when set, becomes the customer's next-due date."""
    review = get_scoped(AssetReview.objects.select_for_update(), actor, "change", review_id)
    check_version(review, expected_version)
    before = {name: getattr(review, name) for name in REVIEW_UPDATE_FIELDS}
    apply_fields(review, data, REVIEW_UPDATE_FIELDS)
    if review.next_review_on and review.next_review_on < review.reviewed_on:
        raise ValidationError({"next_review_on": _("The next review cannot be before this one.")})
    review.full_clean(exclude=["customer", "created_by"])
    review.save()
    changes = {name: [str(before[name]), str(getattr(review, name))] for name in REVIEW_UPDATE_FIELDS
               if before[name] != getattr(review, name)}
    if changes:
        change_record(user=actor, instance=review, action=ChangeAction.UPDATE, customer_id=review.customer_id,
                      changes=changes)
    if "next_review_on" in changes:
        schedule_refresh(customer_ids=[review.customer_id])
    return review


# --- Cadence ------------------------------------------------------------------------------------

def cadence() -> ReviewCadence:
    """The cadence rule (created with its defaults on first use)."""
    rule, _created = ReviewCadence.objects.get_or_create(pk=1)
    return rule


@transaction.atomic
def cadence_update(*, actor: User, data: Mapping[str, Any], tag_ids: Collection[int] | None = None) -> ReviewCadence:
    """Change the cadence rule (administrators), then recompute every schedule's due date."""
    if not actor.can(Cap.MANAGE_USERS):
        raise PermissionDenied(_("Only administrators may change the review cadence."))
    rule = ReviewCadence.objects.select_for_update().get(pk=cadence().pk)
    before = {"important_months": rule.important_months, "other_months": rule.other_months,
              "important_tiers": rule.important_tiers}
    data = dict(data)
    if "important_tiers" in data:
        letters = {c for c in str(data["important_tiers"]).upper() if not c.isspace() and c != ","}
        data["important_tiers"] = "".join(sorted(letters))
        if letters - {"A", "B", "C"}:
            raise ValidationError({"important_tiers": _("Use the tier letters A, B and C only.")})
    apply_fields(rule, data, list(before))
    rule.updated_by = actor
    rule.full_clean()
    rule.save()
    if tag_ids is not None:
        rule.important_tags.set(tag_ids)
    change_record(user=actor, instance=rule, action=ChangeAction.UPDATE, changes={
        name: [str(value), str(getattr(rule, name))] for name, value in before.items() if value != getattr(rule, name)
    })
    # Every schedule's due date depends on the rule: recomputed in the background (a million
    # customers are minutes of work, not a request's).
    from wealth.tasks_reviews import schedules_refresh_task

    transaction.on_commit(schedules_refresh_task.enqueue)
    return rule


@transaction.atomic
def schedule_update(
    *, actor: User, customer_id: int, important_flag: bool | None = None, language: str | None = None,
) -> ReviewSchedule:
    """The per-customer settings: review as an important customer (manual flag), sheet language."""
    customer = get_scoped(Customer.objects.all(), actor, "change", customer_id)
    schedule, _created = ReviewSchedule.objects.select_for_update().get_or_create(
        customer_id=customer.pk, defaults={"owner_id": customer.owner_id, "next_review_due": timezone.localdate()})
    before = {"important_flag": schedule.important_flag, "language": schedule.language}
    if important_flag is not None:
        schedule.important_flag = important_flag
    if language is not None:
        schedule.language = language
    schedule.full_clean(exclude=["customer", "owner"])
    schedule.save()
    changes = {k: [v, getattr(schedule, k)] for k, v in before.items() if v != getattr(schedule, k)}
    if changes:
        change_record(user=actor, instance=schedule, action=ChangeAction.UPDATE, customer_id=customer.pk,
                      changes=changes)
    schedule_refresh(customer_ids=[customer.pk])
    schedule.refresh_from_db()
    return schedule


def _abc_tiers(customer_ids: list[int]) -> dict[int, str]:
    """The customers' ABC tiers, from the app that computes them (segmentation, above wealth: it
    registers "abc_tiers" in core.registry); none when it is not installed."""
    try:
        lookup = registry.get("abc_tiers")
    except LookupError:
        return {}
    return lookup(customer_ids)


def schedule_refresh(*, customer_ids: Collection[int] | None, today: date | None = None) -> int:
    """Create the schedules of wealth customers (with holdings or reviews) that have none, and
    recompute important / interval / last review / next due / owner of `customer_ids` (None: all),
    in chunks of REFRESH_CHUNK customers with a bulk update. Returns how many were written."""
    today = today or timezone.localdate()
    rule = cadence()
    tiers = set(rule.important_tiers)
    tag_ids = set(rule.important_tags.values_list("pk", flat=True))
    if customer_ids is None:
        wealthy = Customer.objects.filter(deleted_at__isnull=True).filter(
            pk__in=Holding.objects.filter(deleted_at__isnull=True).values("customer_id"))
        ids_query = wealthy.union(Customer.objects.filter(
            deleted_at__isnull=True, pk__in=AssetReview.objects.values("customer_id"))).values_list("pk", flat=True)
        all_ids = sorted(set(ids_query))
    else:
        all_ids = sorted(set(customer_ids))
    written = 0
    for start in range(0, len(all_ids), REFRESH_CHUNK):
        chunk = all_ids[start:start + REFRESH_CHUNK]
        owners = dict(Customer.objects.filter(pk__in=chunk).values_list("pk", "owner_id"))
        existing = {s.pk: s for s in ReviewSchedule.objects.filter(customer_id__in=chunk)}
        missing = [ReviewSchedule(customer_id=cid, owner_id=owners.get(cid), next_review_due=today)
                   for cid in chunk if cid not in existing and cid in owners]
        ReviewSchedule.objects.bulk_create(missing, ignore_conflicts=True, batch_size=1000)
        schedules = {s.pk: s for s in ReviewSchedule.objects.filter(customer_id__in=chunk)}
        last = dict(AssetReview.objects.filter(customer_id__in=chunk).order_by().values("customer_id")
                    .annotate(last=Max("reviewed_on")).values_list("customer_id", "last"))
        chosen = _latest_next_dates(chunk)
        tier_of = _abc_tiers(chunk) if tiers else {}
        tagged = set()
        if tag_ids:
            tagged = set(Customer.tags.through.objects.filter(customer_id__in=chunk, tag_id__in=tag_ids)
                         .values_list("customer_id", flat=True))
        for cid, schedule in schedules.items():
            important = schedule.important_flag or tier_of.get(cid, "-") in tiers or cid in tagged
            months = rule.important_months if important else rule.other_months
            last_day = last.get(cid)
            due = next_due(last_day, months, scheduled_on=schedule.next_review_due or today)
            agreed = chosen.get(cid)
            if agreed and last_day and agreed >= last_day:
                due = agreed  # the date agreed with the customer at the last review wins
            schedule.important, schedule.interval_months = important, months
            schedule.last_reviewed_on, schedule.next_review_due = last_day, due
            schedule.owner_id = owners.get(cid)
        written += ReviewSchedule.objects.bulk_update(
            schedules.values(), ["important", "interval_months", "last_reviewed_on", "next_review_due", "owner"],
            batch_size=1000)
    return written


def _latest_next_dates(customer_ids: list[int]) -> dict[int, date]:
    """The next review date of each customer's latest review (databases without DISTINCT ON)."""
    out: dict[int, date | None] = {}
    rows = (AssetReview.objects.filter(customer_id__in=customer_ids).order_by("customer_id", "-reviewed_on", "-id")
            .values_list("customer_id", "next_review_on"))
    for cid, day in rows:
        out.setdefault(cid, day)
    return {cid: day for cid, day in out.items() if day is not None}


# --- Reminders ----------------------------------------------------------------------------------

def reviews_remind(*, today: date | None = None) -> int:
    """For each schedule due within DUE_AHEAD_DAYS and not yet reminded for that due date: a
    calendar appointment (kind asset review) in the owner's calendar on the due day and a
    notification to the owner. Idempotent: `reminded_for` remembers the due date handled.
    Returns how many customers were handled."""
    from work.models import AppointmentKind
    from work.services_calendar import appointment_create
    from work.services_notifications import notify

    today = today or timezone.localdate()
    due = (ReviewSchedule.objects.filter(next_review_due__lte=today + timedelta(days=DUE_AHEAD_DAYS),
                                         owner__isnull=False, owner__is_active=True,
                                         customer__deleted_at__isnull=True)
           .exclude(reminded_for=F("next_review_due"))
           .select_related("customer", "owner").order_by("next_review_due", "pk"))
    handled = 0
    zone = timezone.get_current_timezone()
    for schedule in due.iterator(chunk_size=500):
        owner, customer = schedule.owner, schedule.customer
        if owner is None or customer.owner_id != owner.pk:
            continue
        day = max(schedule.next_review_due, today)
        with transaction.atomic():
            start = timezone.make_aware(datetime.combine(day, time(10, 0)), zone)
            title = _("Asset review: %(customer)s") % {"customer": customer.name}
            appointment_create(actor=owner, save_anyway=True, data={
                "kind": AppointmentKind.ASSET_REVIEW, "title": title[:200], "starts_at": start,
                "ends_at": start + timedelta(hours=1), "customer": customer,
            })
            notify(recipients=[owner], event="wealth.review_due", obj=customer, context={
                "due": schedule.next_review_due.isoformat(), "overdue": schedule.next_review_due < today,
            })
            ReviewSchedule.objects.filter(pk=schedule.pk).update(reminded_for=schedule.next_review_due)
        handled += 1
    return handled


def review_access_record(*, user: Any, review: AssetReview, action: str, what: str) -> None:
    """Put a view ("page", "api") or a download ("print", "xlsx") of a review in the access log."""
    from audit.services import access_record

    access_record(user=user, action=action, customer_id=review.customer_id, detail={"review": review.pk, "what": what},
                  object_repr=f"{review.customer.name}: {review.audit_repr}")
