"""The SLA part's writers: the working calendar, holidays and SLA policies (administrators), service
agreements of customers (scoped through the customer), their documents, and the renewal reminders.
Keyword-only, `actor` first, one transaction, audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from audit.models import ChangeAction
from audit.services import change_record
from core.concurrency import check_version
from core.models import diff_values, field_values
from core.services import apply_fields, created_changes, get_scoped
from customers.models import Customer, CustomerDocument
from customers.records.base import RecordKind, soft_delete
from service import sla
from service.models import Holiday, ServiceAgreement, SlaPolicy, WorkingCalendar
from service.models.sla import clean_sla_terms

CALENDAR_FIELDS = ["weekdays", "day_start", "day_end", "lunch_start", "lunch_end", "renewal_notice_days"]
AGREEMENT_FIELDS = ["number", "level", "starts_on", "ends_on", "terms", "sla"]
RENEWAL_EVENT = "service.agreement_renewal"


def require_admin(actor: User) -> None:
    """The working calendar, holidays and policies are the administrators' (they set everyone's clock)."""
    if not actor.can(Cap.MANAGE_USERS):
        raise PermissionDenied(_("Only administrators may change the working calendar and the SLA policies."))


def _changed_calendar() -> None:
    sla.invalidate()
    transaction.on_commit(sla.invalidate)


def calendar_row() -> WorkingCalendar:
    """The working calendar's row (the defaults when an administrator has never saved it)."""
    return WorkingCalendar.objects.filter(key="default").first() or WorkingCalendar()


# --- working calendar, holidays, policies (administrators) -------------------------------------------

@transaction.atomic
def calendar_update(*, actor: User, data: Mapping[str, Any]) -> WorkingCalendar:
    require_admin(actor)
    row = WorkingCalendar.objects.select_for_update().filter(key="default").first() or WorkingCalendar()
    before = field_values(row, CALENDAR_FIELDS)
    apply_fields(row, data, CALENDAR_FIELDS)
    row.full_clean()
    changes = diff_values(before, field_values(row, CALENDAR_FIELDS))
    if changes or row.pk is None:
        row.save()
        change_record(user=actor, instance=row, action=ChangeAction.UPDATE, changes=changes)
        _changed_calendar()
    return row


@transaction.atomic
def holiday_create(*, actor: User, day: date, name: str, is_working_day: bool = False) -> Holiday:
    require_admin(actor)
    holiday = Holiday(date=day, name=(name or "").strip(), is_working_day=is_working_day)
    holiday.full_clean()
    holiday.save()
    change_record(user=actor, instance=holiday, action=ChangeAction.CREATE,
                  changes=created_changes(holiday, ["date", "name", "is_working_day"]))
    _changed_calendar()
    return holiday


@transaction.atomic
def holiday_delete(*, actor: User, holiday_id: int) -> Holiday:
    require_admin(actor)
    holiday = Holiday.objects.select_for_update().get(pk=holiday_id)
    change_record(user=actor, instance=holiday, action=ChangeAction.DELETE,
                  changes={"date": [str(holiday.date), None], "name": [holiday.name, None]})
    holiday.delete()  # a calendar entry, not a customer's record: the audit row keeps it
    _changed_calendar()
    return holiday


WORKING_WORDS = {"1", "true", "yes", "y", "work", "working", "是", "班", "上班", "调休"}
HOLIDAY_WORDS = {"", "0", "false", "no", "n", "off", "holiday", "否", "休", "休息", "假"}


def holidays_import_csv(*, actor: User, content: bytes) -> tuple[int, int]:
    """Add or replace the days of a CSV (`date,name[,working]`, a header row allowed; `working` is
    1/yes/班 for a make-up working day). All or nothing: the first bad row refuses the whole file,
    naming its line. Returns (added, replaced)."""
    require_admin(actor)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": _("The file is not UTF-8 text.")}) from exc
    rows: dict[date, tuple[str, bool]] = {}
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row]
        if line_no == 1 and cells[0].lower() in {"date", "日期"}:
            continue
        try:
            day = date.fromisoformat(cells[0])
        except ValueError as exc:
            raise ValidationError({"file": _("Line %(line)s: “%(value)s” is not a date (YYYY-MM-DD).")
                                   % {"line": line_no, "value": cells[0]}}) from exc
        name = cells[1] if len(cells) > 1 else ""
        if not name or len(name) > 100:
            raise ValidationError({"file": _("Line %(line)s: give the holiday's name (up to 100 characters).")
                                   % {"line": line_no}})
        flag = cells[2].lower() if len(cells) > 2 else ""
        if flag not in WORKING_WORDS | HOLIDAY_WORDS:
            raise ValidationError({"file": _("Line %(line)s: “%(value)s” is neither a holiday nor a working day "
                                             "(use 0 or 1).") % {"line": line_no, "value": cells[2]}})
        if day in rows:
            raise ValidationError({"file": _("Line %(line)s: %(date)s is listed twice.")
                                   % {"line": line_no, "date": day.isoformat()}})
        rows[day] = (name, flag in WORKING_WORDS)
    if not rows:
        raise ValidationError({"file": _("The file lists no days.")})
    with transaction.atomic():
        existing = {h.date: h for h in Holiday.objects.select_for_update().filter(date__in=rows)}
        replaced = 0
        for day, (name, working) in sorted(rows.items()):
            holiday = existing.get(day)
            if holiday is None:
                holiday = Holiday.objects.create(date=day, name=name, is_working_day=working)
                change_record(user=actor, instance=holiday, action=ChangeAction.CREATE,
                              changes={"date": [None, str(day)], "name": [None, name],
                                       "is_working_day": [None, working]})
            elif (holiday.name, holiday.is_working_day) != (name, working):
                changes = diff_values({"name": holiday.name, "is_working_day": holiday.is_working_day},
                                      {"name": name, "is_working_day": working})
                holiday.name, holiday.is_working_day = name, working
                holiday.save(update_fields=["name", "is_working_day"])
                change_record(user=actor, instance=holiday, action=ChangeAction.UPDATE, changes=changes)
                replaced += 1
        _changed_calendar()
    return len(rows) - len(existing), replaced


@transaction.atomic
def policies_update(*, actor: User, times: Mapping[tuple[str, str], tuple[int, int]]) -> list[SlaPolicy]:
    """Set the default (acknowledge, resolve) minutes of the given (subject, level)s."""
    require_admin(actor)
    existing = {(p.subject, p.level): p for p in SlaPolicy.objects.select_for_update()}
    saved = []
    for (subject, level), (acknowledge, resolve) in times.items():
        policy = existing.get((subject, level)) or SlaPolicy(subject=subject, level=level)
        before = field_values(policy, ["acknowledge_minutes", "resolve_minutes"])
        policy.acknowledge_minutes, policy.resolve_minutes = acknowledge, resolve
        policy.full_clean()
        changes = diff_values(before, field_values(policy, ["acknowledge_minutes", "resolve_minutes"]))
        if changes:
            action = ChangeAction.UPDATE if policy.pk else ChangeAction.CREATE
            policy.save()
            change_record(user=actor, instance=policy, action=action, changes=changes)
        saved.append(policy)
    _changed_calendar()
    return saved


# --- service agreements (a customer's records) --------------------------------------------------------

def _apply_agreement(agreement: ServiceAgreement, data: Mapping[str, Any]) -> None:
    values = dict(data)
    if "sla" in values:
        values["sla"] = clean_sla_terms(values["sla"])
    if "terms" in values and values["terms"] is None:
        values["terms"] = ""
    apply_fields(agreement, values, AGREEMENT_FIELDS)
    agreement.full_clean(exclude=["customer", "documents"])


@transaction.atomic
def agreement_create(*, actor: User, customer_id: int, data: Mapping[str, Any]) -> ServiceAgreement:
    """Record a service agreement of a customer the actor may change."""
    customer = get_scoped(Customer.objects, actor, "change", customer_id)
    agreement = ServiceAgreement(customer=customer, created_by=actor)
    _apply_agreement(agreement, data)
    agreement.save()
    change_record(user=actor, instance=agreement, action=ChangeAction.CREATE, customer_id=customer.pk,
                  changes=created_changes(agreement, AGREEMENT_FIELDS))
    return agreement


@transaction.atomic
def agreement_update(*, actor: User, agreement_id: int, data: Mapping[str, Any],
                     expected_version: str | Iterable[str] | None = None) -> ServiceAgreement:
    """Change an agreement; with `expected_version`, StaleWrite if it changed meanwhile. A new end
    date brings a new renewal reminder before it."""
    agreement = get_scoped(ServiceAgreement.objects.select_for_update(), actor, "change", agreement_id)
    check_version(agreement, expected_version)
    before = field_values(agreement, AGREEMENT_FIELDS)
    _apply_agreement(agreement, data)
    changes = diff_values(before, field_values(agreement, AGREEMENT_FIELDS))
    if changes:
        agreement.save()
        change_record(user=actor, instance=agreement, action=ChangeAction.UPDATE,
                      customer_id=agreement.customer_id, changes=changes)
    return agreement


@transaction.atomic
def agreement_delete(*, actor: User, agreement_id: int) -> ServiceAgreement:
    return soft_delete(ServiceAgreement, actor=actor, pk=agreement_id)


AGREEMENTS = RecordKind(model=ServiceAgreement, id_kwarg="agreement_id", create=agreement_create,
                        update=agreement_update, delete=agreement_delete)


@transaction.atomic
def agreement_document_attach(*, actor: User, agreement_id: int, upload: UploadedFile,
                              description: str = "") -> CustomerDocument:
    """Put a file in the customer's folder (checked and audited as every document) and attach it to
    the agreement."""
    from customers.services import document_upload

    agreement = get_scoped(ServiceAgreement.objects.select_for_update(), actor, "change", agreement_id)
    document = document_upload(actor=actor, customer_id=agreement.customer_id, upload=upload,
                               description=description or str(agreement))
    agreement.documents.add(document)
    change_record(user=actor, instance=agreement, action=ChangeAction.UPDATE, customer_id=agreement.customer_id,
                  changes={"documents": [None, document.original_name]})
    return document


@transaction.atomic
def agreement_document_remove(*, actor: User, agreement_id: int, document_id: int) -> CustomerDocument:
    """Detach a document from the agreement and delete it from the customer's folder (soft)."""
    from customers.services import document_delete

    agreement = get_scoped(ServiceAgreement.objects.select_for_update(), actor, "change", agreement_id)
    document = agreement.documents.filter(pk=document_id, deleted_at__isnull=True).first()
    if document is None:
        raise ValidationError({"document": _("This document is not attached to the agreement.")})
    agreement.documents.remove(document)
    document_delete(actor=actor, document_id=document.pk)
    change_record(user=actor, instance=agreement, action=ChangeAction.UPDATE, customer_id=agreement.customer_id,
                  changes={"documents": [document.original_name, None]})
    return document


# --- renewal reminders --------------------------------------------------------------------------------

def agreements_due_for_reminder(today: date, notice_days: int) -> Any:
    """Agreements in force that end within `notice_days` of `today`, not yet reminded for their end
    date, of customers with an owner, and not already followed by a later agreement (renewed)."""
    later = ServiceAgreement.objects.filter(customer_id=OuterRef("customer_id"), deleted_at__isnull=True,
                                            starts_on__gt=OuterRef("ends_on"))
    return (ServiceAgreement.objects
            .filter(deleted_at__isnull=True, customer__deleted_at__isnull=True, customer__owner__isnull=False,
                    starts_on__lte=today, ends_on__gte=today, ends_on__lt=today + timedelta(days=notice_days))
            .filter(Q(renewal_reminded_for__isnull=True) | ~Q(renewal_reminded_for=F("ends_on")))
            .exclude(Exists(later))
            .select_related("customer__owner").order_by("ends_on", "id"))


def remind_renewals(*, today: date | None = None) -> int:
    """Tell each expiring agreement's customer owner (notification + e-mail, and a task due a week
    before the end) once per end date. Idempotent: an agreement is claimed by one conditional UPDATE
    before anything is sent, so a second run, or two at once, remind nobody twice. Returns how many."""
    from work.services_notifications import notify
    from work.services_tasks import task_create

    today = today or timezone.localdate()
    notice_days = calendar_row().renewal_notice_days
    reminded = 0
    for agreement in agreements_due_for_reminder(today, notice_days):
        with transaction.atomic():
            claimed = (ServiceAgreement.objects.filter(pk=agreement.pk)
                       .exclude(renewal_reminded_for=agreement.ends_on)
                       .update(renewal_reminded_for=agreement.ends_on))
            if not claimed:
                continue
            owner = agreement.customer.owner
            days_left = (agreement.ends_on - today).days
            context = {"agreement": {"label": str(agreement), "level": str(agreement.get_level_display()),
                                     "ends_on": agreement.ends_on, "days_left": days_left}}
            notify(recipients=[owner], event=RENEWAL_EVENT, obj=agreement, context=context)
            due = max(today, agreement.ends_on - timedelta(days=7))
            # The task's title is stored text: in the owner's language (the site's when they chose none).
            with translation.override(owner.language or settings.LANGUAGE_CODE):
                title = _("Renew the service agreement %(agreement)s") % {"agreement": str(agreement)}
            task_create(actor=owner, customer_id=agreement.customer_id,
                        data={"title": title[:200], "due_on": due, "assignee": owner.pk})
            reminded += 1
    return reminded
