"""The service requests part of the REST API: `/service-requests` (records layer: list with keyset
pages, create, read, PATCH, delete) and the actions assign and status.

Same rules as the pages: scoped through the customer, writes through service.services_requests
(permission, validation, audit with source "api"); out of scope is 404, seen but not allowed 403.
"""

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from accounts.models import User
from core.api import ERROR_RESPONSES, InSchema, cursor_page_schema
from customers.records.api import RecordApi
from service import selectors_requests as selectors
from service import services_requests as services
from service.categories import ServiceCategory
from service.choices import RequestPriority
from service.models import RequestStatus, ServiceRequest

router = Router()

CategoryChoice = Literal[tuple(ServiceCategory.values)]  # type: ignore[valid-type]
PriorityChoice = Literal[tuple(RequestPriority.values)]  # type: ignore[valid-type]
StatusChoice = Literal[tuple(RequestStatus.values)]  # type: ignore[valid-type]
StatusFilter = Literal[("open", *RequestStatus.values)]  # type: ignore[valid-type]
MoveChoice = Literal[(*RequestStatus.values, "reopen")]  # type: ignore[valid-type]
Subject = Annotated[str, Field(max_length=200, min_length=1)]
Text = Annotated[str, Field(max_length=20_000)]
Note = Annotated[str, Field(max_length=300)]
ExternalId = Annotated[str, Field(max_length=64)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class RequestIn(InSchema):
    customer: int = Field(description="Customer id.")
    subject: Subject
    description: Text = ""
    category: CategoryChoice = "other"  # type: ignore[valid-type]
    priority: PriorityChoice = "normal"  # type: ignore[valid-type]
    assignee: int | None = Field(None, description="User id; default: unassigned.")
    order: int | None = Field(None, description="Order id of the same customer, optional.")
    external_id: ExternalId | None = None


class RequestPatchIn(InSchema):
    subject: Subject | None = None
    description: Text | None = None
    category: CategoryChoice | None = None  # type: ignore[valid-type]
    priority: PriorityChoice | None = Field(None, description="A new priority sets new due times from the SLA.")
    order: int | None = None
    external_id: ExternalId | None = None


class RequestOut(Schema):
    id: int
    customer: int
    subject: str
    description: str
    category: str
    priority: str
    status: str
    assignee: int | None
    received_at: datetime
    acknowledge_by: datetime
    resolve_by: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopened_count: int
    order: int | None
    solved_by_article: int | None
    resolution: str
    external_id: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: ServiceRequest) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_assignee(obj: ServiceRequest) -> int | None:
        return obj.assignee_id

    @staticmethod
    def resolve_order(obj: ServiceRequest) -> int | None:
        return obj.order_id

    @staticmethod
    def resolve_solved_by_article(obj: ServiceRequest) -> int | None:
        return obj.solved_by_article_id


RequestPage = cursor_page_schema(RequestOut, "ServiceRequestPage")


class RequestFilters(Schema):
    status: StatusFilter | None = Field(None, description="A status, or open (new, assigned, in progress, "  # type: ignore[valid-type]
                                                          "waiting).")
    priority: PriorityChoice | None = None  # type: ignore[valid-type]
    category: CategoryChoice | None = None  # type: ignore[valid-type]
    assignee: Annotated[str, Field(max_length=20, pattern=r"^([0-9]{1,18}|me|none)$")] | None = Field(
        None, description="A user id, me, or none (unassigned).")
    customer: int | None = None
    order: int | None = None
    overdue: bool | None = None
    q: Annotated[str, Field(max_length=100)] | None = Field(None, description="Text in the subject, the "
                                                                             "description or the customer's name.")
    cursor: Annotated[str, Field(max_length=1000)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


def _read(user: User, pk: int) -> ServiceRequest:
    return ServiceRequest.objects.restrict(user, "view").get(pk=pk)


RecordApi(
    kind=services.REQUESTS, path="/service-requests", name="service_request", module=__name__,
    tags=["service requests"], id_param="request_id", out=RequestOut, page=RequestPage, filters=RequestFilters,
    list_selector=selectors.request_list, create_in=RequestIn, patch_in=RequestPatchIn, read=_read,
    nullable=("order", "external_id"), defaults=("assignee", "order", "external_id"), blank_is_null=("external_id",),
    summaries={"list": "List service requests (newest first)", "create": "Enter a service request",
               "detail": "Read a service request", "update": "Change a service request",
               "delete": "Delete a service request"},
).register(router)


class RequestAssignIn(InSchema):
    assignee: int | None = Field(description="User id; null: back to unassigned.")
    reason: Note = Field("", description="Why; required when the request already has an assignee.")


class RequestStatusIn(InSchema):
    status: MoveChoice  # type: ignore[valid-type]
    note: Note = Field("", description="What was done; required to reopen.")
    solved_by_article: int | None = Field(None, description="On resolve or close: the published article that "
                                                            "solved it.")
    resolution: Text | None = None


@router.post("/service-requests/{int:request_id}/assign", response={200: RequestOut, **ERROR_RESPONSES},
             tags=["service requests"], summary="Assign or reassign a service request")
def service_request_assign(request: HttpRequest, request_id: int, payload: RequestAssignIn) -> ServiceRequest:
    user = _user(request)
    _read(user, request_id)  # 404 outside the caller's scope
    services.request_assign(actor=user, request_id=request_id, assignee_id=payload.assignee, reason=payload.reason)
    return _read(user, request_id)


@router.post("/service-requests/{int:request_id}/status", response={200: RequestOut, **ERROR_RESPONSES},
             tags=["service requests"], summary="Move a service request (or reopen it)")
def service_request_status(request: HttpRequest, request_id: int, payload: RequestStatusIn) -> ServiceRequest:
    user = _user(request)
    _read(user, request_id)
    services.request_set_status(actor=user, request_id=request_id, status=payload.status, note=payload.note,
                                solved_by_article_id=payload.solved_by_article, resolution=payload.resolution)
    return _read(user, request_id)
