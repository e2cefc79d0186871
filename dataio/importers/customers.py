"""Importers of customers and their contacts, validated by the customer pages' own forms."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import Cap
from audit.models import ChangeAction
from audit.services import change_records_bulk
from customers.forms import CUSTOMER_FORM_FIELDS, ContactForm, CustomerForm, masked_fields
from customers.models import Contact, Customer, Tag, guess_id_type
from customers.querysets import customer_scope
from customers.search import CUSTOMER_TEXT_INDEX
from customers.selectors import owners_assignable
from customers.services import (
    CONTACT_FIELDS,
    CUSTOMER_EDITABLE_FIELDS,
    TAG_NAME_MAX,
    customer_check_new,
    customer_derive,
    customer_derived_fields,
    tag_name_problem,
)
from dataio import values as v
from dataio.importers.base import ImportField, ModelImporter, Pending, form_fields
from dataio.importers.refs import CustomerRefs, UserRefs
from dataio.mapping import synonyms
from dataio.readers import Row


class CustomerImporter(ModelImporter):
    """Customers by external ID. New customers belong to the importing user (or to the owner column,
    for users who may transfer); existing ones are updated when the user may change them.

    The rules are the services' own "derive and check" step (customers.services): who may create a
    customer for whom (customer_check_new), the team, the verified date and the search keys
    (customer_derive), the card's plausibility (Customer.clean()); only the write is in bulk."""

    kind = "customers"
    label = gettext_lazy("Customers")
    description = gettext_lazy(
        "One row per customer. The external ID (your number for the customer) decides whether a row "
        "creates a customer or updates the one imported before; rows without one create new customers."
    )
    model = Customer
    customer_attr = "pk"
    audit_fields: ClassVar[list[str]] = [*CUSTOMER_EDITABLE_FIELDS, "owner", "team"]
    special = frozenset({"owner", "tags"})

    @classmethod
    def permitted(cls, user: User) -> bool:
        return user.can(Cap.ADD)

    @classmethod
    def available_fields(cls, user: User) -> list[ImportField]:
        form = CustomerForm(user=user, creating=True)
        fields = [
            # Optional as on the form: without it a row creates a customer (the dry run says so).
            dataclasses.replace(f, optional=True, help=gettext_lazy(
                "Optional: rows without one create new customers.")) if f.key else f
            for f in form_fields(form, CUSTOMER_FORM_FIELDS, synonyms(cls.kind), required=["name"], key="external_id")
        ]
        names = synonyms(cls.kind)
        if user.can(Cap.TRANSFER):
            fields.append(ImportField("owner", gettext_lazy("Owner"), kind="ref", synonyms=names["owner"],
                                      help=gettext_lazy("Username or full name. Empty: you.")))
        fields.append(ImportField(
            "tags", gettext_lazy("Tags"), kind="list", synonyms=names["tags"],
            help=gettext_lazy("Several tags separated by commas. Tags are added, never removed."),
        ))
        return fields

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.masked = set(masked_fields(self.user))
        self.owners = UserRefs(owners_assignable(self.user)) if "owner" in self.mapping else None
        self.tags = {t.name: t for t in Tag.objects.all()}
        self.new_tags: dict[str, Tag] = {}
        self.changeable: set[int] = set()
        self.ambiguous: set[str] = set()
        self.current_tags: dict[int, set[str]] = {}

    def make_form(self) -> forms.BaseForm:
        return CustomerForm(user=self.user, creating=True)

    def text_index(self) -> Any:
        return CUSTOMER_TEXT_INDEX

    def find(self, keys: list[str]) -> dict[str, models.Model]:
        # Only customers the user may see are looked up (deleted ones too, for the "skipped" note):
        # a number another team uses is simply free here (ADR 0006), and no answer confirms it.
        found: dict[str, models.Model] = {}
        self.ambiguous: set[str] = set()
        for c in Customer.objects.filter(customer_scope(self.user, "view"), external_id__in=keys).order_by("pk"):
            if c.external_id in found:  # several teams use it: only a user who sees them all meets this
                self.ambiguous.add(c.external_id)
            found.setdefault(c.external_id, c)
        ids = [c.pk for c in found.values() if c.deleted_at is None]
        self.changeable = set(
            Customer.objects.restrict(self.user, "change").filter(pk__in=ids).values_list("pk", flat=True)
        )
        if "tags" in self.mapping and ids:
            self.current_tags = {}
            for cid, name in Customer.tags.through.objects.filter(customer_id__in=ids).values_list(
                "customer_id", "tag__name"
            ):
                self.current_tags.setdefault(cid, set()).add(name)
        return found

    def check_existing(self, row: Row, obj: models.Model) -> bool:
        if obj.external_id in self.ambiguous:
            self.error(row, self.key, _("Customers of several teams have this external ID: change them on "
                                        "their cards."))
            return False
        if obj.deleted_at is not None:
            self.report.skip += 1
            if obj.merged_into_id:
                self.report.note(_("Rows of customers that were merged into another are skipped (not changed)."))
            else:
                self.report.note(_("Rows of deleted customers are skipped: an administrator can restore them."))
            return False
        if obj.pk not in self.changeable:
            self.error(row, self.key, _("This customer exists but you may not change it."))
            return False
        return True

    def clean_cells(self, row: Row, obj: models.Model | None) -> dict[str, Any] | None:
        data = super().clean_cells(row, obj)
        if data is not None and obj is not None:
            for name in self.masked & set(data):
                # The user sees this value masked: a masked value must never be written back.
                del data[name]
                self.report.note(_("“%(column)s” is not changed on existing customers: your role sees it masked.")
                                 % {"column": self.column(name)})
        if data is not None and data.get("id_number") and not data.get("id_type") and not getattr(obj, "id_type", ""):
            # What Customer.clean() derives, named here so that an update writes it too.
            data["id_type"] = guess_id_type(data["id_number"])
        return data

    def clean_special(self, row: Row, data: dict[str, Any], obj: models.Model | None) -> dict[str, Any] | None:
        extra: dict[str, Any] = {}
        if self.owners is not None:
            raw = v.text(self.cell(row, "owner"))
            owner = self.user
            if raw:
                owner, problem = self.owners.get(raw)
                if owner is None:
                    self.error(row, "owner", problem)
                    return None
            if obj is None:
                extra["owner"] = owner
            elif owner.pk != obj.owner_id and raw:
                self.report.note(_("The owner column is used for new customers only: transfer existing ones."))
        if obj is None:
            try:
                extra["owner"] = customer_check_new(actor=self.user, owner=extra.get("owner"))
            except (PermissionDenied, ValidationError) as exc:
                self.error(row, "owner" if "owner" in self.mapping else self.key, " ".join(_messages(exc)))
                return None
        if "tags" in self.mapping:
            names = v.split_list(self.cell(row, "tags"))
            too_long = tag_name_problem(next((n for n in names if len(n) > TAG_NAME_MAX), ""))
            if too_long:
                self.error(row, "tags", too_long)  # refused, never cut: a cut tag is another tag
                return None
            for name in names:
                if name not in self.tags and name not in self.new_tags:
                    if not self.user.can(Cap.CHANGE):
                        self.error(row, "tags", _("You may not create tags."))
                        return None
                    self.new_tags[name] = Tag(name=name)
                    self.report.note(_("New tags are created: %(tags)s") % {"tags": name})
            old = self.current_tags.get(obj.pk, set()) if obj is not None else set()
            adding = sorted(set(names) - old)
            if adding:
                extra["tags"] = adding
                if obj is None:
                    extra["audit"] = {"tags": sorted(names)}
                else:
                    extra["changes"] = {"tags": [sorted(old), sorted(old | set(names))]}
        return extra

    def always_validated(self) -> set[str]:
        return {"kind", "name"}

    def after_apply(self, pending: Pending) -> None:
        # Owner and team of a new customer (checked in clean_special), its verified date, search keys.
        customer_derive(pending.obj, owner=pending.extra["owner"] if pending.changes is None else None, now=self.now)

    def update_fields(self, pending: Pending) -> list[str]:
        names = super().update_fields(pending)
        return names + customer_derived_fields(names)

    def write(self) -> None:
        if self.new_tags:
            created = Tag.objects.bulk_create(list(self.new_tags.values()))
            change_records_bulk(user=self.user, instances=created, action=ChangeAction.CREATE,
                                changes=lambda t: {"name": [None, t.name]}, customer_attr=None,
                                note=self.note)
            self.tags.update({t.name: t for t in created})
            self.new_tags = {}
        tagged = [(p.obj, p.extra["tags"]) for p in [*self.creates, *self.updates] if p.extra.get("tags")]
        super().write()
        if tagged:
            through = Customer.tags.through
            through.objects.bulk_create(
                [through(customer_id=c.pk, tag_id=self.tags[name].pk) for c, names in tagged for name in names],
                batch_size=1000, ignore_conflicts=True,
            )
            for c, names in tagged:
                self.current_tags.setdefault(c.pk, set()).update(names)


def _messages(exc: Exception) -> list[str]:
    return list(exc.messages) if isinstance(exc, ValidationError) else [str(exc)]


class ContactImporter(ModelImporter):
    """Contact persons of customers, by the contact's external ID; the customer column names the
    customer by its external ID (or its exact name)."""

    kind = "contacts"
    label = gettext_lazy("Contacts")
    description = gettext_lazy(
        "One row per contact person. The customer column holds the customer's external ID (or its exact "
        "name); the contact's own external ID decides between creating and updating."
    )
    model = Contact
    audit_fields: ClassVar[list[str]] = [*CONTACT_FIELDS, "external_id"]
    special = frozenset({"customer"})

    @classmethod
    def permitted(cls, user: User) -> bool:
        return user.can(Cap.CHANGE)

    @classmethod
    def available_fields(cls, user: User) -> list[ImportField]:
        names = synonyms(cls.kind)
        fields = [
            ImportField("external_id", gettext_lazy("Contact's external ID"), key=True,
                        synonyms=names["external_id"]),
            ImportField("customer", gettext_lazy("Customer"), kind="ref", required=True, synonyms=names["customer"],
                        help=gettext_lazy("The customer's external ID, or its exact name.")),
        ]
        return fields + form_fields(ContactForm(user=user), CONTACT_FIELDS, names, required=["name"])

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.customers = CustomerRefs(self.user)
        self.changeable: set[int] = set()

    def make_form(self) -> forms.BaseForm:
        return ContactForm(user=self.user)

    def find(self, keys: list[str]) -> dict[str, models.Model]:
        found = {c.external_id: c for c in Contact.objects.filter(external_id__in=keys)}
        self.changeable = set(
            Contact.objects.restrict(self.user, "change").filter(pk__in=[c.pk for c in found.values()])
            .values_list("pk", flat=True)
        )
        return found

    def prepare_batch(self, rows: list[Row]) -> None:
        self.customers.resolve({v.text(self.cell(r, "customer")) for r in rows})

    def check_existing(self, row: Row, obj: models.Model) -> bool:
        if obj.pk not in self.changeable:
            if obj.deleted_at is not None:
                self.report.skip += 1
                self.report.note(_("Rows of deleted contacts are skipped."))
            else:
                self.error(row, self.key, _("This contact exists but you may not change it."))
            return False
        return True

    def clean_special(self, row: Row, data: dict[str, Any], obj: models.Model | None) -> dict[str, Any] | None:
        ref = v.text(self.cell(row, "customer"))
        if not ref:
            if obj is None:
                self.error(row, "customer", self.rules.required_message("customer"))
                return None
            return {}
        customer_id, problem = self.customers.get(ref)
        if customer_id is None:
            self.error(row, "customer", problem)
            return None
        if obj is None:
            data["customer_id"] = customer_id
        elif obj.customer_id != customer_id:
            self.error(row, "customer", _("This contact belongs to another customer; an import does not move it."))
            return None
        return {}

    def always_validated(self) -> set[str]:
        return {"customer"}
