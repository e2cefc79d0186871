"""Writes on holdings and FX rates. Each service is keyword-only, takes the acting user first,
checks the actor's scope, validates (messages in the user's language), saves and writes the audit
row in one transaction. A holding's amount is an asset (D12): a role that sees assets masked may not
write it (core.masking.writable_data), so such a role cannot record a holding's value either."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from audit.models import ChangeAction
from audit.services import change_record
from core import masking
from core.concurrency import check_version
from core.models import diff_values, field_values
from core.services import apply_fields, created_changes, get_scoped
from customers.models import Customer
from customers.records.base import RecordKind, soft_delete
from wealth.models import FxRate, Holding

HOLDING_FIELDS: list[str] = [
    "asset_class", "product_name", "product_code", "held_with_us", "institution", "amount", "currency",
    "started_on", "matures_on", "risk_level", "notes", "external_id",
]
FX_FIELDS: list[str] = ["base", "quote", "rate", "valid_from"]


def _clean(holding: Holding) -> None:
    if holding.external_id == "":
        holding.external_id = None  # unique: "" would clash with every other holding without one
    holding.full_clean(exclude=["customer"])


@transaction.atomic
def holding_create(*, actor: User, customer_id: int, data: Mapping[str, Any]) -> Holding:
    """Record a holding of a customer the actor may change."""
    customer = get_scoped(Customer.objects, actor, "change", customer_id)
    holding = Holding(customer=customer, created_by=actor)
    apply_fields(holding, masking.writable_data(actor, holding, data), HOLDING_FIELDS)
    _clean(holding)
    holding.save()
    change_record(user=actor, instance=holding, action=ChangeAction.CREATE, customer_id=customer.pk,
                  changes=created_changes(holding, HOLDING_FIELDS))
    return holding


@transaction.atomic
def holding_update(
    *, actor: User, holding_id: int, data: Mapping[str, Any], expected_version: str | Iterable[str] | None = None
) -> Holding:
    """Change a holding (a new market value, a maturity …); with `expected_version`, StaleWrite if it
    changed meanwhile (core.concurrency). A masked amount sent back unchanged keeps the stored one."""
    holding = get_scoped(Holding.objects.select_for_update(of=("self",)), actor, "change", holding_id)
    check_version(holding, expected_version)
    data = masking.writable_data(actor, holding, data)
    before = field_values(holding, HOLDING_FIELDS)
    apply_fields(holding, data, HOLDING_FIELDS)
    _clean(holding)
    changes = diff_values(before, field_values(holding, HOLDING_FIELDS))
    if changes:
        holding.save()
        change_record(user=actor, instance=holding, action=ChangeAction.UPDATE, customer_id=holding.customer_id,
                      changes=changes)
    return holding


@transaction.atomic
def holding_delete(*, actor: User, holding_id: int) -> Holding:
    """Remove a holding (sold, matured, repaid): soft delete, an administrator can restore it."""
    return soft_delete(Holding, actor=actor, pk=holding_id)


# Holdings on the records layer (customers.records): the pages and the API write through these services.
HOLDINGS = RecordKind(model=Holding, id_kwarg="holding_id", create=holding_create, update=holding_update,
                      delete=holding_delete)


# --- FX rates ------------------------------------------------------------------------------------

def may_manage_fx_rates(user: User) -> bool:
    """FX rates are reference data every total depends on: only administrators record them (the
    capability to configure the system); everyone signed in reads them."""
    return bool(user.is_active and user.effective_role == Role.ADMIN)


@transaction.atomic
def fx_rate_create(*, actor: User, data: Mapping[str, Any]) -> FxRate:
    """Record the rate of a currency pair from a day on. One rate per pair and day."""
    if not may_manage_fx_rates(actor):
        raise PermissionDenied(_("Only administrators record FX rates."))
    rate = FxRate(created_by=actor)
    apply_fields(rate, data, FX_FIELDS)
    # Before full_clean: its check of the unique constraint would name the model, not the pair.
    if FxRate.objects.filter(base=rate.base, quote=rate.quote, valid_from=rate.valid_from).exists():
        raise ValidationError({"valid_from": _("A rate of %(base)s to %(quote)s from this day is recorded already.")
                               % {"base": rate.base, "quote": rate.quote}})
    rate.full_clean()
    rate.save()
    change_record(user=actor, instance=rate, action=ChangeAction.CREATE, changes=created_changes(rate, FX_FIELDS))
    return rate


@transaction.atomic
def fx_rate_delete(*, actor: User, fx_rate_id: int) -> None:
    """Remove a rate entered by mistake (the previous rate of the pair applies again)."""
    if not may_manage_fx_rates(actor):
        raise PermissionDenied(_("Only administrators record FX rates."))
    rate = FxRate.objects.select_for_update().filter(pk=fx_rate_id).first()
    if rate is None:
        raise PermissionDenied(_("You do not have access to this record."))
    change_record(user=actor, instance=rate, action=ChangeAction.DELETE, changes=field_values(rate, FX_FIELDS))
    rate.delete()
