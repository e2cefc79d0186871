"""The segmentation part of the REST API: schemes and classes, a customer's classes, the members of
a class, saved segments and their members.

Same rules as the pages: members and figures come through the caller's permission-scoped queryset
(a customer outside the caller's scope is never listed, and its classes are a 404), saved segments
are changed only by their creator or an administrator, manual classes only by users who may change
the customer.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from accounts.api import TeamRef, UserRef
from accounts.models import Team, User
from core.api import (
    ERROR_RESPONSES,
    ApiValidationError,
    DecimalText,
    InSchema,
    cursor_page_schema,
    cursor_sign,
    cursor_unsign,
)
from customers.models import Customer
from segmentation import selectors
from segmentation.builtins import scheme_label
from segmentation.manual import scheme_assign
from segmentation.models import SavedSegment
from segmentation.saved import saved_segment_create, saved_segment_delete, saved_segment_update, segment_may_change

router = Router(tags=["segmentation"])
CURSOR_SCOPE = "segmentation-members"


# --- Schemas -------------------------------------------------------------------------------------

class ClassOut(Schema):
    key: str
    name: str
    position: int
    is_catch_all: bool
    suggested_action: str
    manager: UserRef | None
    rules: list[dict[str, Any]] = Field(description="The class's filter (rule schemes); [] otherwise, and [] "
                                                    "when the filter is private (rules_hidden).")
    rules_hidden: bool = Field(False, description="The filter comes from a saved segment its creator has not "
                                                  "shared with you: its conditions are left out.")


class SchemeOut(Schema):
    key: str
    name: str
    kind: str = Field(description="computed, manual or rules")
    built_in: bool
    description: str
    classes: list[ClassOut]


class ClassStatsOut(Schema):
    key: str
    name: str
    customers: int
    revenue: DecimalText
    profit: DecimalText


class SchemeStatsOut(SchemeOut):
    customers: int = Field(description="Customers you may see that have a class in this scheme.")
    unplaced: int = Field(description="Customers you may see not classified yet (new since the last refresh).")
    stats: list[ClassStatsOut]


class MemberSegmentOut(Schema):
    abc_tier: str
    profit: DecimalText
    rfm_segment: str
    lifecycle_stage: str
    loyalty: str
    value_class: str


class MemberOut(Schema):
    id: int
    name: str
    kind: str
    city: str
    owner: UserRef
    team: TeamRef | None
    segment: MemberSegmentOut | None

    @staticmethod
    def resolve_segment(obj: Customer) -> Any:
        return getattr(obj, "segment", None) if _has_segment(obj) else None


def _has_segment(obj: Customer) -> bool:
    try:
        obj.segment  # noqa: B018 - loaded by select_related; absent raises
    except Customer.segment.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return False
    return True


MemberPage = cursor_page_schema(MemberOut, "SegmentMemberPage")


class CustomerClassOut(Schema):
    scheme: str
    scheme_name: str
    kind: str
    class_key: str
    class_name: str
    why: str = ""
    suggested_action: str = ""
    note: str = ""
    manager: str = ""


class CustomerSegmentsOut(Schema):
    customer_id: int
    as_of: Any = Field(None, description="Date of the last refresh of the computed classes (null: never ran).")
    classes: list[CustomerClassOut]
    scores: dict[str, Any] | None = Field(description="Figures behind the computed classes (null: not computed).")
    lifecycle_mark: dict[str, Any] | None


class AssignIn(InSchema):
    class_key: Annotated[str, Field(min_length=1, max_length=40)]
    note: Annotated[str, Field(max_length=2000)] = ""


class AssignmentOut(Schema):
    scheme: str
    class_key: str
    note: str
    assigned_at: datetime


class SavedSegmentIn(InSchema):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=5000)] = ""
    rules: list[dict[str, Any]] = Field(description='Conditions, all must hold: [{"field", "op", "value"}].')
    shared_with_team: int | None = Field(None, description="Team id (admins: any team; others: their own).")
    shared_with_all: bool = False


class SavedSegmentOut(Schema):
    id: int
    name: str
    description: str
    rules: list[dict[str, Any]]
    owner: UserRef
    shared_with_team: TeamRef | None
    shared_with_all: bool
    may_change: bool = False
    created_at: datetime
    updated_at: datetime


class MemberFilters(Schema):
    cursor: Annotated[str, Field(max_length=1000)] | None = Field(None, description="next_cursor of a page.")
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class FieldOut(Schema):
    key: str
    label: str
    group: str
    type: str
    ops: list[dict[str, str]]
    choices: list[dict[str, str]]


# --- Helpers -------------------------------------------------------------------------------------

def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _class_out(user: User, scheme: Any, c: Any) -> dict[str, Any]:
    visible = selectors.class_rules_visible(user, c)
    return {"key": c.key, "name": selectors.class_name(scheme, c), "position": c.position,
            "is_catch_all": c.is_catch_all, "suggested_action": c.suggested_action, "manager": c.manager,
            "rules": (c.rules or []) if visible else [], "rules_hidden": not visible}


def _scheme_out(user: User, scheme: Any) -> dict[str, Any]:
    return {
        "key": scheme.key, "name": scheme_label(scheme), "kind": scheme.kind, "built_in": scheme.built_in,
        "description": scheme.description,
        "classes": [_class_out(user, scheme, c) for c in scheme.classes.all()],
    }


def _members(user: User, qs: Any, filters: MemberFilters) -> dict[str, Any]:
    cursor = cursor_unsign(filters.cursor, CURSOR_SCOPE)
    try:
        page = selectors.members_page(user=user, queryset=qs, cursor=cursor, size=filters.limit)
    except ValidationError as exc:
        raise ApiValidationError.field(["query", "cursor"], str(exc.messages[0]), "invalid_cursor") from exc
    return {"items": page.items, "next_cursor": cursor_sign(page.next_cursor, CURSOR_SCOPE),
            "previous_cursor": cursor_sign(page.previous_cursor, CURSOR_SCOPE)}


def _segment_out(user: User, segment: SavedSegment) -> SavedSegment:
    segment.may_change = segment_may_change(user, segment)  # type: ignore[attr-defined]
    return segment


def _team(user: User, team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ApiValidationError.field(["body", "shared_with_team"], _("No team with this id."), "not_found")
    return team


def _rules_errors(exc: ValidationError) -> ApiValidationError:
    errors = []
    for name, messages in (exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]):
        for message in messages:
            errors.append((["body", name] if name and name != "__all__" else ["body"], message, "invalid"))
    return ApiValidationError(errors)


# --- Schemes -------------------------------------------------------------------------------------

@router.get("/segmentation/schemes", response={200: list[SchemeOut], **ERROR_RESPONSES},
            summary="List segmentation schemes and their classes")
def scheme_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_scheme_out(_user(request), s) for s in selectors.schemes_all()]


@router.get("/segmentation/schemes/{key}", response={200: SchemeStatsOut, **ERROR_RESPONSES},
            summary="A scheme with the number of your customers, revenue and profit per class")
def scheme_detail(request: HttpRequest, key: str) -> dict[str, Any]:
    user = _user(request)
    scheme = selectors.scheme_get(key)
    stats = selectors.scheme_stats(user=user, scheme=scheme)
    return {**_scheme_out(user, scheme), "customers": stats.total, "unplaced": stats.unplaced,
            "stats": [{"key": r.key, "name": r.name, "customers": r.count, "revenue": r.revenue, "profit": r.profit}
                      for r in stats.rows]}


@router.get("/segmentation/schemes/{key}/classes/{class_key}/customers",
            response={200: MemberPage, **ERROR_RESPONSES}, summary="Customers of one class (those you may see)")
def class_members(request: HttpRequest, key: str, class_key: str, filters: Query[MemberFilters]) -> dict[str, Any]:
    user = _user(request)
    scheme = selectors.scheme_get(key)
    return _members(user, selectors.class_customers(user=user, scheme=scheme, class_key=class_key), filters)


@router.get("/segmentation/fields", response={200: list[FieldOut], **ERROR_RESPONSES},
            summary="The fields, operators and values a segment's filter may use")
def field_catalogue(request: HttpRequest) -> list[dict[str, Any]]:
    from segmentation.filters import catalogue, catalogue_json

    return catalogue_json(catalogue())


# --- A customer's classes ------------------------------------------------------------------------

@router.get("/customers/{int:customer_id}/segments", response={200: CustomerSegmentsOut, **ERROR_RESPONSES},
            summary="A customer's class in every scheme, with why")
def customer_segments(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    user = _user(request)
    data = selectors.customer_segments(user=user, customer_id=customer_id)
    if data is None:
        raise Customer.DoesNotExist
    seg = data["segment"]
    scores = None
    if seg is not None:
        scores = {f: getattr(seg, f) for f in (
            "revenue", "margin", "cost_to_serve", "profit", "profit_rank", "loss_making", "recency_days", "frequency",
            "monetary", "r_score", "f_score", "m_score", "orders_total", "first_order_on", "last_order_on",
            "lifecycle_since", "current_value", "potential_value")}
        scores = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in scores.items()}
    mark = data["mark"]
    classes = [{"scheme": r["scheme"], "scheme_name": r["scheme_name"], "kind": r["kind"], "class_key": r["class_key"],
                "class_name": r["class_name"], "why": r.get("why", ""), "suggested_action": r.get("action", ""),
                "note": r.get("note", ""), "manager": r.get("manager", "")}
               for r in data["computed"] + data["others"]]
    return {"customer_id": customer_id, "as_of": data["as_of"], "classes": classes, "scores": scores,
            "lifecycle_mark": {"kind": mark.kind, "marked_on": mark.marked_on, "churn_reason": mark.churn_reason,
                               "note": mark.note} if mark else None}


@router.put("/customers/{int:customer_id}/segments/{scheme_key}", response={200: AssignmentOut, **ERROR_RESPONSES},
            summary="Set a customer's class of a manual scheme (history is kept)")
def customer_scheme_assign(request: HttpRequest, customer_id: int, scheme_key: str, payload: AssignIn) -> Any:
    user = _user(request)
    if not Customer.objects.restrict(user, "view").filter(pk=customer_id).exists():
        raise Customer.DoesNotExist
    assignment = scheme_assign(actor=user, customer_id=customer_id, scheme_key=scheme_key,
                               class_key=payload.class_key, note=payload.note)
    return {"scheme": scheme_key, "class_key": assignment.scheme_class.key, "note": assignment.note,
            "assigned_at": assignment.assigned_at}


# --- Saved segments ------------------------------------------------------------------------------

@router.get("/segments", response={200: list[SavedSegmentOut], **ERROR_RESPONSES},
            summary="Saved segments you may use (yours, your team's, shared with everyone)")
def segment_list(request: HttpRequest) -> list[SavedSegment]:
    user = _user(request)
    return [_segment_out(user, s) for s in selectors.saved_segments_visible(user)[:500]]


@router.post("/segments", response={201: SavedSegmentOut, **ERROR_RESPONSES}, summary="Save a segment")
def segment_create(request: HttpRequest, payload: SavedSegmentIn) -> Status[SavedSegment]:
    user = _user(request)
    try:
        segment = saved_segment_create(actor=user, name=payload.name, description=payload.description,
                                       rules=payload.rules, team=_team(user, payload.shared_with_team),
                                       shared_with_all=payload.shared_with_all)
    except ValidationError as exc:
        raise _rules_errors(exc) from exc
    return Status(201, _segment_out(user, selectors.saved_segment_get(user=user, segment_id=segment.pk)))


@router.get("/segments/{int:segment_id}", response={200: SavedSegmentOut, **ERROR_RESPONSES},
            summary="Read a saved segment")
def segment_detail(request: HttpRequest, segment_id: int) -> SavedSegment:
    user = _user(request)
    return _segment_out(user, selectors.saved_segment_get(user=user, segment_id=segment_id))


@router.put("/segments/{int:segment_id}", response={200: SavedSegmentOut, **ERROR_RESPONSES},
            summary="Change a saved segment (its creator or an administrator)")
def segment_update(request: HttpRequest, segment_id: int, payload: SavedSegmentIn) -> SavedSegment:
    user = _user(request)
    selectors.saved_segment_get(user=user, segment_id=segment_id)
    try:
        saved_segment_update(actor=user, segment_id=segment_id, name=payload.name, description=payload.description,
                             rules=payload.rules, team=_team(user, payload.shared_with_team),
                             shared_with_all=payload.shared_with_all)
    except ValidationError as exc:
        raise _rules_errors(exc) from exc
    return _segment_out(user, selectors.saved_segment_get(user=user, segment_id=segment_id))


@router.delete("/segments/{int:segment_id}", response={204: None, **ERROR_RESPONSES},
               summary="Delete a saved segment (its creator or an administrator)")
def segment_delete(request: HttpRequest, segment_id: int) -> Status[None]:
    user = _user(request)
    selectors.saved_segment_get(user=user, segment_id=segment_id)
    saved_segment_delete(actor=user, segment_id=segment_id)
    return Status(204, None)


@router.get("/segments/{int:segment_id}/customers", response={200: MemberPage, **ERROR_RESPONSES},
            summary="The segment's members you may see, a page at a time")
def segment_members(request: HttpRequest, segment_id: int, filters: Query[MemberFilters]) -> dict[str, Any]:
    user = _user(request)
    segment = selectors.saved_segment_get(user=user, segment_id=segment_id)
    return _members(user, selectors.saved_segment_customers(user=user, segment=segment), filters)

