"""The insurance coverage API: policies (records layer) and the household coverage with its gaps."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from accounts.models import User
from core.api import DecimalIn, InSchema, cursor_page_schema
from customers.records.access import customer_or_404
from customers.records.api import RecordApi
from wealth import selectors_coverage as selectors
from wealth import services_coverage as services
from wealth.coverage_gaps import gap_text
from wealth.models.coverage import InsurancePolicy, PaymentMode, PolicyStatus, PolicyType

router = Router()

Amount = Annotated[Decimal, DecimalIn(max_digits=18, decimal_places=2, ge=0)]
Currency = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]
TypeChoice = Literal[tuple(PolicyType.values)]  # type: ignore[valid-type]
ModeChoice = Literal[tuple(PaymentMode.values)]  # type: ignore[valid-type]
StatusChoice = Literal[tuple(PolicyStatus.values)]  # type: ignore[valid-type]
MASKED_NOTE = 'A decimal as text; "******" where your role may not see assets.'


def _str(n: int) -> Any:
    return Annotated[str, Field(max_length=n)]


class PolicyIn(InSchema):
    customer: int = Field(description="Customer id (a person).")
    insurer: _str(200)  # type: ignore[valid-type]
    policy_type: TypeChoice  # type: ignore[valid-type]
    product_name: _str(200) = ""  # type: ignore[valid-type]
    policy_number: _str(64) = ""  # type: ignore[valid-type]
    insured_member: int | None = Field(None, description="Family member id; empty: the customer is insured.")
    starts_on: date
    ends_on: date | None = Field(None, description="Empty: whole of life.")
    sum_insured: Amount
    premium: Amount
    currency: Currency = "CNY"
    payment_mode: ModeChoice = "annual"  # type: ignore[valid-type]
    critical_illness_covered: bool = False
    status: StatusChoice = "in_force"  # type: ignore[valid-type]
    notes: _str(255) = ""  # type: ignore[valid-type]
    external_id: _str(64) | None = None  # type: ignore[valid-type]


class PolicyPatchIn(InSchema):
    insurer: _str(200) | None = None  # type: ignore[valid-type]
    policy_type: TypeChoice | None = None  # type: ignore[valid-type]
    product_name: _str(200) | None = None  # type: ignore[valid-type]
    policy_number: _str(64) | None = None  # type: ignore[valid-type]
    insured_member: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    sum_insured: Amount | None = None
    premium: Amount | None = None
    currency: Currency | None = None
    payment_mode: ModeChoice | None = None  # type: ignore[valid-type]
    critical_illness_covered: bool | None = None
    status: StatusChoice | None = None  # type: ignore[valid-type]
    notes: _str(255) | None = None  # type: ignore[valid-type]
    external_id: _str(64) | None = None  # type: ignore[valid-type]


class PolicyOut(Schema):
    id: int
    customer: int
    insurer: str
    policy_type: str
    product_name: str
    policy_number: str
    insured_member: int | None = Field(description="Family member id; null: the customer is insured.")
    insured_name: str
    starts_on: date
    ends_on: date | None
    sum_insured: str = Field(description=MASKED_NOTE)
    premium: str = Field(description=MASKED_NOTE)
    currency: str
    payment_mode: str
    critical_illness_covered: bool
    status: str
    notes: str
    external_id: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: InsurancePolicy) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_insured_member(obj: InsurancePolicy) -> int | None:
        return obj.insured_member_id

    @staticmethod
    def resolve_insured_name(obj: InsurancePolicy) -> str:
        return obj.insured_member.name if obj.insured_member_id else ""

    @staticmethod
    def resolve_sum_insured(obj: InsurancePolicy) -> str:
        return str(obj.sum_insured)

    @staticmethod
    def resolve_premium(obj: InsurancePolicy) -> str:
        return str(obj.premium)


PolicyPage = cursor_page_schema(PolicyOut, "PolicyPage")


class PolicyFilters(Schema):
    customer: int | None = None
    policy_type: TypeChoice | None = None  # type: ignore[valid-type]
    status: StatusChoice | None = None  # type: ignore[valid-type]
    cursor: _str(1000) | None = None  # type: ignore[valid-type]
    limit: Annotated[int, Field(ge=1, le=200)] = 50


RecordApi(
    kind=services.POLICIES, path="/policies", name="policy", module=__name__, tags=["wealth"], id_param="policy_id",
    out=PolicyOut, page=PolicyPage, filters=PolicyFilters, list_selector=selectors.policy_list,
    create_in=PolicyIn, patch_in=PolicyPatchIn, nullable=("external_id", "insured_member", "ends_on"),
    read=selectors.policy_read,
    summaries={"list": "List insurance policies", "create": "Record an insurance policy",
               "detail": "Read an insurance policy", "update": "Change an insurance policy",
               "delete": "Delete an insurance policy"},
).register(router)


class GapOut(Schema):
    rule: str
    person: str
    member_id: int | None
    policy_id: int | None
    text: str = Field(description="The gap in the request's language.")


class PersonOut(Schema):
    name: str
    relation: str = Field(description='"self" for the customer, else the family relation.')
    member_id: int | None
    age: int | None
    earning_adult: bool
    dependant: bool
    policies: list[int]


class CoverageOut(Schema):
    customer: int
    people: list[PersonOut]
    gaps: list[GapOut]


@router.get("/customers/{int:customer_id}/coverage", response={200: CoverageOut}, tags=["wealth"],
            summary="A household's insurance coverage and its gaps")
def household_coverage(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """Who in the customer's household is covered by which policy, and the gaps (docs/wealth.md)."""
    user: User = request.auth  # type: ignore[attr-defined]
    customer = customer_or_404(user, customer_id)
    view = selectors.household_view(user=user, customer=customer)
    return {
        "customer": customer.pk,
        "people": [{"name": c.person.name, "relation": c.person.relation, "member_id": c.person.member_id,
                    "age": c.person.age, "earning_adult": c.earning_adult, "dependant": c.dependant,
                    "policies": [p.pk for p in c.policies if p.pk in view.policies_by_id]} for c in view.people],
        "gaps": [{**{k: g[k] for k in ("rule", "person", "member_id", "policy_id")},
                  "text": gap_text(g, amounts_masked=view.amounts_masked)} for g in view.gaps],
    }
