"""Writes of insurance coverage: policies, household incomes and the stored gap summaries.

Each service is keyword-only, takes the acting user, checks scope through the restricted queryset,
validates, writes the audit trail and the policy's timeline event in one transaction, and refreshes
the household's gap summary (what the call list reads) when the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import ChangeAction
from audit.services import change_record
from core import masking
from core.concurrency import check_version
from core.models import diff_values, field_values
from core.services import apply_fields, created_changes, get_scoped
from customers.choices import CustomerKind
from customers.models import Customer, FamilyMember
from customers.records.base import RecordKind, soft_delete
from wealth.coverage_gaps import Thresholds
from wealth.fx import rate_table_on
from wealth.models.coverage import (
    CoverageGapSummary,
    InsurancePolicy,
    MemberIncome,
    PolicyEvent,
    PolicyEventKind,
    PolicyStatus,
)
from wealth.selectors_coverage import gaps_of, households

POLICY_FIELDS: list[str] = [
    "insurer", "policy_type", "product_name", "policy_number", "insured_member", "starts_on", "ends_on",
    "sum_insured", "premium", "currency", "payment_mode", "critical_illness_covered", "status", "notes",
    "external_id",
]
REFRESH_BATCH = 2000


def _person_customer(actor: User, customer_id: int) -> Customer:
    customer = get_scoped(Customer.objects, actor, "change", customer_id)
    if customer.kind != CustomerKind.PERSON:
        raise ValidationError({"customer": _("Insurance coverage is kept for person customers only.")})
    return customer


def _event(policy: InsurancePolicy, kind: str, actor: User, fields: Iterable[str] = ()) -> None:
    PolicyEvent.objects.create(customer_id=policy.customer_id, policy=policy, kind=kind, at=timezone.now(),
                               actor=actor, fields=sorted(fields))


def _refresh_on_commit(customer_id: int) -> None:
    transaction.on_commit(lambda: gap_summaries_refresh([customer_id]))


@transaction.atomic
def policy_create(*, actor: User, customer_id: int, data: Mapping[str, Any]) -> InsurancePolicy:
    """Record a policy of a person customer the actor may change. A role that sees assets masked may
    not enter amounts (core.masking): PermissionDenied."""
    customer = _person_customer(actor, customer_id)
    policy = InsurancePolicy(customer=customer, created_by=actor)
    data = masking.writable_data(actor, policy, data)
    apply_fields(policy, data, POLICY_FIELDS)
    policy.full_clean(exclude=["customer"])
    policy.save()
    change_record(user=actor, instance=policy, action=ChangeAction.CREATE, customer_id=customer.pk,
                  changes=created_changes(policy, POLICY_FIELDS))
    _event(policy, PolicyEventKind.CREATED, actor)
    _refresh_on_commit(customer.pk)
    return policy


@transaction.atomic
def policy_update(
    *, actor: User, policy_id: int, data: Mapping[str, Any], expected_version: str | Iterable[str] | None = None,
) -> InsurancePolicy:
    """Change a policy; with `expected_version`, StaleWrite if it changed meanwhile. A change of the
    status to lapsed is its own timeline event."""
    policy = get_scoped(InsurancePolicy.objects.select_for_update(), actor, "change", policy_id)
    check_version(policy, expected_version)
    data = masking.writable_data(actor, policy, data)  # a masked amount sent back unchanged keeps its value
    before = field_values(policy, POLICY_FIELDS)
    apply_fields(policy, data, POLICY_FIELDS)
    policy.full_clean(exclude=["customer"])
    changes = diff_values(before, field_values(policy, POLICY_FIELDS))
    if changes:
        policy.save()
        change_record(user=actor, instance=policy, action=ChangeAction.UPDATE, customer_id=policy.customer_id,
                      changes=changes)
        lapsed = "status" in changes and policy.status == PolicyStatus.LAPSED
        _event(policy, PolicyEventKind.LAPSED if lapsed else PolicyEventKind.CHANGED, actor, changes)
        _refresh_on_commit(policy.customer_id)
    return policy


@transaction.atomic
def policy_delete(*, actor: User, policy_id: int) -> InsurancePolicy:
    policy = soft_delete(InsurancePolicy, actor=actor, pk=policy_id)
    _event(policy, PolicyEventKind.DELETED, actor)
    _refresh_on_commit(policy.customer_id)
    return policy


# Policies on the records layer (customers.records): the pages and the API write through these services.
POLICIES = RecordKind(model=InsurancePolicy, id_kwarg="policy_id", create=policy_create, update=policy_update,
                      delete=policy_delete)


@transaction.atomic
def income_set(*, actor: User, customer_id: int, family_member_id: int | None, annual_income: Decimal | None,
               currency: str = "CNY") -> MemberIncome | None:
    """Record (or, with None, forget) the annual income of the customer (`family_member_id` None) or of
    one of their family members. A role that sees assets masked may not: incomes are assets (D12)."""
    customer = _person_customer(actor, customer_id)
    if masking.masks(actor, MemberIncome, "annual_income"):
        raise PermissionDenied(_("Your role may not change “%(field)s”.") % {"field": _("annual income")})
    if family_member_id is not None and not FamilyMember.objects.filter(
            pk=family_member_id, customer_id=customer.pk, deleted_at__isnull=True).exists():
        raise ValidationError({"family_member": _("The person must be a member of this customer's family.")})
    income = MemberIncome.objects.select_for_update().filter(
        customer_id=customer.pk, family_member_id=family_member_id).first()
    if annual_income is None:
        if income is not None:
            change_record(user=actor, instance=income, action=ChangeAction.DELETE, customer_id=customer.pk,
                          changes={"annual_income": [str(income.annual_income), None]})
            income.delete()
        _refresh_on_commit(customer.pk)
        return None
    created = income is None
    income = income or MemberIncome(customer=customer, family_member_id=family_member_id)
    before = field_values(income, ["annual_income", "currency"])
    income.annual_income, income.currency, income.updated_by = annual_income, currency, actor
    income.full_clean(exclude=["customer", "family_member"])
    income.save()
    change_record(user=actor, instance=income, action=ChangeAction.CREATE if created else ChangeAction.UPDATE,
                  customer_id=customer.pk,
                  changes=diff_values(before, field_values(income, ["annual_income", "currency"])))
    _refresh_on_commit(customer.pk)
    return income


def gap_summaries_refresh(customer_ids: Sequence[int], *, today: date | None = None) -> int:
    """Compute the gaps of these customers' households and store them (a row per customer with gaps;
    none for a customer without). Set-based: five queries to read and three to write per call,
    whatever the number of customers. Returns how many customers have gaps."""
    today = today or timezone.localdate()
    thresholds = Thresholds.from_settings()
    rates = rate_table_on(today)
    rows = []
    for household in households(customer_ids, today):
        gaps = gaps_of(household, today=today, thresholds=thresholds, rates=rates)
        if gaps:
            rows.append(CoverageGapSummary(customer_id=household.customer_id, gaps=[g.as_json() for g in gaps],
                                           gap_count=len(gaps), computed_on=today))
    with transaction.atomic():
        CoverageGapSummary.objects.filter(customer_id__in=list(customer_ids)).delete()
        CoverageGapSummary.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def gap_summaries_refresh_all(*, today: date | None = None, batch: int = REFRESH_BATCH) -> int:
    """The nightly refresh: every person customer, in batches by id (terms running out move with the
    date). Returns how many customers have gaps."""
    total, last = 0, 0
    while True:
        ids = list(Customer.objects.filter(pk__gt=last, kind=CustomerKind.PERSON, deleted_at__isnull=True)
                   .order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        total += gap_summaries_refresh(ids, today=today)
        last = ids[-1]
