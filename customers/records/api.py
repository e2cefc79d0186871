"""Generic API operations for records that belong to a customer, from a declaration (`RecordApi`).

For one kind of record at ``path`` (e.g. ``/costs``) the declaration adds to a django-ninja router:

- ``GET path``: a keyset page (``{items, next_cursor, previous_cursor}``) of the records the caller
  sees, narrowed by the declared filter schema (which carries ``cursor`` and ``limit``); cursors are
  signed for this list, so a cursor of another list is a 400 on ``cursor``;
- ``POST path``: create through the kind's create service; the body names the customer
  (``customer``), and a customer the caller does not see is a 400 on ``customer`` (the body is
  not a path: nothing is "not found"); 201 with the record as read back;
- ``GET path/{id}``, ``PATCH path/{id}`` (only the fields sent change), ``PUT path/{id}`` where a
  full schema is declared (fields left out take their empty value), ``DELETE path/{id}`` (204).

No lost update (core.concurrency, ADR 0009): the read, create and update answers carry the record's
version as ``ETag``; a PATCH or PUT that sends it back as ``If-Match`` is refused with 409 (who
changed the record and when, and the current ``ETag``) when the record has changed since, and
changes nothing. Without ``If-Match`` (or with ``*``) the write is not checked, as before.

The rules are the pages' rules: out of scope is a 404 (the record is read, scoped, before anything
else), in scope without the right a 403 (the service refuses), refused data a 400 naming the
fields, and the error shape is core.api's. Writes go through RecordKind, so the audit rows say
source "api" (core.api.bind_actor).

Operation names (and so OpenAPI operation ids and URL names) are ``<name>_list``, ``_create``,
``_detail``, ``_update`` (PATCH), ``_replace`` (PUT) and ``_delete``, in the declaring module.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from accounts.models import User
from core.api import ERROR_RESPONSES, ApiValidationError, cursor_sign, cursor_unsign
from core.concurrency import if_match, set_etag
from core.pagination import KeysetPage
from customers.records.base import RecordKind
from customers.selectors import customers_visible


def ensure_customer_in_body(user: User, customer_id: int, loc: Collection[str] = ("body", "customer")) -> None:
    """A 400 on `loc` unless `user` sees the customer a request body names."""
    if not customers_visible(user).filter(pk=customer_id).exists():
        raise ApiValidationError.field(list(loc), _("No customer with this id."), "not_found")


def page_out(page: KeysetPage, scope: str) -> dict[str, Any]:
    """A keyset page as the API answers it, its cursors signed for `scope`."""
    return {"items": page.items, "next_cursor": cursor_sign(page.next_cursor, scope),
            "previous_cursor": cursor_sign(page.previous_cursor, scope)}


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _scoped_read(kind: RecordKind) -> Callable[[User, int], Any]:
    def read(user: User, pk: int) -> Any:
        return kind.scoped(user).get(pk=pk)
    return read


@dataclass(frozen=True)
class RecordApi:
    """The API of one kind of record. `register(router)` adds its operations to `router`."""

    kind: RecordKind
    path: str  # "/costs"
    name: str  # "cost": operations cost_list, cost_create, …
    module: str  # the declaring module's __name__: operation ids stay "<module>_<operation>"
    tags: list[str]
    out: type[Schema]
    page: type[Schema]  # core.api.cursor_page_schema(out, …)
    filters: type[Schema]  # query parameters, with `cursor` and `limit`
    list_selector: Callable[..., KeysetPage]  # (user=, filters=, cursor=, size=) -> KeysetPage
    create_in: type[Schema]  # with `customer` (the customer's id)
    patch_in: type[Schema]
    replace_in: type[Schema] | None = None  # a PUT when given
    summaries: Mapping[str, str] = field(default_factory=dict)  # by operation: "list", "create", …
    # The path parameter of the record's id ("cost_id").
    id_param: str = "id"
    # The list's cursor scope (default: the path without "/").
    cursor_scope: str = ""
    # PATCH: fields where null is a value to set (others: null means "leave as it is").
    nullable: Collection[str] = ("external_id",)
    # Create: fields whose null means "the service's default" (left out of the service's data).
    defaults: Collection[str] = ()
    # Create: body fields that are domain arguments of the create service, not fields: body name →
    # service keyword ({"follow_up": "follow_up"}).
    create_extra: Mapping[str, str] = field(default_factory=dict)
    # Text fields where "" means "none" (unique when set: "" would collide between records).
    blank_is_null: Collection[str] = ("external_id",)
    # How an answer reads the record (scoped: Model.DoesNotExist, a 404, outside scope).
    read: Callable[[User, int], Any] | None = None

    def register(self, router: Router) -> None:
        if self.kind.create is None or self.kind.update is None:
            raise ImproperlyConfigured(f"{self.kind.model.__name__} has no create or update service for an API")
        item = f"{self.path}/{{int:{self.id_param}}}"
        errors = ERROR_RESPONSES
        self._add(router.get(self.path, response={200: self.page, **errors}, tags=self.tags,
                             summary=self.summaries.get("list")),
                  self._list_op(), "list", filters=Query[self.filters])  # type: ignore[name-defined]
        self._add(router.post(self.path, response={201: self.out, **errors}, tags=self.tags,
                              summary=self.summaries.get("create")),
                  self._create_op(), "create", payload=self.create_in)
        self._add(router.get(item, response={200: self.out, **errors}, tags=self.tags,
                             summary=self.summaries.get("detail")),
                  self._detail_op(), "detail", **{self.id_param: int})
        self._add(router.patch(item, response={200: self.out, **errors}, tags=self.tags,
                               summary=self.summaries.get("update")),
                  self._update_op(partial=True), "update", **{self.id_param: int}, payload=self.patch_in)
        if self.replace_in is not None:
            self._add(router.put(item, response={200: self.out, **errors}, tags=self.tags,
                                 summary=self.summaries.get("replace")),
                      self._update_op(partial=False), "replace", **{self.id_param: int}, payload=self.replace_in)
        self._add(router.delete(item, response={204: None, **errors}, tags=self.tags,
                                summary=self.summaries.get("delete")),
                  self._delete_op(), "delete", **{self.id_param: int})

    # --- operations ------------------------------------------------------------------------------
    # Each takes the request and keyword arguments named as the signature _add gives it.

    def _get(self, user: User, pk: int) -> Any:
        return (self.read or _scoped_read(self.kind))(user, pk)

    def _list_op(self) -> Callable[..., Any]:
        scope = self.cursor_scope or self.path.strip("/")

        def operation(request: HttpRequest, filters: Schema) -> dict[str, Any]:
            values = filters.model_dump()
            cursor = cursor_unsign(values.pop("cursor"), scope)
            size = values.pop("limit")
            try:
                page = self.list_selector(user=_caller(request), filters=values, cursor=cursor, size=size)
            except ValidationError as exc:
                raise ApiValidationError.field(["query", "cursor"], str(exc.messages[0]), "invalid_cursor") from exc
            return page_out(page, scope)
        return operation

    def _create_op(self) -> Callable[..., Any]:
        def operation(request: HttpRequest, response: HttpResponse, payload: Schema) -> Status:
            user = _caller(request)
            data = payload.model_dump()
            customer_id = data.pop("customer")
            extra = {keyword: data.pop(name) for name, keyword in self.create_extra.items()}
            ensure_customer_in_body(user, customer_id)
            for name in self.defaults:
                if data.get(name, 0) is None:
                    data.pop(name)
            record = self.kind.create_record(actor=user, customer_id=customer_id, data=self._blank_null(data),
                                             **extra)
            return Status(201, self._answer(response, user, record.pk))
        return operation

    def _detail_op(self) -> Callable[..., Any]:
        def operation(request: HttpRequest, response: HttpResponse, **ids: int) -> Any:
            return self._answer(response, _caller(request), ids[self.id_param])
        return operation

    def _update_op(self, *, partial: bool) -> Callable[..., Any]:
        def operation(request: HttpRequest, response: HttpResponse, payload: Schema, **ids: int) -> Any:
            user, pk = _caller(request), ids[self.id_param]
            self._get(user, pk)  # a 404 outside the caller's scope, before anything else
            if partial:
                data = {k: v for k, v in payload.model_dump(exclude_unset=True).items()
                        if v is not None or k in self.nullable}
            else:
                data = payload.model_dump()
            # If-Match: the version the caller read; a record changed since is a StaleWrite (409, core.api).
            self.kind.update_record(actor=user, pk=pk, data=self._blank_null(data), expected_version=if_match(request))
            return self._answer(response, user, pk)
        return operation

    def _delete_op(self) -> Callable[..., Any]:
        def operation(request: HttpRequest, **ids: int) -> Status:
            user, pk = _caller(request), ids[self.id_param]
            self._get(user, pk)
            self.kind.delete_record(actor=user, pk=pk)
            return Status(204, None)
        return operation

    # --- parts -----------------------------------------------------------------------------------

    def _answer(self, response: HttpResponse, user: User, pk: int) -> Any:
        """The record as an answer reads it, its version as the answer's ETag."""
        record = self._get(user, pk)
        set_etag(response, record)
        return record

    def _blank_null(self, data: dict[str, Any]) -> dict[str, Any]:
        for name in self.blank_is_null:
            if data.get(name) == "":
                data[name] = None
        return data

    def _add(self, decorator: Callable[[Callable[..., Any]], Any], operation: Callable[..., Any], op: str,
             **params: Any) -> None:
        """Register `operation` under its public name, with the signature ninja reads its
        parameters from (the id's name is the declaration's, so it cannot be a Python name)."""
        operation.__name__ = operation.__qualname__ = f"{self.name}_{op}"
        operation.__module__ = self.module
        operation.__doc__ = None  # ninja would show a docstring as the operation's description
        request = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)
        # ninja hands an operation that asks for it the answer's headers (ETag) as `response`.
        wants_response = "response" in inspect.signature(operation).parameters
        answer = [inspect.Parameter("response", inspect.Parameter.KEYWORD_ONLY, annotation=HttpResponse)]
        operation.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
            request, *(answer if wants_response else ()),
            *(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
              for name, annotation in params.items()),
        ])
        decorator(operation)
