"""Insurance policies (the wealth app's coverage part), by the policy's external ID; the customer by
its external ID (or exact name); the insured person by the name of one of the customer's family
members (empty: the customer themself). Dry run and all-or-nothing come from the import framework."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import Cap
from core import masking
from customers.models import FamilyMember
from dataio import values as v
from dataio.importers.base import ImportField, ModelImporter, form_fields
from dataio.importers.commerce import CustomerRecordRows
from dataio.importers.refs import CustomerRefs
from dataio.mapping import synonyms
from dataio.readers import Row
from wealth.forms_coverage import PolicyForm
from wealth.models.coverage import InsurancePolicy
from wealth.services_coverage import POLICY_FIELDS

_FORM_FIELDS = [f for f in POLICY_FIELDS if f != "insured_member"]
_SYNONYMS = {
    "external_id": ("保单编号", "保单ID", "policy id", "external id"),
    "customer": ("客户编号", "客户ID", "customer id", "customer no", "customer external id"),
    "insured": ("被保险人", "被保人", "insured", "insured person"),
    "insurer": ("保险公司", "承保公司", "insurer"),
    "policy_type": ("险种", "保险类型", "type", "policy type"),
    "policy_number": ("保单号", "policy number", "policy no"),
    "starts_on": ("生效日期", "起保日期", "start", "starts on"),
    "ends_on": ("满期日期", "终止日期", "end", "ends on"),
    "sum_insured": ("保额", "保险金额", "sum insured", "cover"),
    "premium": ("保费", "premium"),
    "payment_mode": ("缴费方式", "payment mode"),
    "critical_illness_covered": ("含重疾", "重疾保障", "critical illness"),
    "status": ("状态", "保单状态", "status"),
}


class PolicyImporter(CustomerRecordRows, ModelImporter):
    """Policies by their external ID; customer by external ID; insured person by family member name."""

    deleted_skipped = gettext_lazy("Rows of deleted policies are skipped.")

    kind = "policies"
    label = gettext_lazy("Insurance policies")
    description = gettext_lazy(
        "One row per policy. The customer column holds the customer's external ID (or its exact name); the "
        "insured column the name of one of the customer's family members, empty for the customer themself."
    )
    model = InsurancePolicy
    audit_fields: ClassVar[list[str]] = POLICY_FIELDS
    special = frozenset({"customer", "insured"})

    @classmethod
    def permitted(cls, user: User) -> bool:
        # Policies carry amounts: a role that sees assets masked may not write them (core.masking).
        return user.can(Cap.CHANGE) and not masking.unwritable_fields(user, InsurancePolicy)

    @classmethod
    def available_fields(cls, user: User) -> list[ImportField]:
        names = {**synonyms(cls.kind), **_SYNONYMS}
        fields = form_fields(cls._form(user), _FORM_FIELDS, names,
                             required=["insurer", "policy_type", "starts_on", "sum_insured", "premium"],
                             key="external_id")
        fields.insert(1, ImportField("customer", gettext_lazy("Customer"), kind="ref", required=True,
                                     synonyms=names["customer"],
                                     help=gettext_lazy("The customer's external ID, or its exact name.")))
        fields.insert(2, ImportField("insured", gettext_lazy("Insured person"), kind="text", synonyms=names["insured"],
                                     help=gettext_lazy("A family member's name; empty: the customer.")))
        return fields

    @staticmethod
    def _form(user: User) -> PolicyForm:
        return PolicyForm(user=user, members=FamilyMember.objects.none())

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.customers = CustomerRefs(self.user)
        self.changeable: set[int] = set()
        self.members: dict[tuple[int, str], list[int]] = {}

    def make_form(self) -> forms.BaseForm:
        return self._form(self.user)

    def find(self, keys: list[str]) -> dict[str, models.Model]:
        found = {p.external_id: p for p in InsurancePolicy.objects.filter(external_id__in=keys)}
        self.changeable = set(InsurancePolicy.objects.restrict(self.user, "change")
                              .filter(pk__in=[p.pk for p in found.values()]).values_list("pk", flat=True))
        return found

    def prepare_batch(self, rows: list[Row]) -> None:
        self.customers.resolve({v.text(self.cell(r, "customer")) for r in rows})
        ids = set(self.customers.found.values())
        # The family of every customer of the batch, in one query.
        for pk, customer_id, name in FamilyMember.objects.filter(customer_id__in=ids, deleted_at__isnull=True) \
                .values_list("pk", "customer_id", "name"):
            self.members.setdefault((customer_id, name), [])
            if pk not in self.members[(customer_id, name)]:
                self.members[(customer_id, name)].append(pk)

    def clean_special(self, row: Row, data: dict[str, Any], obj: models.Model | None) -> dict[str, Any] | None:
        customer_id = self.customer_of_row(row, data, obj)
        if customer_id is None:
            return None
        name = v.text(self.cell(row, "insured")) if "insured" in self.mapping else ""
        if not name:
            data["insured_member_id"] = None
            return {}
        found = self.members.get((customer_id, name), [])
        if len(found) != 1:
            self.error(row, "insured", _("“%(name)s” is not one family member of this customer.") % {"name": name}
                       if not found else _("Several family members are called “%(name)s”.") % {"name": name})
            return None
        data["insured_member_id"] = found[0]
        return {}
