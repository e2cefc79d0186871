"""The complaints part of the REST API: `/complaints` (records layer: list with filters by state and
severity — keyset — create, read, PATCH, delete), the workflow step (`/complaints/{id}/advance`),
compensation (`/complaints/{id}/compensation`) and the decision on an approval.

Same rules as the pages: scoped through the customer, writes through service.services_complaints
(permission, validation, audit with source "api"); out of scope is 404, seen but not allowed 403.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from accounts.models import User
from core.api import ERROR_RESPONSES, DecimalIn, InSchema, cursor_page_schema
from customers.records.api import RecordApi
from service import selectors_complaints as selectors
from service import services_complaints as services
from service.choices import Severity
from service.complaint_workflow import ComplaintState
from service.models.complaints import (
    CompensationApproval,
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    CustomerReaction,
    RecoveryAction,
    RootCause,
)

router = Router()

StateChoice = Literal[tuple(ComplaintState.values)]  # type: ignore[valid-type]
SeverityChoice = Literal[tuple(Severity.values)]  # type: ignore[valid-type]
CategoryChoice = Literal[tuple(ComplaintCategory.values)]  # type: ignore[valid-type]
ChannelChoice = Literal[tuple(ComplaintChannel.values)]  # type: ignore[valid-type]
RecoveryChoice = Literal[tuple(RecoveryAction.values)]  # type: ignore[valid-type]
ReactionChoice = Literal[tuple(CustomerReaction.values)]  # type: ignore[valid-type]
RootCauseChoice = Literal[tuple(RootCause.values)]  # type: ignore[valid-type]
Text = Annotated[str, Field(max_length=20_000)]
Note = Annotated[str, Field(max_length=1000)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class ComplaintIn(InSchema):
    customer: int = Field(description="Customer id.")
    channel: ChannelChoice  # type: ignore[valid-type]
    category: CategoryChoice  # type: ignore[valid-type]
    severity: SeverityChoice = "medium"  # type: ignore[valid-type]
    description: Text = Field(min_length=1, description="What happened.")
    wanted: Text = Field("", description="What the customer really wants.")
    order: int | None = Field(None, description="One of the customer's orders.")
    product: int | None = None
    owner: int | None = Field(None, description="User id; default: you.")
    received_at: datetime | None = Field(None, description="Default: now.")


class ComplaintPatchIn(InSchema):
    channel: ChannelChoice | None = None  # type: ignore[valid-type]
    category: CategoryChoice | None = None  # type: ignore[valid-type]
    severity: SeverityChoice | None = None  # type: ignore[valid-type]
    description: Text | None = None
    wanted: Text | None = None
    order: int | None = None
    product: int | None = None
    owner: int | None = None


class ComplaintOut(Schema):
    id: int
    customer: int
    channel: str
    category: str
    severity: str
    state: str
    order: int | None
    product: int | None
    description: str
    wanted: str
    received_at: datetime
    acknowledge_by: datetime
    resolve_by: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    recovery_action: str
    compensation: Decimal | None
    reaction: str
    reaction_note: str
    root_cause: str
    owner: int | None
    interaction: int | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: Complaint) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_order(obj: Complaint) -> int | None:
        return obj.order_id

    @staticmethod
    def resolve_product(obj: Complaint) -> int | None:
        return obj.product_id

    @staticmethod
    def resolve_owner(obj: Complaint) -> int | None:
        return obj.owner_id

    @staticmethod
    def resolve_interaction(obj: Complaint) -> int | None:
        return obj.interaction_id


ComplaintPage = cursor_page_schema(ComplaintOut, "ComplaintPage")


class ComplaintFilters(Schema):
    state: StateChoice | None = None  # type: ignore[valid-type]
    severity: SeverityChoice | None = None  # type: ignore[valid-type]
    category: CategoryChoice | None = None  # type: ignore[valid-type]
    channel: ChannelChoice | None = None  # type: ignore[valid-type]
    customer: int | None = None
    owner: int | None = None
    overdue: bool | None = Field(None, description="true: a running SLA clock is past its deadline.")
    cursor: Annotated[str, Field(max_length=1000)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


def _read(user: User, pk: int) -> Complaint:
    return Complaint.objects.restrict(user, "view").get(pk=pk)


def _list(*, user: User, filters: dict, cursor: str | None = None, size: int = 50):  # type: ignore[no-untyped-def]
    """The list without select_related: the API answers ids, not names (one query per page)."""
    from core.pagination import keyset_page

    return keyset_page(selectors.complaint_filtered(user, filters), ordering=selectors.LIST_ORDERING, cursor=cursor,
                       size=size)


RecordApi(
    kind=services.COMPLAINTS, path="/complaints", name="complaint", module=__name__, tags=["complaints"],
    id_param="complaint_id", out=ComplaintOut, page=ComplaintPage, filters=ComplaintFilters, list_selector=_list,
    create_in=ComplaintIn, patch_in=ComplaintPatchIn, read=_read,
    nullable=("order", "product", "owner"), defaults=("owner", "received_at"), blank_is_null=(),
    summaries={"list": "List complaints (newest first; filter by state and severity)", "create": "Record a complaint",
               "detail": "Read a complaint", "update": "Change what a complaint says",
               "delete": "Delete a complaint"},
).register(router)


class AdvanceIn(InSchema):
    to_state: StateChoice  # type: ignore[valid-type]
    note: Note = ""
    recovery_action: RecoveryChoice | None = None  # type: ignore[valid-type]
    reaction: ReactionChoice | None = None  # type: ignore[valid-type]
    reaction_note: Annotated[str, Field(max_length=500)] | None = None
    root_cause: RootCauseChoice | None = None  # type: ignore[valid-type]


@router.post("/complaints/{int:complaint_id}/advance", response={200: ComplaintOut, **ERROR_RESPONSES},
             tags=["complaints"], summary="Move a complaint to its next step (or reopen it)")
def complaint_advance(request: HttpRequest, complaint_id: int, payload: AdvanceIn) -> Complaint:
    user = _user(request)
    _read(user, complaint_id)  # 404 outside the caller's scope
    services.complaint_advance(actor=user, complaint_id=complaint_id, **payload.dict())
    return _read(user, complaint_id)


class CompensationIn(InSchema):
    amount: Annotated[Decimal, DecimalIn(max_digits=14, decimal_places=2, gt=0)]
    reason: Annotated[str, Field(max_length=500)] = ""


class ApprovalOut(Schema):
    id: int
    complaint: int
    amount: Decimal
    reason: str
    requested_by: int | None
    requested_at: datetime
    approver: int | None
    decision: str
    decided_at: datetime | None
    decision_note: str

    @staticmethod
    def resolve_complaint(obj: CompensationApproval) -> int:
        return obj.complaint_id

    @staticmethod
    def resolve_requested_by(obj: CompensationApproval) -> int | None:
        return obj.requested_by_id

    @staticmethod
    def resolve_approver(obj: CompensationApproval) -> int | None:
        return obj.approver_id


class CompensationOut(Schema):
    granted: bool = Field(description="true: granted at once (within your limit); false: an approval is asked.")
    approval: ApprovalOut | None


@router.post("/complaints/{int:complaint_id}/compensation", response={200: CompensationOut, **ERROR_RESPONSES},
             tags=["complaints"], summary="Grant compensation (above your limit: ask a manager)")
def complaint_compensation(request: HttpRequest, complaint_id: int, payload: CompensationIn) -> dict:
    user = _user(request)
    _read(user, complaint_id)
    approval = services.compensation_grant(actor=user, complaint_id=complaint_id, amount=payload.amount,
                                           reason=payload.reason)
    return {"granted": approval is None, "approval": approval}


@router.get("/complaints/{int:complaint_id}/approvals", response={200: list[ApprovalOut], **ERROR_RESPONSES},
            tags=["complaints"], summary="The compensation approvals of a complaint")
def complaint_approvals(request: HttpRequest, complaint_id: int) -> list[CompensationApproval]:
    user = _user(request)
    _read(user, complaint_id)
    return selectors.complaint_approvals(user=user, complaint_id=complaint_id)


class DecisionIn(InSchema):
    approve: bool
    note: Annotated[str, Field(max_length=500)] = ""


@router.post("/complaints/approvals/{int:approval_id}/decide", response={200: ApprovalOut, **ERROR_RESPONSES},
             tags=["complaints"], summary="Approve or decline a compensation above the requester's limit")
def approval_decide(request: HttpRequest, approval_id: int, payload: DecisionIn) -> CompensationApproval:
    user = _user(request)
    CompensationApproval.objects.restrict(user, "view").get(pk=approval_id)
    return services.compensation_decide(actor=user, approval_id=approval_id, approve=payload.approve,
                                        note=payload.note)
