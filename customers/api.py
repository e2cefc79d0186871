"""The customers part of the REST API: customers, contacts, family members and tags.

Same rules as the pages: reads go through the selectors (scoped and masked), writes through the
services (permission, validation, audit). A record outside the caller's scope is a 404 whether
it exists or not; a record the caller may see but not change is a 403.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import PlainSerializer, WrapValidator

from accounts.api import TeamRef, UserRef
from accounts.models import User
from audit.models import AccessAction
from audit.services import access_record
from core import concurrency, masking
from core.api import (
    ERROR_RESPONSES,
    ApiValidationError,
    DecimalIn,
    InSchema,
    cursor_page_schema,
    cursor_sign,
    cursor_unsign,
    json_response,
    partial_schema,
    times_as_text,
)
from core.masking import AMOUNT_MASK, DATE_MASK
from customers import selectors, services
from customers.choices import (
    CompanySize,
    CreditStanding,
    CustomerKind,
    Education,
    FamilyRelation,
    Gender,
    IdType,
    LegalForm,
    RiskPreference,
    SourceChannel,
)
from customers.models import Contact, Customer, FamilyMember, Tag

router = Router()

# --- Field types ---------------------------------------------------------------------------------


def _choice(choices: type, blank: bool = True) -> Any:
    """A Literal of a TextChoices' values (and "" where the field may be left empty)."""
    values = ("", *choices.values) if blank else tuple(choices.values)
    return Literal[values]  # type: ignore[valid-type]


def _str(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, Field(max_length=max_length, min_length=min_length)]


# Free-text blocks of the card: no limit in the database; a generous one against abuse.
Text = _str(10_000)
Score = Annotated[int | None, Field(ge=1, le=5)]

KindChoice = _choice(CustomerKind, blank=False)
GenderChoice = _choice(Gender)
IdTypeChoice = _choice(IdType)
EducationChoice = _choice(Education)
LegalFormChoice = _choice(LegalForm)
CompanySizeChoice = _choice(CompanySize)
CreditChoice = _choice(CreditStanding)
SourceChoice = _choice(SourceChannel)
RiskChoice = _choice(RiskPreference)
RelationChoice = _choice(FamilyRelation, blank=False)


def _as_read(value: Any, handler: Any) -> Any:
    """A value sent back as the caller read it, masked (core.masking's AMOUNT_MASK, DATE_MASK), is
    let through unparsed: the write keeps the stored value (masking.writable_data)."""
    return value if value in (AMOUNT_MASK, DATE_MASK) else handler(value)


# Validated as the field's type unless it is the mask; dumped as it came (a date or the mask).
_AS_READ, _AS_SENT = WrapValidator(_as_read), PlainSerializer(lambda value: value)


# --- Schemas -------------------------------------------------------------------------------------

class TagOut(Schema):
    id: int
    name: str


class TagIn(InSchema):
    name: _str(50, 1)  # type: ignore[valid-type]


class CustomerUpdateIn(InSchema):
    """Every field of the card a user edits. Owner and team change by transfer only. A field your
    role sees masked keeps its stored value: leave it out or send it back as you read it (a
    different value is refused with 403)."""

    kind: KindChoice = CustomerKind.PERSON.value  # type: ignore[valid-type]
    name: _str(200, 1)  # type: ignore[valid-type]
    external_id: _str(64) | None = None  # type: ignore[valid-type]
    # 1. Basic data
    phone: _str(30) = ""  # type: ignore[valid-type]
    phone_alt: _str(30) = ""  # type: ignore[valid-type]
    email: _str(254) = ""  # type: ignore[valid-type]
    wechat_id: _str(64) = ""  # type: ignore[valid-type]
    id_type: IdTypeChoice = Field("", description="resident_id, passport, …; derived when empty and the "  # type: ignore[valid-type]
                                  "number is a valid resident ID number.")
    id_number: _str(40) = ""  # type: ignore[valid-type]
    province: _str(50) = ""  # type: ignore[valid-type]
    city: _str(50) = ""  # type: ignore[valid-type]
    address: _str(255) = ""  # type: ignore[valid-type]
    postal_code: _str(12) = ""  # type: ignore[valid-type]
    birthday: Annotated[date | None, _AS_READ, _AS_SENT, Field(
        description=f'Or "{DATE_MASK}" as your role may read it.')] = None
    gender: GenderChoice = ""  # type: ignore[valid-type]
    occupation: _str(100) = ""  # type: ignore[valid-type]
    employer: _str(200) = ""  # type: ignore[valid-type]
    education: EducationChoice = ""  # type: ignore[valid-type]
    personality: Text = ""  # type: ignore[valid-type]
    hobbies: Text = ""  # type: ignore[valid-type]
    legal_representative: _str(100) = ""  # type: ignore[valid-type]
    business_owner: _str(100) = ""  # type: ignore[valid-type]
    managers: Text = ""  # type: ignore[valid-type]
    founded_on: date | None = None
    legal_form: LegalFormChoice = ""  # type: ignore[valid-type]
    industry: _str(100) = ""  # type: ignore[valid-type]
    company_size: CompanySizeChoice = ""  # type: ignore[valid-type]
    assets: Annotated[Annotated[Decimal, DecimalIn(max_digits=18, decimal_places=2)] | None, Field(description=(
        f'Or "{AMOUNT_MASK}" as your role may read it.')), _AS_READ, _AS_SENT] = None
    assets_currency: Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")] = "CNY"
    relationship_since: date | None = None
    # 2. Characteristics
    service_area: Text = ""  # type: ignore[valid-type]
    sales_capacity: Text = ""  # type: ignore[valid-type]
    growth_potential: Text = ""  # type: ignore[valid-type]
    business_philosophy: Text = ""  # type: ignore[valid-type]
    policies: Text = ""  # type: ignore[valid-type]
    scale: Text = ""  # type: ignore[valid-type]
    operating_style: Text = ""  # type: ignore[valid-type]
    # 3. Business status
    performance: Text = ""  # type: ignore[valid-type]
    staff_quality: Text = ""  # type: ignore[valid-type]
    competitor_relations: Text = ""  # type: ignore[valid-type]
    attitude_to_us: Text = ""  # type: ignore[valid-type]
    # 4. Transaction status
    current_sales_activity: Text = ""  # type: ignore[valid-type]
    problems: Text = ""  # type: ignore[valid-type]
    strengths: Text = ""  # type: ignore[valid-type]
    plans: Text = ""  # type: ignore[valid-type]
    image: Text = ""  # type: ignore[valid-type]
    reputation: Text = ""  # type: ignore[valid-type]
    credit_standing: CreditChoice = ""  # type: ignore[valid-type]
    trade_terms: Text = ""  # type: ignore[valid-type]
    credit_incidents: Text = ""  # type: ignore[valid-type]
    # Plus
    source_channel: SourceChoice = ""  # type: ignore[valid-type]
    risk_preference: RiskChoice = ""  # type: ignore[valid-type]
    special_notes: Text = ""  # type: ignore[valid-type]
    tags: list[int] = Field(default_factory=list, description="Tag ids; replaces the customer's tags.")


class CustomerCreateIn(CustomerUpdateIn):
    owner: int | None = Field(None, description="User id of the owner; default: you.")


CustomerPatchIn = partial_schema(CustomerUpdateIn, "CustomerPatchIn")

class CustomerOut(Schema):
    id: int
    kind: str
    name: str
    external_id: str | None
    phone: str
    phone_alt: str
    email: str
    wechat_id: str
    id_type: str
    id_number: str
    province: str
    city: str
    address: str
    postal_code: str
    birthday: date | str | None = Field(description=f'"{DATE_MASK}" where your role may not see birthdays.')
    gender: str
    occupation: str
    employer: str
    education: str
    personality: str
    hobbies: str
    legal_representative: str
    business_owner: str
    managers: str
    founded_on: date | None
    legal_form: str
    industry: str
    company_size: str
    assets: str | None = Field(description='A decimal as text; "******" where your role may not see assets.')
    assets_currency: str
    relationship_since: date | None
    service_area: str
    sales_capacity: str
    growth_potential: str
    business_philosophy: str
    policies: str
    scale: str
    operating_style: str
    performance: str
    staff_quality: str
    competitor_relations: str
    attitude_to_us: str
    current_sales_activity: str
    problems: str
    strengths: str
    plans: str
    image: str
    reputation: str
    credit_standing: str
    trade_terms: str
    credit_incidents: str
    source_channel: str
    risk_preference: str
    special_notes: str
    owner: UserRef
    team: TeamRef | None
    tags: list[TagOut]
    last_verified_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_assets(obj: Customer) -> str | None:
        return None if obj.assets is None else str(obj.assets)


CustomerPage = cursor_page_schema(CustomerOut, "CustomerPage")


class ContactIn(InSchema):
    name: _str(100, 1)  # type: ignore[valid-type]
    title: _str(100) = ""  # type: ignore[valid-type]
    department: _str(100) = ""  # type: ignore[valid-type]
    phone: _str(30) = ""  # type: ignore[valid-type]
    email: _str(254) = ""  # type: ignore[valid-type]
    wechat_id: _str(64) = ""  # type: ignore[valid-type]
    is_key_person: bool = False
    traits: Text = ""  # type: ignore[valid-type]
    score_trust: Score = None
    score_influence: Score = None
    score_contact: Score = None
    score_attitude: Score = None
    score_rapport: Score = None
    score_support: Score = None


ContactPatchIn = partial_schema(ContactIn, "ContactPatchIn")


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    title: str
    department: str
    phone: str
    email: str
    wechat_id: str
    is_key_person: bool
    traits: str
    score_trust: int | None
    score_influence: int | None
    score_contact: int | None
    score_attitude: int | None
    score_rapport: int | None
    score_support: int | None
    relationship_score: int | None = Field(description="Sum of the six scores (6–30) once all are rated.")
    created_at: datetime
    updated_at: datetime


class FamilyMemberIn(InSchema):
    name: _str(100, 1)  # type: ignore[valid-type]
    relation: RelationChoice  # type: ignore[valid-type]
    age: Annotated[int | None, Field(ge=0, le=130)] = None
    school_or_work: _str(200) = ""  # type: ignore[valid-type]


FamilyMemberPatchIn = partial_schema(FamilyMemberIn, "FamilyMemberPatchIn")


class FamilyMemberOut(Schema):
    id: int
    customer_id: int
    name: str
    relation: str
    age: int | None
    school_or_work: str
    created_at: datetime
    updated_at: datetime


class CustomerDetailOut(CustomerOut):
    contacts: list[ContactOut]
    family_members: list[FamilyMemberOut]
    can_change: bool
    can_delete: bool
    can_transfer: bool


class TransferIn(InSchema):
    to_user: int = Field(description="User id of the new owner.")
    reason: _str(500, 1)  # type: ignore[valid-type]


class TransferOut(Schema):
    id: int
    customer_id: int
    from_user: int | None
    to_user: int | None
    reason: str
    at: datetime

    @staticmethod
    def resolve_from_user(obj: Any) -> int | None:
        return obj.from_user_id

    @staticmethod
    def resolve_to_user(obj: Any) -> int | None:
        return obj.to_user_id


class CustomerFilters(Schema):
    kind: KindChoice | None = None  # type: ignore[valid-type]
    owner: int | None = Field(None, description="Owner's user id.")
    team: int | None = Field(None, description="Team id.")
    tag: int | None = Field(None, description="Tag id.")
    city: _str(50) | None = None  # type: ignore[valid-type]
    industry: _str(100) | None = None  # type: ignore[valid-type]
    risk_preference: RiskChoice | None = None  # type: ignore[valid-type]
    source_channel: SourceChoice | None = None  # type: ignore[valid-type]
    q: _str(100) | None = Field(  # type: ignore[valid-type]
        None, description="Search: name, pinyin, pinyin initials, phone fragment or email."
    )
    sort: Literal[tuple(selectors.CUSTOMER_SORTS)] = selectors.DEFAULT_SORT  # type: ignore[valid-type]
    cursor: _str(1000) | None = Field(  # type: ignore[valid-type]
        None, description="next_cursor or previous_cursor of a page (same sort)."
    )
    limit: Annotated[int, Field(ge=1, le=200)] = 50


# --- Helpers -------------------------------------------------------------------------------------

def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _ensure_customer_visible(user: User, customer_id: int) -> None:
    """404 unless the user may see the customer: out of scope and missing look the same."""
    if not selectors.customers_visible(user).filter(pk=customer_id).exists():
        raise Customer.DoesNotExist


def _customer_out(user: User, customer_id: int) -> Customer:
    """The customer as the user may see it (masked), for the answer to a write: the service's
    own instance is unmasked and must never be returned."""
    customer = (
        selectors.customers_visible(user).select_related("owner", "team").prefetch_related("tags").get(pk=customer_id)
    )
    return selectors.mask_customer(user, customer)


def _tags(user: User, ids: list[int]) -> list[Tag]:
    tags = list(Tag.objects.restrict(user, "view").filter(pk__in=set(ids)))
    if len(tags) != len(set(ids)):
        missing = sorted(set(ids) - {t.pk for t in tags})
        raise ApiValidationError.field(
            ["body", "tags"], _("No tag with id %(ids)s.") % {"ids": ", ".join(map(str, missing))}, "not_found"
        )
    return tags


def _assignable_user(user: User, user_id: int, field: str) -> User:
    """A user the caller may give customers to, or a 400 on `field`."""
    target = selectors.owners_assignable(user).filter(pk=user_id).first()  # type: ignore[attr-defined]
    if target is None:
        raise ApiValidationError.field(
            ["body", field], _("Choose a user you may give customers to."), "invalid_choice"
        )
    return target


def _card_data(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("external_id") == "":
        # external_id is unique when set: "" would collide between customers, None does not.
        data["external_id"] = None
    return data


# --- Customers -----------------------------------------------------------------------------------

@router.get("/customers", response={200: CustomerPage, **ERROR_RESPONSES}, tags=["customers"],
            summary="List customers")
def customer_list(request: HttpRequest, filters: Query[CustomerFilters]) -> HttpResponse:
    """Customers you may see, filtered, sorted, one page at a time (keyset cursor)."""
    user = _user(request)
    values = filters.model_dump()
    sort = values.pop("sort")
    cursor = cursor_unsign(values.pop("cursor"), sort)
    size = values.pop("limit")
    try:
        page = selectors.customer_page_values(
            user=user, filters=values, fields=CUSTOMER_COLUMNS, sort=sort, cursor=cursor, size=size
        )
    except ValidationError as exc:
        raise ApiValidationError.field(["query", "cursor"], str(exc.messages[0]), "invalid_cursor") from exc
    # Rows read in CustomerOut's shape (a test holds them to the schema's own output).
    return json_response({
        "items": [_customer_values(row) for row in page.items],
        "next_cursor": cursor_sign(page.next_cursor, sort),
        "previous_cursor": cursor_sign(page.previous_cursor, sort),
    })


@router.post("/customers", response={201: CustomerOut, **ERROR_RESPONSES}, tags=["customers"],
             summary="Create a customer")
def customer_create(request: HttpRequest, payload: CustomerCreateIn) -> Status[Customer]:
    user = _user(request)
    data = payload.model_dump()
    owner_id = data.pop("owner")
    tag_ids = data.pop("tags")
    owner = _assignable_user(user, owner_id, "owner") if owner_id is not None else None
    customer = services.customer_create(actor=user, data=_card_data(data), owner=owner, tags=_tags(user, tag_ids))
    return Status(201, _customer_out(user, customer.pk))


# The schemas' fields in their order: the read endpoints build their answers as these dicts.
_NESTED = ("owner", "team", "tags")
CUSTOMER_COLUMNS = tuple(n for n in CustomerOut.model_fields if n not in _NESTED)
_CUSTOMER_KEYS = tuple(CustomerOut.model_fields)
_CONTACT_KEYS = tuple(ContactOut.model_fields)
_FAMILY_KEYS = tuple(FamilyMemberOut.model_fields)


_CUSTOMER_TIMES = tuple(
    n for n, f in CustomerOut.model_fields.items() if f.annotation in (date, datetime, date | None, datetime | None)
)


def _customer_values(row: dict[str, Any]) -> dict[str, Any]:
    """A customer row (selectors.customer_card_values / customer_page_values) as CustomerOut."""
    assets = row["assets"]
    row["assets"] = None if assets is None else str(assets)
    times_as_text(row, _CUSTOMER_TIMES)
    return {k: row[k] for k in _CUSTOMER_KEYS}


def card_values(card: selectors.CustomerCardValues) -> dict[str, Any]:
    """CustomerDetailOut of the card, as the schema would give it."""
    data = _customer_values(card.customer)
    data["contacts"] = [{k: c[k] for k in _CONTACT_KEYS} for c in card.contacts]
    data["family_members"] = [{k: f[k] for k in _FAMILY_KEYS} for f in card.family_members]
    data["can_change"] = card.can_change
    data["can_delete"] = card.can_delete
    data["can_transfer"] = card.can_transfer
    return data


@router.get("/customers/{int:customer_id}", response={200: CustomerDetailOut, **ERROR_RESPONSES},
            tags=["customers"], summary="Read a customer's card")
def customer_detail(request: HttpRequest, customer_id: int) -> Any:
    """The whole card with contacts and family members. Recorded in the audit trail as a view."""
    user = _user(request)
    card = selectors.customer_card_values(user=user, customer_id=customer_id, fields=CUSTOMER_COLUMNS)
    version = concurrency.version_at(card.customer["updated_at"])  # before card_values() makes it text
    data = card_values(card)
    access_record(user=user, action=AccessAction.VIEW, customer_id=customer_id, object_repr=data["name"])
    # The card is read in the schema's shape (a test holds it to CustomerDetailOut's own output).
    return concurrency.set_etag(json_response(data), version)


def _update(request: HttpRequest, response: HttpResponse, customer_id: int, data: dict[str, Any]) -> Customer:
    user = _user(request)
    _ensure_customer_visible(user, customer_id)
    tag_ids = data.pop("tags", None)
    tags = _tags(user, tag_ids) if tag_ids is not None else None
    saved = services.customer_update(actor=user, customer_id=customer_id, data=_card_data(data), tags=tags,
                                      expected_version=concurrency.if_match(request))
    concurrency.set_etag(response, saved)
    return _customer_out(user, customer_id)


@router.put("/customers/{int:customer_id}", response={200: CustomerOut, **ERROR_RESPONSES}, tags=["customers"],
            summary="Replace a customer's card")
def customer_replace(
    request: HttpRequest, response: HttpResponse, customer_id: int, payload: CustomerUpdateIn
) -> Customer:
    """Every field is set: fields left out take their empty value (tags left out: none), except
    those your role sees masked, which keep theirs. Send the ETag of your GET as If-Match: a card
    changed since is refused with 409 (who changed it and when) instead of being overwritten;
    without If-Match the write is not checked."""
    # Not sent is not "empty" for a field the user may not write (core.masking): it keeps its value.
    unsent = set(masking.unwritable_fields(_user(request), Customer)) - payload.model_fields_set
    return _update(request, response, customer_id, payload.model_dump(exclude=unsent))


@router.patch("/customers/{int:customer_id}", response={200: CustomerOut, **ERROR_RESPONSES},
              tags=["customers"], summary="Change some fields of a customer's card")
def customer_update(
    request: HttpRequest, response: HttpResponse, customer_id: int, payload: CustomerPatchIn  # type: ignore[valid-type]
) -> Customer:
    """Only the fields sent change. If-Match (the ETag of your GET) refuses with 409 a change of a card
    that changed since; without it, changes of different fields by several clients all apply."""
    return _update(request, response, customer_id, payload.model_dump(exclude_unset=True))  # type: ignore[attr-defined]


@router.delete("/customers/{int:customer_id}", response={204: None, **ERROR_RESPONSES}, tags=["customers"],
               summary="Delete a customer (an administrator can restore it)")
def customer_delete(request: HttpRequest, customer_id: int) -> Status[None]:
    user = _user(request)
    _ensure_customer_visible(user, customer_id)
    services.customer_delete(actor=user, customer_id=customer_id)
    return Status(204, None)


@router.post("/customers/{int:customer_id}/transfer", response={200: TransferOut, **ERROR_RESPONSES},
             tags=["customers"], summary="Give a customer a new owner")
def customer_transfer(request: HttpRequest, customer_id: int, payload: TransferIn) -> Any:
    """Recorded with who, when and why. The customer moves to the new owner's team."""
    user = _user(request)
    customer = selectors.customers_visible(user).only("id", "owner_id").get(pk=customer_id)
    to_user = _assignable_user(user, payload.to_user, "to_user")
    if customer.owner_id == to_user.pk:
        raise ApiValidationError.field(["body", "to_user"], _("The customer already belongs to this user."), "same")
    return services.customer_transfer_owner(
        actor=user, customer_id=customer_id, to_user=to_user, reason=payload.reason
    )


# --- Contacts ------------------------------------------------------------------------------------

def _contact_out(user: User, contact_id: int) -> Contact:
    return selectors.mask_contact(user, Contact.objects.restrict(user, "view").get(pk=contact_id))


@router.get("/customers/{int:customer_id}/contacts", response={200: list[ContactOut], **ERROR_RESPONSES},
            tags=["contacts"], summary="List a customer's contacts")
def contact_list(request: HttpRequest, customer_id: int) -> list[Contact]:
    user = _user(request)
    _ensure_customer_visible(user, customer_id)
    contacts = Contact.objects.restrict(user, "view").filter(customer_id=customer_id)
    return [selectors.mask_contact(user, c) for c in contacts]


@router.post("/customers/{int:customer_id}/contacts", response={201: ContactOut, **ERROR_RESPONSES},
             tags=["contacts"], summary="Add a contact to a customer")
def contact_create(request: HttpRequest, customer_id: int, payload: ContactIn) -> Status[Contact]:
    user = _user(request)
    _ensure_customer_visible(user, customer_id)
    contact = services.contact_create(actor=user, customer_id=customer_id, data=payload.model_dump())
    return Status(201, _contact_out(user, contact.pk))


@router.get("/contacts/{int:contact_id}", response={200: ContactOut, **ERROR_RESPONSES}, tags=["contacts"],
            summary="Read a contact")
def contact_detail(request: HttpRequest, response: HttpResponse, contact_id: int) -> Contact:
    """With an ETag: send it as If-Match when you change the contact."""
    contact = _contact_out(_user(request), contact_id)
    concurrency.set_etag(response, contact)
    return contact


@router.patch("/contacts/{int:contact_id}", response={200: ContactOut, **ERROR_RESPONSES}, tags=["contacts"],
              summary="Change a contact")
def contact_update(
    request: HttpRequest, response: HttpResponse, contact_id: int, payload: ContactPatchIn  # type: ignore[valid-type]
) -> Contact:
    """Only the fields sent change. If-Match (the ETag of your GET) refuses with 409 a change of a
    contact that changed since."""
    user = _user(request)
    _contact_out(user, contact_id)  # 404 when out of scope
    services.contact_update(actor=user, contact_id=contact_id, data=payload.model_dump(exclude_unset=True),  # type: ignore[attr-defined]
                            expected_version=concurrency.if_match(request))
    contact = _contact_out(user, contact_id)
    concurrency.set_etag(response, contact)
    return contact


@router.delete("/contacts/{int:contact_id}", response={204: None, **ERROR_RESPONSES}, tags=["contacts"],
               summary="Delete a contact")
def contact_delete(request: HttpRequest, contact_id: int) -> Status[None]:
    user = _user(request)
    _contact_out(user, contact_id)
    services.contact_delete(actor=user, contact_id=contact_id)
    return Status(204, None)


# --- Family members ------------------------------------------------------------------------------

def _family_member(user: User, family_member_id: int) -> FamilyMember:
    return FamilyMember.objects.restrict(user, "view").get(pk=family_member_id)


@router.get("/customers/{int:customer_id}/family-members",
            response={200: list[FamilyMemberOut], **ERROR_RESPONSES}, tags=["family members"],
            summary="List a customer's family members")
def family_member_list(request: HttpRequest, customer_id: int) -> list[FamilyMember]:
    user = _user(request)
    _ensure_customer_visible(user, customer_id)
    return list(FamilyMember.objects.restrict(user, "view").filter(customer_id=customer_id))


@router.post("/customers/{int:customer_id}/family-members", response={201: FamilyMemberOut, **ERROR_RESPONSES},
             tags=["family members"], summary="Add a family member to a customer")
def family_member_create(request: HttpRequest, customer_id: int, payload: FamilyMemberIn) -> Status[FamilyMember]:
    user = _user(request)
    _ensure_customer_visible(user, customer_id)
    member = services.family_member_create(actor=user, customer_id=customer_id, data=payload.model_dump())
    return Status(201, _family_member(user, member.pk))


@router.get("/family-members/{int:family_member_id}", response={200: FamilyMemberOut, **ERROR_RESPONSES},
            tags=["family members"], summary="Read a family member")
def family_member_detail(request: HttpRequest, response: HttpResponse, family_member_id: int) -> FamilyMember:
    """With an ETag: send it as If-Match when you change the family member."""
    member = _family_member(_user(request), family_member_id)
    concurrency.set_etag(response, member)
    return member


@router.patch("/family-members/{int:family_member_id}", response={200: FamilyMemberOut, **ERROR_RESPONSES},
              tags=["family members"], summary="Change a family member")
def family_member_update(
    request: HttpRequest, response: HttpResponse, family_member_id: int,
    payload: FamilyMemberPatchIn,  # type: ignore[valid-type]
) -> FamilyMember:
    """Only the fields sent change. If-Match (the ETag of your GET) refuses with 409 a change of a
    family member that changed since."""
    user = _user(request)
    _family_member(user, family_member_id)
    services.family_member_update(
        actor=user, family_member_id=family_member_id, data=payload.model_dump(exclude_unset=True),  # type: ignore[attr-defined]
        expected_version=concurrency.if_match(request),
    )
    member = _family_member(user, family_member_id)
    concurrency.set_etag(response, member)
    return member


@router.delete("/family-members/{int:family_member_id}", response={204: None, **ERROR_RESPONSES},
               tags=["family members"], summary="Delete a family member")
def family_member_delete(request: HttpRequest, family_member_id: int) -> Status[None]:
    user = _user(request)
    _family_member(user, family_member_id)
    services.family_member_delete(actor=user, family_member_id=family_member_id)
    return Status(204, None)


# --- Tags ----------------------------------------------------------------------------------------

@router.get("/tags", response={200: list[TagOut], **ERROR_RESPONSES}, tags=["tags"], summary="List tags")
def tag_list(request: HttpRequest) -> list[Tag]:
    return list(Tag.objects.restrict(_user(request), "view"))


@router.post("/tags", response={201: TagOut, **ERROR_RESPONSES}, tags=["tags"], summary="Create a tag")
def tag_create(request: HttpRequest, payload: TagIn) -> Status[Tag]:
    return Status(201, services.tag_create(actor=_user(request), name=payload.name))


@router.patch("/tags/{int:tag_id}", response={200: TagOut, **ERROR_RESPONSES}, tags=["tags"],
              summary="Rename a tag")
def tag_rename(request: HttpRequest, tag_id: int, payload: TagIn) -> Tag:
    user = _user(request)
    Tag.objects.restrict(user, "view").get(pk=tag_id)
    return services.tag_rename(actor=user, tag_id=tag_id, name=payload.name)


@router.delete("/tags/{int:tag_id}", response={204: None, **ERROR_RESPONSES}, tags=["tags"],
               summary="Delete a tag (removes it from every customer)")
def tag_delete(request: HttpRequest, tag_id: int) -> Status[None]:
    user = _user(request)
    Tag.objects.restrict(user, "view").get(pk=tag_id)
    services.tag_delete(actor=user, tag_id=tag_id)
    return Status(204, None)
