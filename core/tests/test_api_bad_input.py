"""What the API promises under bad input (docs/api.md): never a 500. An integer no column can hold
is a 422 wherever it is sent; a too-large body is a 413; a body of many unknown keys is refused
with a short answer. All in the usual error shape."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from django.test import Client

from accounts.services import token_create
from kehu.api import api as ninja_api

pytestmark = pytest.mark.django_db

API = "/api/v1"
BIG = 99999999999999999999  # > 2**63 - 1
TOO_SMALL = -(2**63) - 1
MAX_ERRORS = 20  # errors echoed in one answer, as docs/api.md promises (core.api.MAX_ERRORS)


class Caller:
    """Sends a user's bearer token, JSON bodies (as text, so any int survives) and English."""

    def __init__(self, user: Any) -> None:
        _, secret = token_create(user=user, name="tests")
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def send(self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None) -> Any:
        url = API + path
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        if body is None:
            return getattr(self.client, method)(url, **self.headers)
        return getattr(self.client, method)(url, json.dumps(body), content_type="application/json", **self.headers)


def assert_error_shape(response: Any, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.content[:500]
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for item in detail:
        assert set(item) == {"loc", "msg", "type"}
        assert isinstance(item["loc"], list) and isinstance(item["msg"], str) and item["msg"]
    return detail


# --- 1. Integer overflow: the operations the fuzzer found, against real rows ----------------------

@pytest.fixture
def admin(admin_user):
    return Caller(admin_user)


ISSUE_CASES = [
    ("get", "/customers", {"owner": BIG}, None, ["query", "owner"]),
    ("get", "/customers", {"team": BIG}, None, ["query", "team"]),
    ("get", "/customers", {"tag": BIG}, None, ["query", "tag"]),
    ("get", "/customers", {"tag": TOO_SMALL}, None, ["query", "tag"]),
    ("get", f"/customers/{BIG}", None, None, ["path", "customer_id"]),
    ("get", f"/customers/{BIG}/scores", None, None, ["path", "customer_id"]),
    ("get", "/orders", {"customer": BIG}, None, ["query", "customer"]),
    ("get", "/orders", {"salesperson": BIG}, None, ["query", "salesperson"]),
    ("get", "/orders", {"product": BIG}, None, ["query", "product"]),
    ("get", "/costs", {"customer": BIG}, None, ["query", "customer"]),
    ("get", "/interactions", {"customer": BIG}, None, ["query", "customer"]),
    ("get", "/interactions", {"staff": BIG}, None, ["query", "staff"]),
    ("get", "/follow-ups", {"customer": BIG}, None, ["query", "customer"]),
    ("get", "/follow-ups", {"assignee": BIG}, None, ["query", "assignee"]),
    ("get", "/call-list", {"owner": BIG}, None, ["query", "owner"]),
    ("post", "/customers", None, {"name": "陈静", "tags": [BIG]}, ["body", "tags", 0]),
    ("post", "/customers", None, {"name": "陈静", "owner": BIG}, ["body", "owner"]),
    ("post", "/segments", None, {"name": "s", "rules": [{"field": "owner", "op": "eq", "value": BIG}]},
     ["body", "rules", 0, "value"]),
]


@pytest.mark.parametrize(("method", "path", "query", "body", "loc"), ISSUE_CASES,
                         ids=[f"{c[0]} {c[1][:20]} {c[4]}" for c in ISSUE_CASES])
def test_an_integer_no_column_holds_is_a_422(admin, customer_a, method, path, query, body, loc):
    detail = assert_error_shape(admin.send(method, path, query, body), 422)
    assert [item["loc"] for item in detail] == [loc]
    assert detail[0]["type"] in ("less_than_equal", "greater_than_equal")
    assert "9223372036854775807" in detail[0]["msg"] or "-9223372036854775808" in detail[0]["msg"]


def test_the_largest_integer_a_column_holds_is_just_not_found(admin, customer_a):
    response = admin.send("get", f"/customers/{2**63 - 1}")
    assert response.status_code == 404
    assert admin.send("get", "/customers", {"owner": 2**63 - 1}).json()["items"] == []


# --- 1. Every operation, walked from the OpenAPI document ------------------------------------------

def _schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    doc = ninja_api.get_openapi_schema()
    return doc["paths"], doc["components"]["schemas"]


PATHS, COMPONENTS = _schemas()


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return COMPONENTS[ref.rsplit("/", 1)[-1]] if ref else schema


def _minimal(schema: dict[str, Any]) -> Any:
    """The smallest value the schema accepts (enough for the walked operations' bodies)."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        return None if len(options) < len(schema["anyOf"]) else _minimal(options[0])
    if "enum" in schema:
        return next((v for v in schema["enum"] if v != ""), schema["enum"][0])
    kind = schema.get("type")
    if kind == "object":
        return {name: _minimal(prop) for name, prop in schema.get("properties", {}).items()
                if name in schema.get("required", [])}
    if kind == "array":
        return [_minimal(schema["items"]) for _ in range(schema.get("minItems", 0))]
    if kind == "string" and re.search(schema.get("pattern", "^$"), "1"):
        return "1"  # a decimal written as text
    if kind == "string":
        return {"date": "2026-01-01", "date-time": "2026-01-01T00:00:00Z"}.get(
            schema.get("format", ""), "x" * max(1, schema.get("minLength", 1)))
    return {"integer": 1, "number": 1, "boolean": False}.get(kind)


def _with_big_integer(schema: dict[str, Any]) -> list[tuple[list[Any], Any]]:
    """(loc below the body, a minimal value with that one integer set to BIG), per integer field."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        return [v for option in schema["anyOf"] for v in _with_big_integer(option)]
    kind = schema.get("type")
    if kind == "integer":
        return [([], BIG)]
    if kind == "array":
        return [([0, *loc], [value]) for loc, value in _with_big_integer(schema["items"])]
    if kind == "object":
        cases = []
        for name, prop in schema.get("properties", {}).items():
            for loc, value in _with_big_integer(prop):
                body = copy.deepcopy(_minimal(schema))
                body[name] = value
                cases.append(([name, *loc], body))
        return cases
    return []


def _walk() -> list[tuple[str, str, str, dict[str, Any], Any, list[Any]]]:
    """Per operation and integer parameter or body field: (template, method, path, query, body, loc)."""
    cases = []
    for template, operations in PATHS.items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            path_values = {p["name"]: (1 if p["schema"].get("type") == "integer" else "x")
                           for p in params if p["in"] == "path"}
            body_schema = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {})
            body = _minimal(body_schema["schema"]) if body_schema else None

            def url(values: dict[str, Any], template: str = template) -> str:
                return template.removeprefix(API).format(**values)

            for p in params:
                if "integer" not in json.dumps(p["schema"]):
                    continue
                if p["in"] == "path":
                    cases.append((template, method, url({**path_values, p["name"]: BIG}), {}, body,
                                  ["path", p["name"]]))
                elif p["in"] == "query":
                    cases.append((template, method, url(path_values), {p["name"]: BIG}, body, ["query", p["name"]]))
            if body_schema:
                for loc, big_body in _with_big_integer(body_schema["schema"]):
                    cases.append((template, method, url(path_values), {}, big_body, ["body", *loc]))
    return cases


WALK = _walk()


def _mentions_integer(operation: dict[str, Any]) -> bool:
    body = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {})
    return "integer" in json.dumps(operation.get("parameters", [])) or "integer" in json.dumps(
        _resolve(body.get("schema", {}))
    )


def test_the_walk_reaches_every_operation_with_an_integer():
    with_integers = {(m, t) for t, ops in PATHS.items() for m, op in ops.items() if _mentions_integer(op)}
    walked = {(method, template) for template, method, *_ in WALK}
    assert with_integers == walked
    assert len(walked) >= 45  # the walk really read the document


def test_every_operation_answers_422_for_an_integer_no_column_holds(admin):
    """One test over the walk (one user, one database) rather than 100 set-ups; names every miss."""
    misses = []
    for template, method, path, query, body, loc in WALK:
        response = admin.send(method, path, query, body)
        detail = response.json().get("detail") if response.status_code == 422 else None
        if not (isinstance(detail, list) and loc in [item.get("loc") for item in detail]):
            misses.append(f"{method.upper()} {path} {query} {loc}: {response.status_code} {response.content[:200]}")
    assert not misses, "\n".join(misses)


# --- 2. A body larger than the server accepts -----------------------------------------------------

def test_a_too_large_body_is_a_413_in_the_error_shape(admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = {"name": "x", "special_notes": "x" * (2 * 1024 * 1024)}
    response = admin.send("post", "/customers", body=body)
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large (at most 1.0\xa0MB)."}


# --- 3. Many unknown keys, many errors ------------------------------------------------------------

def test_many_unknown_keys_are_refused_early_with_a_short_answer(admin, customer_a):
    body = {f"unknown_{i}": i for i in range(100_000)}
    response = admin.send("patch", f"/customers/{customer_a.pk}", body=body)
    detail = assert_error_shape(response, 422)
    assert len(response.content) < 500
    assert detail == [{"loc": ["body"], "msg": "100000 fields cannot be set here.", "type": "too_many_unknown_fields"}]
    customer_a.refresh_from_db()
    assert customer_a.name != "" and not customer_a.special_notes


def test_a_few_unknown_keys_are_each_named(admin, customer_a):
    body = {"name": "x", **{f"unknown_{i}": i for i in range(MAX_ERRORS)}}
    detail = assert_error_shape(admin.send("patch", f"/customers/{customer_a.pk}", body=body), 422)
    assert [item["loc"] for item in detail] == [["body", f"unknown_{i}"] for i in range(MAX_ERRORS)]
    assert {item["type"] for item in detail} == {"extra_forbidden"}


def test_the_errors_echoed_are_capped_with_a_count(admin, customer_a):
    body = {"tags": ["not a number"] * 50_000}
    response = admin.send("patch", f"/customers/{customer_a.pk}", body=body)
    detail = assert_error_shape(response, 422)
    assert len(response.content) < 5_000
    assert len(detail) == MAX_ERRORS + 1
    assert detail[0] == {"loc": ["body", "tags", 0], "msg": "Enter a whole number.", "type": "int_parsing"}
    assert detail[-1] == {"loc": ["body"], "msg": f"…and {50_000 - MAX_ERRORS} more errors.",
                          "type": "too_many_errors"}


def test_the_nested_body_of_an_order_line_refuses_many_unknown_keys_too(admin, customer_a):
    line = {"product": 1, "quantity": "1", **{f"k{i}": 0 for i in range(1000)}}
    detail = assert_error_shape(admin.send("post", "/orders", body={"customer": customer_a.pk, "lines": [line]}), 422)
    assert detail == [{"loc": ["body", "lines", 0], "msg": "1000 fields cannot be set here.",
                       "type": "too_many_unknown_fields"}]


# --- 8. Every answer under /api/ is in the documented shape ----------------------------------------

def _operations_with(predicate: Any) -> list[tuple[str, str, dict[str, Any]]]:
    return [(template, method, op) for template, ops in PATHS.items() for method, op in ops.items()
            if predicate(op)]


def _url(template: str, operation: dict[str, Any], **overrides: Any) -> str:
    values = {p["name"]: (1 if p["schema"].get("type") == "integer" else "x")
              for p in operation.get("parameters", []) if p["in"] == "path"}
    return template.removeprefix(API).format(**{**values, **overrides})


WITH_BODY = _operations_with(lambda op: "requestBody" in op)
WITH_ID = _operations_with(lambda op: any(p["in"] == "path" and p["schema"].get("type") == "integer"
                                          for p in op.get("parameters", [])))


def test_the_walks_reach_the_operations_the_fuzzer_named():
    assert len(WITH_BODY) >= 23 and len(WITH_ID) >= 41


@pytest.mark.parametrize("body", [b"{not json", b'{"name": "\xff\xfe"}', b"[" * 100_000],
                         ids=["syntax", "not utf-8", "too deep"])
def test_a_body_that_is_not_json_is_a_422_in_the_list_shape_on_every_operation(admin, customer_a, body):
    misses = []
    for template, method, operation in WITH_BODY:
        path = _url(template, operation, customer_id=customer_a.pk)
        response = getattr(admin.client, method)(API + path, body, content_type="application/json",
                                                 **admin.headers)
        expected = [{"loc": ["body"], "msg": "The request body is not valid JSON.", "type": "json_invalid"}]
        if response.status_code != 422 or response.json() != {"detail": expected}:
            misses.append(f"{method.upper()} {path}: {response.status_code} {response.content[:200]}")
    assert not misses, "\n".join(misses)


def _assert_json_not_found(response: Any) -> None:
    assert response.status_code == 404, response.content[:200]
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {"detail": "Not found."}


def test_an_id_that_is_not_a_whole_number_is_the_json_404_on_every_operation(admin):
    misses = []
    for template, method, operation in WITH_ID:
        for bad in ("abc", "-1", "1.5", "%20"):
            ids = {p["name"]: bad for p in operation["parameters"] if p["schema"].get("type") == "integer"}
            path = _url(template, operation, **ids)
            response = admin.send(method, path, body={} if "requestBody" in operation else None)
            try:
                _assert_json_not_found(response)
            except (AssertionError, ValueError):
                misses.append(f"{method.upper()} {path}: {response.status_code} {response.content[:100]}")
    assert not misses, "\n".join(misses)


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/customers/1/nothing", "/api/v2/customers",
                                  "/api/", "/api/v1/customers/"])
def test_an_address_under_api_that_names_no_operation_is_the_json_404(admin, path):
    _assert_json_not_found(admin.client.get(path, **admin.headers))
    # Without a token and with a session cookie but no CSRF token: still the API's 404.
    anonymous = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    anonymous.cookies["sessionid"] = "x"
    _assert_json_not_found(anonymous.post(path, "x", content_type="text/plain"))


def test_a_method_the_address_does_not_offer_is_a_json_405(admin, customer_a):
    response = admin.send("put", "/products", body={})
    assert response.status_code == 405
    assert response["Allow"] in ("GET, POST", "POST, GET")
    assert response.json() == {"detail": "This method is not allowed here."}


def test_the_site_keeps_its_html_404_outside_the_api(admin):
    response = admin.client.get("/customers/not-a-page/", **admin.headers)
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


# --- 8. Decimals travel as plain decimal text ------------------------------------------------------

@pytest.fixture
def manager(manager_a):
    return Caller(manager_a)


PRODUCT = {"code": "P-1", "name": "保险箱", "category": "安全", "unit_cost": "10.00"}


@pytest.mark.parametrize("price", ["1e3", "1E+3", " 12", "+12", "12,5", "NaN", "Infinity", "0x10", "١٢"])
def test_a_decimal_in_another_notation_is_refused(manager, price):
    detail = assert_error_shape(manager.send("post", "/products", body={**PRODUCT, "price": price}), 422)
    assert detail == [{"loc": ["body", "price"], "msg": "Enter a number.", "type": "decimal_parsing"}]


# A price is a unit price: written with two decimals, or the up to four it has (docs/orders.md).
@pytest.mark.parametrize(("price", "answer"), [("1234.5", "1234.50"), (1000, "1000.00"), (12.25, "12.25"),
                                               ("0", "0.00"), ("0.0350", "0.035")])
def test_a_decimal_is_accepted_as_text_or_number_and_answered_as_text(manager, price, answer):
    response = manager.send("post", "/products", body={**PRODUCT, "price": price})
    assert response.status_code == 201, response.content
    assert response.json()["price"] == answer
    listed = manager.send("get", "/products").json()["items"][0]
    assert re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", listed["price"]) and listed["unit_cost"] == "10.00"


@pytest.mark.parametrize(("assets", "kind", "msg"), [
    ("9999999999999999.99", "decimal_max_digits", "Ensure that there are no more than 15 digits in total."),
    (9999999999999996.0, "decimal_max_digits", "Ensure that there are no more than 15 digits in total."),
    ("99999999999999", "decimal_whole_digits",
     "Ensure that there are no more than 13 digits before the decimal point."),
])
def test_a_decimal_with_more_digits_than_sqlite_keeps_is_refused(admin, customer_a, assets, kind, msg):
    """Found by Schemathesis: SQLite keeps decimals as 8-byte floats, so 9999999999999999.99 was
    stored as 1E+16, which the 18-digit column cannot read back: the customer's card and every list
    holding it answered 500 from then on."""
    detail = assert_error_shape(admin.send("post", "/customers", body={"name": "王芳", "assets": assets}), 422)
    assert detail == [{"loc": ["body", "assets"], "msg": msg, "type": kind}]
    response = admin.send("post", "/customers", body={"name": "王芳", "assets": "9999999999999.99"})
    assert response.status_code == 201
    assert admin.send("get", f"/customers/{response.json()['id']}").json()["assets"] == "9999999999999.99"


# --- A NUL character in any text --------------------------------------------------------------------

def _is_text(schema: dict[str, Any]) -> bool:
    schema = _resolve(schema)
    options = schema.get("anyOf", [schema])
    return any(_resolve(o).get("type") == "string" and "enum" not in _resolve(o) and "format" not in _resolve(o)
               for o in options)


def _nul_cases() -> list[tuple[str, str, str, Any, list[Any]]]:
    """Per operation and text parameter or top-level body field: (method, url, query, body, loc)."""
    cases = []
    for template, operations in PATHS.items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            body_schema = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {})
            body = _minimal(body_schema["schema"]) if body_schema else None
            path_values = {p["name"]: (1 if p["schema"].get("type") == "integer" else "x")
                           for p in params if p["in"] == "path"}
            for p in params:
                if not _is_text(p["schema"]):
                    continue
                if p["in"] == "path":
                    url = template.removeprefix(API).format(**{**path_values, p["name"]: "a%00b"})
                    cases.append((method, url, "", body, ["path", p["name"]]))
                elif p["in"] == "query":
                    cases.append((method, template.removeprefix(API).format(**path_values), f"{p['name']}=a%00b",
                                  body, ["query", p["name"]]))
            properties = _resolve(body_schema["schema"]).get("properties", {}) if body_schema else {}
            for name, prop in properties.items():
                if _is_text(prop):
                    cases.append((method, template.removeprefix(API).format(**path_values), "",
                                  {**body, name: "a\x00b"}, ["body", name]))
    return cases


NUL_CASES = _nul_cases()


def test_a_nul_character_in_any_text_is_a_422(admin, customer_a):
    """PostgreSQL refuses NUL in text (a 500 from `GET /products?q=…%00…`, found by Schemathesis);
    SQLite would store it. Every text parameter and body field of the document is walked."""
    assert len(NUL_CASES) >= 100  # the walk really read the document
    misses = []
    for method, path, query, body, loc in NUL_CASES:
        url = API + path + (f"?{query}" if query else "")
        if body is None:
            response = getattr(admin.client, method)(url, **admin.headers)
        else:
            response = getattr(admin.client, method)(url, json.dumps(body), content_type="application/json",
                                                     **admin.headers)
        detail = response.json().get("detail") if response.status_code == 422 else None
        # A text with a pattern (a currency, a decimal) is refused by its pattern before the check.
        kinds = {item["type"] for item in detail or [] if item["loc"] == loc}
        if not (kinds & {"null_character", "string_pattern_mismatch", "decimal_parsing"}):
            misses.append(f"{method.upper()} {url} {loc}: {response.status_code} {response.content[:200]}")
    assert not misses, "\n".join(misses)


def test_a_nul_character_in_a_key_of_a_json_object_is_a_422(admin):
    body = {"name": "s", "rules": [{"field": "city", "op": "eq", "value": {"a\x00": 1}}]}
    response = admin.send("post", "/segments", body=body)
    assert response.status_code == 422, response.content
