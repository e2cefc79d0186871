"""Importer of interactions (calls, visits, e-mails, …), validated by the interaction form."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import Cap
from customers.models import Contact
from dataio import values as v
from dataio.importers.base import ImportField, ModelImporter, form_fields
from dataio.importers.commerce import CustomerRecordRows, resolve_customer
from dataio.importers.refs import CustomerRefs, UserRefs
from dataio.mapping import synonyms
from dataio.readers import Row
from interactions.forms import InteractionForm, staff_choices
from interactions.models import Interaction
from interactions.services import INTERACTION_FIELDS

FORM_FIELDS = ["channel", "direction", "occurred_at", "subject", "content", "outcome"]


class InteractionImporter(CustomerRecordRows, ModelImporter):
    """Interactions by their external ID; the customer by its external ID (or exact name); the staff
    member by username or name (empty: the importing user); the contact person by name or external ID
    among the customer's contacts."""

    deleted_skipped = gettext_lazy("Rows of deleted interactions are skipped.")

    kind = "interactions"
    label = gettext_lazy("Interactions")
    description = gettext_lazy(
        "One row per call, visit, e-mail or other contact. The customer column holds the customer's external "
        "ID (or its exact name)."
    )
    model = Interaction
    audit_fields: ClassVar[list[str]] = INTERACTION_FIELDS
    special = frozenset({"customer", "staff", "contact"})

    @classmethod
    def permitted(cls, user: User) -> bool:
        return user.can(Cap.CHANGE)

    @classmethod
    def available_fields(cls, user: User) -> list[ImportField]:
        names = synonyms(cls.kind)
        form = InteractionForm(user=user, customer_id=0, with_follow_up=False)
        return [
            ImportField("external_id", gettext_lazy("External ID"), key=True, synonyms=names["external_id"]),
            ImportField("customer", gettext_lazy("Customer"), kind="ref", required=True, synonyms=names["customer"],
                        help=gettext_lazy("The customer's external ID, or its exact name.")),
            *form_fields(form, FORM_FIELDS, names, required=["channel", "occurred_at", "subject"]),
            ImportField("staff", gettext_lazy("Staff member"), kind="ref", synonyms=names["staff"],
                        help=gettext_lazy("Username or full name. Empty: you.")),
            ImportField("contact", gettext_lazy("Contact person"), kind="ref",
                        synonyms=("联系人", "联系人姓名", "contact", "contact person"),
                        help=gettext_lazy("Name or external ID of one of the customer's contacts.")),
        ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.customers = CustomerRefs(self.user)
        self.people = UserRefs(staff_choices(self.user)) if "staff" in self.mapping else None
        self.changeable: set[int] = set()
        self.contacts: dict[int, dict[str, int | None]] = {}

    def make_form(self) -> forms.BaseForm:
        return InteractionForm(user=self.user, customer_id=0, with_follow_up=False)

    def find(self, keys: list[str]) -> dict[str, models.Model]:
        found = {i.external_id: i for i in Interaction.objects.filter(external_id__in=keys)}
        self.changeable = set(Interaction.objects.restrict(self.user, "change")
                              .filter(pk__in=[i.pk for i in found.values()]).values_list("pk", flat=True))
        return found

    def prepare_batch(self, rows: list[Row]) -> None:
        self.customers.resolve({v.text(self.cell(r, "customer")) for r in rows})
        if "contact" in self.mapping:
            ids = set(self.customers.found.values()) - set(self.contacts)
            for cid in ids:
                self.contacts[cid] = {}
            for pk, cid, name, ext in Contact.objects.filter(customer_id__in=ids, deleted_at__isnull=True).values_list(
                "pk", "customer_id", "name", "external_id"
            ):
                by = self.contacts[cid]
                by[v.normal_key(name)] = None if v.normal_key(name) in by else pk  # two of that name: ambiguous
                if ext:
                    by[v.normal_key(ext)] = pk

    def clean_special(self, row: Row, data: dict[str, Any], obj: models.Model | None) -> dict[str, Any] | None:
        customer_id = resolve_customer(self, row, obj)
        if customer_id is None:
            return None
        if obj is None:
            data["customer_id"] = customer_id
            data["staff_id"] = self.user.pk
        if self.people is not None:
            raw = v.text(self.cell(row, "staff"))
            if raw:
                person, problem = self.people.get(raw)
                if person is None:
                    self.error(row, "staff", problem)
                    return None
                data["staff_id"] = person.pk
        raw = v.text(self.cell(row, "contact"))
        if raw:
            pk = self.contacts.get(customer_id, {}).get(v.normal_key(raw))
            if pk is None:
                self.error(row, "contact", _("The customer has no (single) contact person “%(name)s”.")
                           % {"name": raw})
                return None
            data["contact_id"] = pk
        return {}
