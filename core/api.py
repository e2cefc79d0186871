"""API building blocks with no domain knowledge: error handling, input/partial schemas, cursor
pages, and binding the acting user of an API call for the audit trail.

Errors all have one shape, ``{"detail": ...}``:

- 400 ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``: the data was rejected by the
  application's rules (django ``ValidationError`` from a service, an invalid cursor).
- 422, same shape: the request did not match the schema (wrong type, too long, unknown field,
  missing field, a whole number outside the 64-bit range every id column holds, a NUL character
  in a text, a body that is not JSON at all). ``loc`` starts with where the value was (``body``,
  ``query``, ``path``) and then names the field, e.g. ``["body", "name"]``. At most
  ``MAX_ERRORS`` items are echoed; a last item counts the rest.
- 413 ``{"detail": "message"}``: the body is larger than the server accepts.
- 401/403/404/405/409/500 ``{"detail": "message"}``. An address under ``/api/`` that names no
  operation (an unknown path, or an id that is not a whole number) is a 404 in this shape too, never
  the site's HTML page (``api_not_found``); a method the path does not offer is a 405. 409: the write
  conflicts with another — a unique value taken meanwhile, or ``If-Match`` naming a version that is no
  longer current (core.concurrency: "Changed by … at … — review and save again", with the current ``ETag``).

Messages are in the request's language. ``KehuAPI`` writes every operation's error answers into the
OpenAPI document the same way (``document_error_responses``); decimals are JSON strings in plain
notation both ways (``DecimalIn``, ``DecimalText``).
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.params.models import Param
from ninja.parser import Parser
from ninja.responses import NinjaJSONEncoder
from ninja.schema import NinjaGenerateJsonSchema
from ninja.signature.utils import get_typed_signature
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
    create_model,
    model_validator,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from core.actor import Source, acting_as
from core.clientaddr import client_ip
from core.concurrency import StaleWrite, etag

logger = logging.getLogger(__name__)


# --- Schemas -----------------------------------------------------------------------------------

# Errors echoed in one answer: a body of 100,000 unknown keys must not cost a 13 MB answer and
# seconds of translating messages nobody reads; the client fixes the first ones and sends again.
MAX_ERRORS = 20


class InSchema(Schema):
    """Base for request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_many_unknown_fields(cls, data: Any) -> Any:
        """More unknown fields than errors we echo: one error, before pydantic makes one per key
        (100,000 keys would otherwise cost seconds of work for errors nobody reads)."""
        if isinstance(data, dict) and len(data) > MAX_ERRORS:
            known = set(cls.model_fields) | {info.alias for info in cls.model_fields.values() if info.alias}
            unknown = sum(1 for key in data if key not in known)
            if unknown > MAX_ERRORS:
                raise PydanticCustomError(
                    "too_many_unknown_fields", "{count} fields cannot be set here", {"count": unknown}
                )
        return data


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    """400 and 422 answers."""

    detail: list[ErrorItem]


class MessageOut(Schema):
    """401, 403, 404, 405, 409, 413 answers."""

    detail: str


# Responses every endpoint may give besides its success answer (for the OpenAPI document; KehuAPI
# adds the missing ones to every operation, so a router need not repeat them).
ERROR_RESPONSES: dict[int, type[Schema]] = {
    400: ValidationErrorOut, 401: MessageOut, 403: MessageOut, 404: MessageOut, 409: MessageOut,
    413: MessageOut, 422: ValidationErrorOut,
}

# What each error answer means, as the OpenAPI document says it (English, like the rest of it).
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The data broke one of kehu's rules (or the cursor is not one kehu made for this list).",
    401: "No token, or one that is unknown, revoked or belongs to a deactivated user.",
    403: "You may see this but not do it.",
    404: "Not found, or outside your scope: the API never tells which.",
    409: "A conflicting change by someone else: reload and try again.",
    413: "The request body is too large.",
    422: "The request does not match this document (type, length, range, unknown or missing field, not JSON).",
}


# --- Decimals ----------------------------------------------------------------------------------

# A decimal written as text, as kehu writes and reads it: an optional minus, digits, optionally a
# point and more digits. No exponent, no "+", no spaces, ASCII digits only (Python's \d would take
# "١٢"): pydantic alone would take "1e3" or " 1.5".
DECIMAL_TEXT_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_DECIMAL_TEXT = re.compile(DECIMAL_TEXT_PATTERN)


def _decimal_text_plain(value: Any) -> Any:
    if isinstance(value, str) and not _DECIMAL_TEXT.fullmatch(value):
        raise PydanticCustomError("decimal_parsing", "Input should be a valid decimal")
    return value


# The significant digits a decimal keeps on both databases (SQLite: an 8-byte float).
SAFE_DIGITS = 15


class DecimalIn:
    """Annotation of a decimal in a request body: ``Annotated[Decimal, DecimalIn(max_digits=16,
    decimal_places=2, ge=0)]``. Accepted as a JSON string in plain notation (``"1234.50"``, the way
    answers write it and the precise way to send it) or as a JSON number, within the digits and
    bounds given (pydantic's error types: ``decimal_max_digits``, ``greater_than_equal``, …). The
    OpenAPI document says exactly that, the string with a pattern of the digits allowed before and
    after the point, instead of pydantic's bare ``number | string``.

    At most ``SAFE_DIGITS`` digits in all, whatever the column holds: SQLite keeps a decimal as an
    8-byte float, so more digits come back rounded, and a value rounded up to the column's limit
    (``assets`` 9999999999999999.99 becomes 1E+16) cannot be read back at all: every later read of
    that customer was a 500 (found by Schemathesis)."""

    def __init__(
        self, *, max_digits: int, decimal_places: int, ge: int | None = None, gt: int | None = None,
        le: int | None = None,
    ) -> None:
        self.max_digits, self.decimal_places = min(max_digits, SAFE_DIGITS), decimal_places
        self.ge, self.gt, self.le = ge, gt, le

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        def bound(value: int | None) -> Decimal | None:
            return None if value is None else Decimal(value)

        decimal = core_schema.decimal_schema(
            max_digits=self.max_digits, decimal_places=self.decimal_places, ge=bound(self.ge), gt=bound(self.gt),
            le=bound(self.le),
        )
        return core_schema.no_info_before_validator_function(_decimal_text_plain, decimal)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        if handler.mode == "serialization":
            return {"type": "string", "pattern": DECIMAL_TEXT_PATTERN}
        whole = self.max_digits - self.decimal_places
        lower = min((bound for bound in (self.ge, self.gt) if bound is not None), default=None)
        sign = "" if lower is not None and lower >= 0 else "-?"
        fraction = rf"(\.[0-9]{{1,{self.decimal_places}}})?" if self.decimal_places else ""
        number: dict[str, Any] = {"type": "number"}
        if self.ge is not None:
            number["minimum"] = self.ge
        if self.gt is not None:
            number["exclusiveMinimum"] = self.gt
        if lower is None:
            number["exclusiveMinimum"] = -(10**whole)
        if self.le is not None:
            number["maximum"] = self.le
        else:
            number["exclusiveMaximum"] = 10**whole
        text = {"type": "string", "pattern": rf"^{sign}[0-9]{{1,{whole}}}{fraction}$"}
        return {"anyOf": [text, number]}


# A decimal in an answer: a JSON string in plain notation ("1000.00", never "1E+3").
DecimalText = Annotated[
    Decimal,
    PlainSerializer(lambda value: format(value, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_TEXT_PATTERN, "examples": ["1234.50"]},
                   mode="serialization"),
]


def partial_schema(schema: type[Schema], name: str) -> type[Schema]:
    """The same fields as `schema`, each optional, for PATCH. A field left out stays unset
    (``model_dump(exclude_unset=True)`` omits it); a field sent must still be valid, so ``null``
    is accepted only where the full schema accepts it."""
    fields: dict[str, Any] = {}
    for field_name, info in schema.model_fields.items():
        # The default is not validated by pydantic, so None here means "not sent", never "null".
        optional = copy.copy(info)
        optional.default = None
        optional.default_factory = None
        fields[field_name] = (info.annotation, optional)
    return create_model(name, __base__=schema, **fields)


def cursor_page_schema(item: type[Schema], name: str) -> type[Schema]:
    """``{items: [item], next_cursor, previous_cursor}``: one page of a keyset-paginated list."""
    return create_model(
        name,
        __base__=Schema,
        items=(list[item], ...),  # type: ignore[valid-type]  # the item schema is a variable: built at run time
        next_cursor=(str | None, Field(None, description="Pass as `cursor` to get the next page.")),
        previous_cursor=(str | None, Field(None, description="Pass as `cursor` to get the previous page.")),
    )


# Dates and times as ninja's encoder writes them: it hands them to DjangoJSONEncoder (ISO 8601,
# milliseconds, "Z"), called here directly, past ninja's checks for its own types.
_time_text = DjangoJSONEncoder().default


def times_as_text(row: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """Write the date/datetime values of `row` under `keys` as the JSON encoder would, in place:
    50 rows of 3 timestamps otherwise call back from the C encoder into Python 150 times."""
    for key in keys:
        value = row[key]
        if value is not None:
            row[key] = _time_text(value)
    return row


def json_response(data: Any, status: int = 200) -> HttpResponse:
    """An answer the endpoint built itself in its schema's shape (keys in the schema's order,
    values of the schema's types), rendered as ninja renders a validated answer (same encoder,
    same content type). Hot read endpoints use it to skip validating, field by field, data they
    read from the database and assembled themselves; a test compares the two renderings."""
    return HttpResponse(
        json.dumps(data, cls=NinjaJSONEncoder), status=status, content_type="application/json; charset=utf-8"
    )


def plain_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Schema output as plain values for services: enums become their value."""
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in data.items()}


# --- Cursors -----------------------------------------------------------------------------------

def _cursor_signer(scope: str) -> signing.Signer:
    return signing.Signer(salt=f"kehu.api.cursor:{scope}")


def cursor_sign(cursor: str | None, scope: str) -> str | None:
    """An API cursor: the keyset cursor, signed for `scope` (e.g. the sort order). Signing means a
    cursor handed back is one we made for this ordering, so its values always fit the columns."""
    return None if cursor is None else _cursor_signer(scope).sign(cursor)


def cursor_unsign(token: str | None, scope: str) -> str | None:
    """The keyset cursor inside an API cursor; a 400 on ``cursor`` if it was not made for `scope`."""
    if not token:
        return None
    try:
        return _cursor_signer(scope).unsign(token)
    except signing.BadSignature:
        raise ApiValidationError.field(
            ["query", "cursor"], _("The page link is invalid or out of date."), "invalid_cursor"
        ) from None


# --- Errors ------------------------------------------------------------------------------------

class ApiValidationError(Exception):
    """A 400 with field-located messages, raised by endpoints for checks that are not a service's
    (e.g. an id in the body that names nothing the user may use)."""

    def __init__(self, errors: Iterable[tuple[Iterable[str | int], str, str]]) -> None:
        self.errors = [{"loc": list(loc), "msg": msg, "type": type_} for loc, msg, type_ in errors]
        super().__init__(self.errors)

    @classmethod
    def field(cls, loc: Iterable[str | int], msg: str, type_: str = "invalid") -> ApiValidationError:
        return cls([(loc, msg, type_)])


def django_error_items(exc: DjangoValidationError, prefix: Iterable[str] = ("body",)) -> list[dict[str, Any]]:
    """A django ValidationError as ``[{loc, msg, type}]``; errors not tied to a field get ``loc``
    = `prefix` alone."""
    prefix = list(prefix)
    items: list[dict[str, Any]] = []
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.error_dict.items():
            loc = prefix if field_name == NON_FIELD_ERRORS else [*prefix, field_name]
            for error in errors:
                items.extend(_items(error, loc))
    else:
        items.extend(_items(exc, prefix))
    return items


def _items(exc: DjangoValidationError, loc: list[str]) -> list[dict[str, Any]]:
    return [
        {"loc": loc, "msg": next(iter(e)), "type": e.code or "invalid"}
        for e in exc.error_list
    ]


# Schema errors whose message counts something: pydantic type -> (the count's key in the error's
# ctx, the message's placeholder for it, the message in singular and plural). The msgids are
# django's where django has the message, so that its translations apply.
_COUNTED: dict[str, tuple[str, str, Any]] = {
    "string_too_long": ("max_length", "max", ngettext_lazy(
        "Ensure this value has at most %(max)s character.", "Ensure this value has at most %(max)s characters.",
        "max")),
    "string_too_short": ("min_length", "min", ngettext_lazy(
        "Ensure this value has at least %(min)s character.", "Ensure this value has at least %(min)s characters.",
        "min")),
    "decimal_max_digits": ("max_digits", "max", ngettext_lazy(
        "Ensure that there are no more than %(max)s digit in total.",
        "Ensure that there are no more than %(max)s digits in total.", "max")),
    "decimal_whole_digits": ("whole_digits", "max", ngettext_lazy(
        "Ensure that there are no more than %(max)s digit before the decimal point.",
        "Ensure that there are no more than %(max)s digits before the decimal point.", "max")),
    "decimal_max_places": ("decimal_places", "max", ngettext_lazy(
        "Ensure that there are no more than %(max)s decimal place.",
        "Ensure that there are no more than %(max)s decimal places.", "max")),
    "too_many_unknown_fields": ("count", "count", ngettext_lazy(
        "%(count)s field cannot be set here.", "%(count)s fields cannot be set here.", "count")),
}


def _pydantic_message(error: Mapping[str, Any]) -> str:
    """The message of one schema error in the request's language (pydantic's own are English
    only). Where django has the same message, its msgid is reused so its translation applies."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    simple = {
        "missing": _("This field is required."),
        "extra_forbidden": _("This field cannot be set here."),
        "string_type": _("Enter text."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "int_from_float": _("Enter a whole number."),
        "bool_parsing": _("Enter true or false."),
        "bool_type": _("Enter true or false."),
        "date_parsing": _("Enter a valid date."),
        "date_from_datetime_parsing": _("Enter a valid date."),
        "date_from_datetime_inexact": _("Enter a valid date."),
        "date_type": _("Enter a valid date."),
        "datetime_parsing": _("Enter a valid date/time."),
        "datetime_from_date_parsing": _("Enter a valid date/time."),
        "datetime_type": _("Enter a valid date/time."),
        "decimal_parsing": _("Enter a number."),
        "decimal_type": _("Enter a number."),
        "float_parsing": _("Enter a number."),
        "list_type": _("Enter a list of values."),
        "json_invalid": _("The request body is not valid JSON."),
        "model_attributes_type": _("Send a JSON object."),
        "dict_type": _("Send a JSON object."),
        "model_type": _("Send a JSON object."),
        "string_pattern_mismatch": _("Enter a valid value."),
        "null_character": _("Null characters are not allowed."),
    }
    if kind in simple:
        return simple[kind]
    if kind in _COUNTED:
        ctx_key, placeholder, message = _COUNTED[kind]
        return str(message % {placeholder: ctx.get(ctx_key, 0)})
    if kind in ("greater_than_equal", "greater_than"):
        return _("Ensure this value is greater than or equal to %(limit_value)s.") % {
            "limit_value": ctx.get("ge", ctx.get("gt"))
        }
    if kind in ("less_than_equal", "less_than"):
        return _("Ensure this value is less than or equal to %(limit_value)s.") % {
            "limit_value": ctx.get("le", ctx.get("lt"))
        }
    if kind in ("literal_error", "enum"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    return _("Enter a valid value.")


def _client_loc(error: Mapping[str, Any]) -> list[Any]:
    loc = list(error.get("loc") or [])
    # ninja puts the view's parameter name after the source ("body", "payload", "name");
    # clients know fields, not our parameter names, so keep source + field path. A body error
    # about the whole body (``["body", "payload"]``) is located at ``["body"]``.
    if (len(loc) >= 3 and loc[0] in ("body", "query", "form")) or (len(loc) == 2 and loc[0] == "body"):
        loc = [loc[0], *loc[2:]]
    return loc


def _schema_error_items(exc: NinjaValidationError) -> list[dict[str, Any]]:
    errors = exc.errors
    items = [
        {"loc": _client_loc(error), "msg": _pydantic_message(error), "type": str(error.get("type", "invalid"))}
        for error in errors[:MAX_ERRORS]
    ]
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        items.append({
            "loc": _client_loc(errors[MAX_ERRORS])[:1],
            "msg": ngettext("…and %(count)s more error.", "…and %(count)s more errors.", more) % {"count": more},
            "type": "too_many_errors",
        })
    return items


# --- Values no column holds --------------------------------------------------------------------

# The range of every integer column (PostgreSQL bigint, SQLite INTEGER). pydantic accepts any
# Python int, and one outside this range fails in the database driver (PostgreSQL "out of range",
# SQLite OverflowError) as a 500 instead of a 422. Likewise a NUL character in any text: PostgreSQL
# refuses it in text and JSON columns and in query parameters ("cannot contain NUL (0x00) bytes";
# found by Schemathesis in a search term). Checking every validated argument of every operation
# in one decorator covers paths, filters and bodies, including operations added later, without
# each schema having to remember a bounded type.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
NUL = "\x00"


def _unstorable(value: Any, loc: list[Any]) -> Iterator[dict[str, Any]]:
    """Schema errors (pydantic's shape) for every integer in `value` that no column can hold, and
    every text (or object key) with a NUL character."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if value > INT_MAX:
            yield {"loc": tuple(loc), "type": "less_than_equal", "ctx": {"le": INT_MAX}, "msg": ""}
        elif value < INT_MIN:
            yield {"loc": tuple(loc), "type": "greater_than_equal", "ctx": {"ge": INT_MIN}, "msg": ""}
    elif isinstance(value, str):
        if NUL in value:
            yield {"loc": tuple(loc), "type": "null_character", "msg": ""}
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _unstorable(getattr(value, name), [*loc, name])
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                yield {"loc": (*loc, key), "type": "null_character", "msg": ""}
            yield from _unstorable(item, [*loc, key])
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _unstorable(item, [*loc, index])


def _param_sources(func: Callable[..., Any]) -> dict[str, str]:
    """Where ninja reads each argument of a view from, when the signature says so: ``Query[...]``
    and the like name it; an unmarked schema is the body."""
    sources = {}
    for name, param in get_typed_signature(inspect.unwrap(func)).parameters.items():
        annotation = param.annotation
        marks = [m for m in getattr(annotation, "__metadata__", ()) if isinstance(m, Param)]
        if marks:
            sources[name] = marks[0]._param_source()
        elif inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            sources[name] = "body"
    return sources


def reject_unstorable_values(func: Callable[..., Any]) -> Callable[..., Any]:
    """Operation decorator: a 422 (as any schema error) for an integer no column can hold or a text
    with a NUL character, before the view runs, wherever it was sent."""
    sources = _param_sources(func)

    @functools.wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        path_params = request.resolver_match.kwargs if request.resolver_match else {}
        errors = [
            error
            for name, value in kwargs.items()
            for error in _unstorable(
                value, [sources.get(name) or ("path" if name in path_params else "query"), name]
            )
        ]
        if errors:
            raise NinjaValidationError(errors)
        return func(request, *args, **kwargs)

    return wrapper


class UnparseableBody(ValueError):
    """The request body is not JSON (or not text at all)."""


class JsonBodyParser(Parser):
    """ninja's JSON parser, saying when a body does not parse (see ``on_http_error``)."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return super().parse_body(request)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise UnparseableBody(str(exc)) from exc


def _error_answer(detail: str, status: int) -> HttpResponse:
    """``{"detail": "…"}`` outside an operation, rendered as the operations' error answers are."""
    return json_response({"detail": detail}, status)


@csrf_exempt  # it changes nothing; a POST with a session cookie must get the 404, not the CSRF page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The view behind every address under /api/ that names no operation: an unknown path, or one
    whose id is not a whole number (``/customers/abc``, ``/customers/-1``). A client gets the
    JSON 404 every operation gives, not the site's HTML page."""
    return _error_answer(_("Not found."), 404)


def _json_when_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a method the path does not offer with a plain-text 405: say it in JSON too,
    keeping the Allow header."""

    @functools.wraps(view)  # keeps csrf_exempt, which ninja sets on its views
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = _error_answer(_("This method is not allowed here."), 405)
            response["Allow"] = allowed
        return response

    return wrapper


def _error_statuses(operation: Mapping[str, Any]) -> list[int]:
    """The error answers an operation may give: every one of them, except 401 where no credential
    is asked for and 413 where no body is read."""
    return [
        status for status in ERROR_RESPONSES
        if (status != 401 or operation.get("security")) and (status != 413 or "requestBody" in operation)
    ]


def document_error_responses(document: dict[str, Any]) -> None:
    """Write every operation's error answers into an OpenAPI `document`, in place: the same
    statuses, descriptions and shapes everywhere, whatever a router declared (``_error_statuses``
    says which). A router's own schema for a status (e.g. a richer 409) is kept; only its
    description is made the common one."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in {*ERROR_RESPONSES.values()}:
        definition = model.model_json_schema(
            ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode="serialization")
        schemas.update(definition.pop("$defs", {}))
        schemas[model.__name__] = definition
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            statuses = _error_statuses(operation)
            for status in ERROR_RESPONSES.keys() - statuses:
                responses.pop(status, None)
            for status in statuses:
                answer = responses.setdefault(status, {})
                answer["description"] = ERROR_DESCRIPTIONS[status]
                answer.setdefault("content", {"application/json": {"schema": {
                    "$ref": REF_TEMPLATE.format(model=ERROR_RESPONSES[status].__name__)}}})


class KehuAPI(NinjaAPI):
    """The NinjaAPI every answer of which is JSON in the error shape of this module, and whose
    OpenAPI document lists the error answers of every operation."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("parser", JsonBodyParser())
        super().__init__(**kwargs)

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        document = super().get_openapi_schema(**kwargs)
        document_error_responses(document)
        return document

    def _get_urls(self) -> list[Any]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_when_not_allowed(pattern.callback)
        return urls


def install_error_handlers(api: NinjaAPI) -> None:
    """Map exceptions to the answers described in this module's docstring."""

    def respond(request: HttpRequest, detail: Any, status: int) -> HttpResponse:
        return api.create_response(request, {"detail": detail}, status=status)

    @api.exception_handler(DjangoValidationError)
    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return respond(request, django_error_items(exc), 400)

    @api.exception_handler(ApiValidationError)
    def on_api_validation(request: HttpRequest, exc: ApiValidationError) -> HttpResponse:
        return respond(request, exc.errors, 400)

    @api.exception_handler(NinjaValidationError)
    def on_schema_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, _schema_error_items(exc), 422)

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = exc.message if exc.message != "Unauthorized" else _("Authentication required: send a token.")
        response = respond(request, detail, 401)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(PermissionDenied)
    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, str(exc) or _("You do not have permission to do this."), 403)

    def not_found(request: HttpRequest, exc: object) -> HttpResponse:
        return respond(request, _("Not found."), 404)

    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(ObjectDoesNotExist, not_found)

    @api.exception_handler(IntegrityError)
    def on_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # A race with another write (two creates of the same unique name): the client may retry.
        logger.warning("API integrity error on %s %s: %s", request.method, request.path, exc)
        return respond(request, _("The record conflicts with another change. Reload and try again."), 409)

    @api.exception_handler(StaleWrite)
    def on_stale_write(request: HttpRequest, exc: StaleWrite) -> HttpResponse:
        # If-Match named an older version (core.concurrency): who changed it, when, and the current ETag.
        response = respond(request, exc.message, 409)
        response["ETag"] = etag(exc.version)
        return response

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return respond(
            request,
            _("The request body is too large (at most %(size)s).") % {"size": filesizeformat(limit)},
            413,
        )

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, UnparseableBody):
            # ninja wraps the parser's error in a 400 with a bare message; the body is checked
            # against the document like any other input, so: 422, the usual items.
            item = {"loc": ["body"], "msg": _("The request body is not valid JSON."), "type": "json_invalid"}
            return respond(request, [item], 422)
        if exc.status_code in (400, 422):
            return respond(request, [{"loc": [], "msg": str(exc), "type": "invalid"}], exc.status_code)
        return respond(request, str(exc), exc.status_code)

    @api.exception_handler(Exception)
    def on_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return respond(request, _("Internal server error."), 500)


# --- The acting user ---------------------------------------------------------------------------

def bind_actor(func: Callable[..., Any]) -> Callable[..., Any]:
    """Operation decorator: run the endpoint as the authenticated user, through the API door, so
    audit rows say source "api" whoever authenticated (token or session)."""

    @functools.wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with acting_as(getattr(request, "auth", None), Source.API, client_ip(request)):
            return func(request, *args, **kwargs)

    return wrapper
