"""Writes on customers and their card. Each service: keyword-only, takes the acting user, checks
permission through the scoped queryset, validates, runs in one transaction, writes the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from audit.models import ChangeAction
from audit.services import change_record, change_records_bulk
from core import filetypes, masking
from core.concurrency import check_version
from core.models import diff_values, field_values, max_length
from core.services import apply_fields, get_scoped
from customers.models import Contact, Customer, CustomerDocument, FamilyMember, OwnershipTransfer, Tag
from customers.querysets import customer_scope
from customers.records.base import soft_delete
from customers.search import city_key, name_keys, phone_digits

# Fields a user edits on the card (everything but owner/team, which change by transfer only).
CUSTOMER_EDITABLE_FIELDS: list[str] = [
    f.name
    for f in Customer._meta.concrete_fields
    if f.editable and f.name not in {"id", "owner", "team", "deleted_at"}
]
CONTACT_FIELDS: list[str] = [
    f.name for f in Contact._meta.concrete_fields if f.editable and f.name not in {"id", "customer", "deleted_at"}
]
FAMILY_FIELDS: list[str] = [
    f.name for f in FamilyMember._meta.concrete_fields
    if f.editable and f.name not in {"id", "customer", "deleted_at"}
]
_AUDITED_CUSTOMER_FIELDS = [*CUSTOMER_EDITABLE_FIELDS, "owner", "team"]


# --- Derive and check: the rules every door shares ----------------------------------------------
# customer_create and customer_update run these before they write, and the customer importer runs
# them row by row before its bulk write (dataio.importers.customers): so the pages, the API and an
# import can never disagree on who may create a customer for whom, which team it belongs to, its
# search keys, or which values are plausible (Customer.clean(), run by full_clean() here and by the
# importer's per-value validation there).

# The stored values customer_derive() computes, each with the fields it follows: a bulk update that
# changes none of a value's sources leaves it as it is (the importer writes only what changed).
CUSTOMER_DERIVED_FROM: dict[str, frozenset[str]] = {
    "team": frozenset({"owner"}),  # the team follows the owner (one indexed column for team scope)
    "name_pinyin": frozenset({"name", "kind"}),  # a person's first character is read as a surname
    "name_initials": frozenset({"name", "kind"}),
    "phone_digits": frozenset({"phone", "phone_alt"}),
    "city_pinyin": frozenset({"city"}),
}


def customer_derived_fields(changed: Iterable[str]) -> list[str]:
    """The derived fields (CUSTOMER_DERIVED_FROM) that a change of the fields `changed` recomputes."""
    changed = set(changed)
    return [name for name, sources in CUSTOMER_DERIVED_FROM.items() if sources & changed]


def _refresh_search_keys(customer: Customer) -> None:
    customer.name_pinyin, customer.name_initials = name_keys(customer.name, customer.is_person)
    customer.phone_digits = phone_digits(customer.phone, customer.phone_alt)
    customer.city_pinyin = city_key(customer.city)


def customer_derive(customer: Customer, *, owner: User | None = None, now: datetime | None = None) -> None:
    """Set on `customer` (in memory, no query) every value that follows from others:

    - given an `owner` (a new customer): the owner, and the team — the owner's team;
    - a new card counts as verified when it is created (`now`, default: the current time), not as stale;
    - the search keys follow the name, the kind, the phones and the city (CUSTOMER_DERIVED_FROM).
    """
    if owner is not None:
        customer.owner = owner
        customer.team_id = owner.team_id
    if customer._state.adding and customer.last_verified_at is None:
        customer.last_verified_at = now or timezone.now()
    _refresh_search_keys(customer)


def _check_owner(owner: User) -> None:
    if not owner.is_active:
        raise ValidationError({"owner": _("The owner must be an active user.")})
    if not owner.may_own_customers:
        raise ValidationError({"owner": _("%(user)s has a read-only role and cannot own customers.")
                               % {"user": owner}})


def customer_check_new(*, actor: User, owner: User | None = None) -> User:
    """The owner of a customer `actor` creates — `owner`, default the actor — once checked (no query):
    the actor may create customers (PermissionDenied), the owner may own customers (an active user
    whose role is not read-only), and a customer is given to someone else only by a user who may
    transfer, and only within the actor's team unless the actor sees every customer: the users
    customers.selectors.owners_assignable() offers on the form and the API (ValidationError on
    "owner")."""
    if not actor.can(Cap.ADD):
        raise PermissionDenied(_("You may not create customers."))
    owner = owner or actor
    _check_owner(owner)
    if owner.pk != actor.pk:
        if not actor.can(Cap.TRANSFER):
            raise PermissionDenied(_("You may only create customers that you own."))
        if not actor.sees_all_customers and (actor.team_id is None or owner.team_id != actor.team_id):
            raise ValidationError({"owner": _("Choose a user you may give customers to.")})
    return owner


def external_id_scope(*, owner_id: int, team_id: int | None) -> models.Q:
    """The customers an external ID must be unique among: the team's, or the owner's when the
    customer has no team (the two unique constraints on Customer)."""
    return models.Q(team_id=team_id) if team_id else models.Q(owner_id=owner_id, team__isnull=True)


def external_id_problem(
    *, actor: User, external_id: str | None, owner_id: int, team_id: int | None, exclude_pk: int | None = None
) -> str:
    """Why `external_id` cannot be given to a customer of this owner and team ("" if it can).

    Only customers the actor may see count (and those of the target scope, which a user who is not
    an administrator always sees): a number used by another team neither blocks the actor nor is
    confirmed to exist. Deleted customers count: they keep their number for restore and merge."""
    if not external_id:
        return ""
    clash = Customer.objects.filter(external_id=external_id)
    if not actor.sees_all_customers:  # (customer_scope's Q() for "all" would vanish in an OR)
        clash = clash.filter(external_id_scope(owner_id=owner_id, team_id=team_id) | customer_scope(actor, "view"))
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        return _("Another customer already has the external ID “%(value)s”.") % {"value": external_id}
    return ""


def _check_external_id(actor: User, customer: Customer) -> None:
    problem = external_id_problem(actor=actor, external_id=customer.external_id, owner_id=customer.owner_id,
                                  team_id=customer.team_id, exclude_pk=customer.pk)
    if problem:
        raise ValidationError({"external_id": problem})


@transaction.atomic
def customer_create(
    *, actor: User, data: Mapping[str, Any], owner: User | None = None, tags: Iterable[Tag] = ()
) -> Customer:
    """Create a customer owned by `owner` (default: the actor)."""
    owner = customer_check_new(actor=actor, owner=owner)
    customer = Customer()
    apply_fields(customer, data, CUSTOMER_EDITABLE_FIELDS)
    customer_derive(customer, owner=owner)
    _check_external_id(actor, customer)
    customer.full_clean()
    customer.save()
    if tags:
        customer.tags.set(tags)
    after = field_values(customer, _AUDITED_CUSTOMER_FIELDS)
    after = {k: v for k, v in after.items() if v not in (None, "")}
    if tags:
        after["tags"] = sorted(t.name for t in tags)
    change_record(user=actor, instance=customer, action=ChangeAction.CREATE, customer_id=customer.pk,
                  changes={k: [None, v] for k, v in after.items()})
    return customer


@transaction.atomic
def customer_update(
    *, actor: User, customer_id: int, data: Mapping[str, Any], tags: Iterable[Tag] | None = None,
    expected_version: str | Iterable[str] | None = None,
) -> Customer:
    """Change fields of the card; records before/after of every changed field. With
    `expected_version` (the version the user edited, core.concurrency) a card changed meanwhile is
    refused with StaleWrite instead of reverting the other change."""
    customer = get_scoped(Customer.objects.select_for_update(), actor, "change", customer_id)
    check_version(customer, expected_version)
    data = masking.writable_data(actor, customer, data)  # a field the actor sees masked keeps its value
    before = field_values(customer, CUSTOMER_EDITABLE_FIELDS)
    apply_fields(customer, data, CUSTOMER_EDITABLE_FIELDS)
    customer_derive(customer)
    if customer.external_id != before["external_id"]:
        _check_external_id(actor, customer)
    customer.full_clean()
    changes = diff_values(before, field_values(customer, CUSTOMER_EDITABLE_FIELDS))
    if tags is not None:
        old = sorted(customer.tags.values_list("name", flat=True))
        new = sorted({t.name for t in tags})
        if old != new:
            customer.tags.set(tags)
            changes["tags"] = [old, new]
    if changes:
        customer.save()
        change_record(
            user=actor, instance=customer, action=ChangeAction.UPDATE, customer_id=customer.pk, changes=changes
        )
    return customer


@transaction.atomic
def customer_mark_verified(*, actor: User, customer_id: int) -> Customer:
    """Record that the card's data was checked with the customer today (动态管理)."""
    customer = get_scoped(Customer.objects.select_for_update(), actor, "change", customer_id)
    before = customer.last_verified_at
    customer.last_verified_at = timezone.now()
    customer.save(update_fields=["last_verified_at", "updated_at"])
    change_record(user=actor, instance=customer, action=ChangeAction.VERIFY, customer_id=customer.pk,
                  changes={"last_verified_at": [str(before) if before else None, str(customer.last_verified_at)]})
    return customer


@transaction.atomic
def customer_delete(*, actor: User, customer_id: int) -> Customer:
    """Soft-delete: the customer disappears from every list and can be restored by an administrator."""
    return soft_delete(Customer, actor=actor, pk=customer_id, action="delete", customer_field="pk")


@transaction.atomic
def customer_restore(*, actor: User, customer_id: int) -> Customer:
    customer = get_scoped(Customer.objects.select_for_update(), actor, "restore", customer_id)
    if customer.merged_into_id:
        # Its records now belong to the other customer: only undoing the merge brings them back.
        raise ValidationError(_("This customer was merged into another; undo the merge instead."))
    before = customer.deleted_at
    customer.deleted_at = None
    customer.save(update_fields=["deleted_at", "updated_at"])
    change_record(user=actor, instance=customer, action=ChangeAction.RESTORE, customer_id=customer.pk,
                  changes={"deleted_at": [str(before), None]})
    return customer


def _validate_transfer(to_user: User, reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the owner changes.")})
    _check_owner(to_user)
    return reason


@transaction.atomic
def customer_transfer_owner(
    *, actor: User, customer_id: int, to_user: User, reason: str
) -> OwnershipTransfer:
    """Give the customer a new owner (and the owner's team); recorded with who, when and why."""
    reason = _validate_transfer(to_user, reason)
    customer = get_scoped(Customer.objects.select_for_update(), actor, "transfer", customer_id)
    if customer.owner_id == to_user.pk:
        raise ValidationError({"to_user": _("%(user)s already owns this customer.") % {"user": to_user}})
    transfers = _transfer(actor=actor, customers=[customer], to_user=to_user, reason=reason)
    return transfers[0]


@transaction.atomic
def customers_bulk_transfer_owner(
    *, actor: User, customer_ids: Iterable[int], to_user: User, reason: str
) -> list[OwnershipTransfer]:
    """Transfer many customers at once: all of them or, if any is out of reach, none."""
    reason = _validate_transfer(to_user, reason)
    ids = sorted(set(customer_ids))
    customers = list(Customer.objects.restrict(actor, "transfer").select_for_update().filter(pk__in=ids))
    if len(customers) != len(ids):
        raise PermissionDenied(_("Some of the selected customers are not yours to transfer."))
    return _transfer(actor=actor, customers=customers, to_user=to_user, reason=reason)


def _check_external_ids_move(moving: list[Customer], to_user: User) -> None:
    """External IDs are unique per team (ADR 0006): a transfer must not bring two customers with one
    number together. Only administrators transfer across teams, and they see every team."""
    numbers = [c.external_id for c in moving if c.external_id]
    if not numbers:
        return
    taken = set(
        Customer.objects.filter(external_id_scope(owner_id=to_user.pk, team_id=to_user.team_id),
                                external_id__in=numbers)
        .exclude(pk__in=[c.pk for c in moving]).values_list("external_id", flat=True)
    )
    taken |= {n for n in numbers if numbers.count(n) > 1}
    if taken:
        raise ValidationError({"to_user": _(
            "%(user)s's team already has a customer with the external ID “%(value)s”: merge the two or change "
            "one number first."
        ) % {"user": to_user, "value": min(taken)}})  # type: ignore[type-var]  # external_id__in=numbers: no None


def _transfer(
    *, actor: User, customers: list[Customer], to_user: User, reason: str
) -> list[OwnershipTransfer]:
    moving = [c for c in customers if c.owner_id != to_user.pk]
    _check_external_ids_move(moving, to_user)
    now = timezone.now()
    transfers = OwnershipTransfer.objects.bulk_create(
        [
            OwnershipTransfer(
                customer=c, from_user_id=c.owner_id, to_user=to_user, actor=actor, reason=reason, at=now
            )
            for c in moving
        ]
    )
    Customer.objects.filter(pk__in=[c.pk for c in moving]).update(
        owner=to_user, team_id=to_user.team_id, updated_at=now
    )
    for c in moving:
        change_record(user=actor, instance=c, action=ChangeAction.TRANSFER, customer_id=c.pk, note=reason,
                      changes={"owner": [c.owner_id, to_user.pk], "team": [c.team_id, to_user.team_id]})
    return transfers


@transaction.atomic
def customers_bulk_add_tag(*, actor: User, customer_ids: Iterable[int], tag: Tag) -> int:
    """Add a tag to many customers; all or none. Returns how many gained the tag."""
    ids = sorted(set(customer_ids))
    customers = list(Customer.objects.restrict(actor, "change").filter(pk__in=ids))
    if len(customers) != len(ids):
        raise PermissionDenied(_("Some of the selected customers are not yours to change."))
    tagged = Customer.tags.through.objects.filter(tag=tag, customer_id__in=ids)
    already = set(tagged.values_list("customer_id", flat=True))
    gaining = [c for c in customers if c.pk not in already]
    Customer.tags.through.objects.bulk_create(
        [Customer.tags.through(customer_id=c.pk, tag_id=tag.pk) for c in gaining]
    )
    # A new version of each card (core.concurrency): an edit form opened before would drop the tag.
    Customer.objects.filter(pk__in=[c.pk for c in gaining]).update(updated_at=timezone.now())
    change_records_bulk(
        user=actor, instances=gaining, action=ChangeAction.UPDATE, changes={"tags": [None, f"+{tag.name}"]}
    )
    return len(gaining)


# --- Tags ------------------------------------------------------------------------------------

TAG_NAME_MAX = max_length(Tag, "name")


def tag_name_problem(name: str) -> str:
    """Why `name` cannot be a tag's name ("" when it can): a name longer than the column is refused
    with its length, never cut to fit (a cut name would silently be another tag)."""
    name = (name or "").strip()
    if len(name) > TAG_NAME_MAX:
        return _("A tag may have at most %(max)d characters; “%(start)s…” has %(length)d.") % {
            "max": TAG_NAME_MAX, "start": name[:10], "length": len(name)}
    return ""


def _check_tag_name(name: str) -> str:
    name = (name or "").strip()
    problem = tag_name_problem(name)
    if problem:
        raise ValidationError({"name": problem})
    return name


@transaction.atomic
def tag_create(*, actor: User, name: str) -> Tag:
    if not actor.can(Cap.CHANGE):
        raise PermissionDenied(_("You may not create tags."))
    tag = Tag(name=_check_tag_name(name))
    tag.full_clean()
    tag.save()
    change_record(user=actor, instance=tag, action=ChangeAction.CREATE, changes={"name": [None, tag.name]})
    return tag


@transaction.atomic
def tag_rename(*, actor: User, tag_id: int, name: str) -> Tag:
    tag = get_scoped(Tag.objects, actor, "change", tag_id)
    before = tag.name
    tag.name = _check_tag_name(name)
    tag.full_clean()
    tag.save()
    change_record(user=actor, instance=tag, action=ChangeAction.UPDATE, changes={"name": [before, tag.name]})
    return tag


@transaction.atomic
def tag_delete(*, actor: User, tag_id: int) -> None:
    """Remove a tag from every customer. Administrators and managers only (it touches all teams)."""
    if not actor.can(Cap.DELETE):
        raise PermissionDenied(_("You may not delete tags."))
    tag = get_scoped(Tag.objects, actor, "change", tag_id)
    tagged = list(Customer.tags.through.objects.filter(tag=tag).values_list("customer_id", flat=True))
    change_record(
        user=actor, instance=tag, action=ChangeAction.DELETE, changes={"name": [tag.name, None], "customers": tagged}
    )
    tag.delete()


# --- Contacts and family members: records that belong to one customer ------------------------

def _child_create(*, actor: User, model: type[Contact | FamilyMember], fields: list[str], customer_id: int,
                  data: Mapping[str, Any]) -> Any:
    customer = get_scoped(Customer.objects, actor, "change", customer_id)
    obj = model(customer=customer)
    apply_fields(obj, data, fields)
    obj.full_clean()
    obj.save()
    after = {k: v for k, v in field_values(obj, fields).items() if v not in (None, "")}
    change_record(user=actor, instance=obj, action=ChangeAction.CREATE, customer_id=customer.pk,
                  changes={k: [None, v] for k, v in after.items()})
    return obj


def _child_update(*, actor: User, model: type[Contact | FamilyMember], fields: list[str], pk: int,
                  data: Mapping[str, Any], expected_version: str | Iterable[str] | None = None) -> Any:
    obj = get_scoped(model.objects.select_for_update(), actor, "change", pk)
    check_version(obj, expected_version)
    data = masking.writable_data(actor, obj, data)  # a field the actor sees masked keeps its value
    before = field_values(obj, fields)
    apply_fields(obj, data, fields)
    obj.full_clean()
    changes = diff_values(before, field_values(obj, fields))
    if changes:
        obj.save()
        change_record(
            user=actor, instance=obj, action=ChangeAction.UPDATE, customer_id=obj.customer_id, changes=changes
        )
    return obj


def _child_delete(*, actor: User, model: type[Contact | FamilyMember | CustomerDocument], pk: int) -> Any:
    return soft_delete(model, actor=actor, pk=pk)


@transaction.atomic
def contact_create(*, actor: User, customer_id: int, data: Mapping[str, Any]) -> Contact:
    return _child_create(actor=actor, model=Contact, fields=CONTACT_FIELDS, customer_id=customer_id, data=data)


@transaction.atomic
def contact_update(
    *, actor: User, contact_id: int, data: Mapping[str, Any], expected_version: str | Iterable[str] | None = None
) -> Contact:
    """Change a contact; with `expected_version`, StaleWrite if it changed meanwhile (core.concurrency)."""
    return _child_update(actor=actor, model=Contact, fields=CONTACT_FIELDS, pk=contact_id, data=data,
                         expected_version=expected_version)


@transaction.atomic
def contact_delete(*, actor: User, contact_id: int) -> Contact:
    return _child_delete(actor=actor, model=Contact, pk=contact_id)


@transaction.atomic
def family_member_create(*, actor: User, customer_id: int, data: Mapping[str, Any]) -> FamilyMember:
    return _child_create(
        actor=actor, model=FamilyMember, fields=FAMILY_FIELDS, customer_id=customer_id, data=data
    )


@transaction.atomic
def family_member_update(
    *, actor: User, family_member_id: int, data: Mapping[str, Any],
    expected_version: str | Iterable[str] | None = None,
) -> FamilyMember:
    """Change a family member; with `expected_version`, StaleWrite if it changed meanwhile (core.concurrency)."""
    return _child_update(actor=actor, model=FamilyMember, fields=FAMILY_FIELDS, pk=family_member_id, data=data,
                         expected_version=expected_version)


@transaction.atomic
def family_member_delete(*, actor: User, family_member_id: int) -> FamilyMember:
    return _child_delete(actor=actor, model=FamilyMember, pk=family_member_id)


# --- Documents ---------------------------------------------------------------------------------

def _validate_upload(upload: UploadedFile) -> str:
    name, size = upload.name or "", upload.size or 0
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in settings.KEHU_DOCUMENT_EXTENSIONS:
        raise ValidationError(
            {"file": _("Files of type “%(ext)s” are not accepted. Accepted: %(allowed)s.")
             % {"ext": ext or "?", "allowed": ", ".join(settings.KEHU_DOCUMENT_EXTENSIONS)}}
        )
    if size > settings.KEHU_DOCUMENT_MAX_BYTES:
        raise ValidationError(
            {"file": _("The file is %(size)s MB; the limit is %(limit)s MB.")
             % {"size": round(size / 1048576, 1),
                "limit": round(settings.KEHU_DOCUMENT_MAX_BYTES / 1048576, 1)}}
        )
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    # The name alone says nothing: a web page renamed "offer.pdf" must not be stored as a PDF.
    problem = filetypes.content_problem(ext, upload)
    if problem == filetypes.MARKUP:
        raise ValidationError({"file": _(
            "“%(name)s” contains a web page or script (HTML, SVG or XML); a text document must be plain text."
        ) % {"name": name}})
    if problem:
        raise ValidationError({"file": _(
            "The content of “%(name)s” is not a real .%(ext)s file. Upload the document in the format its"
            " name says."
        ) % {"name": name, "ext": ext}})
    return ext


@transaction.atomic
def document_upload(
    *, actor: User, customer_id: int, upload: UploadedFile, description: str = ""
) -> CustomerDocument:
    """Put a file in the customer's folder after checking its type and size."""
    customer = get_scoped(Customer.objects, actor, "change", customer_id)
    _validate_upload(upload)
    doc = CustomerDocument(
        customer=customer, original_name=(upload.name or "")[:255],
        content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:100],
        size=upload.size or 0, uploaded_by=actor, description=description[:255],
    )
    doc.file.save(upload.name or "", upload, save=False)
    doc.save()
    change_record(user=actor, instance=doc, action=ChangeAction.CREATE, customer_id=customer.pk,
                  changes={"file": [None, doc.original_name], "size": [None, doc.size]})
    return doc


@transaction.atomic
def document_delete(*, actor: User, document_id: int) -> CustomerDocument:
    return _child_delete(actor=actor, model=CustomerDocument, pk=document_id)
