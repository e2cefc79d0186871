"""The importer of holdings (the wealth desk, D2): one row per holding, the customer by its external
ID (or exact name), validated by the holding form's and the model's rules, all-or-nothing like every
import. A role that sees assets masked may not import holdings (their amounts are assets, D12)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import Cap
from core import masking
from dataio.importers.base import ImportField, ModelImporter, form_fields
from dataio.importers.commerce import CustomerRecordRows
from dataio.importers.refs import CustomerRefs
from dataio.mapping import synonyms
from dataio.readers import Row
from wealth.forms_holdings import HoldingForm
from wealth.models import Holding
from wealth.services_holdings import HOLDING_FIELDS

REQUIRED = ["asset_class", "product_name", "amount"]


class HoldingImporter(CustomerRecordRows, ModelImporter):
    """Holdings, by the holding's external ID; the customer by its external ID (or exact name)."""

    deleted_skipped = gettext_lazy("Rows of deleted holdings are skipped.")

    kind = "holdings"
    label = gettext_lazy("Holdings")
    description = gettext_lazy(
        "One row per holding (a deposit, a fund, a loan …) with its value today. The customer column holds the "
        "customer's external ID (or its exact name); a row whose holding ID exists updates that holding."
    )
    model = Holding
    audit_fields: ClassVar[list[str]] = HOLDING_FIELDS
    special = frozenset({"customer"})

    @classmethod
    def permitted(cls, user: User) -> bool:
        return user.can(Cap.CHANGE) and not masking.masks(user, Holding, "amount")

    @classmethod
    def available_fields(cls, user: User) -> list[ImportField]:
        names = synonyms(cls.kind)
        fields = form_fields(HoldingForm(user=user), HOLDING_FIELDS, names, required=REQUIRED, key="external_id")
        # The holding's ID first (it identifies the row), then its customer.
        fields.sort(key=lambda f: not f.key)
        fields.insert(1, ImportField("customer", gettext_lazy("Customer"), kind="ref", required=True,
                                     synonyms=names["customer"],
                                     help=gettext_lazy("The customer's external ID, or its exact name.")))
        return fields

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.customers = CustomerRefs(self.user)
        self.changeable: set[int] = set()

    def make_form(self) -> forms.BaseForm:
        return HoldingForm(user=self.user)

    def find(self, keys: list[str]) -> dict[str, models.Model]:
        found = {h.external_id: h for h in Holding.objects.filter(external_id__in=keys)}
        self.changeable = set(Holding.objects.restrict(self.user, "change")
                              .filter(pk__in=[h.pk for h in found.values()]).values_list("pk", flat=True))
        return found

    def prepare_batch(self, rows: list[Row]) -> None:
        from dataio import values as v

        self.customers.resolve({v.text(self.cell(r, "customer")) for r in rows})

    def clean_special(self, row: Row, data: dict[str, Any], obj: models.Model | None) -> dict[str, Any] | None:
        customer_id = self.customer_of_row(row, data, obj)
        if customer_id is None:
            return None
        return {}
