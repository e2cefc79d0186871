"""The OpenAPI document (/api/v1/openapi.json) describes the API that answers: one schema per
component name, the same error answers on every operation, decimals typed as what travels.
Schemathesis checks the answers against it (test_api_schemathesis.py, slow suite); these tests
check the document itself, over every operation, so new operations are covered."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from ninja.openapi.schema import OpenAPISchema
from pydantic import TypeAdapter

from core.api import DECIMAL_TEXT_PATTERN, DecimalText
from kehu.api import api as ninja_api

ERROR_STATUSES = {400, 401, 403, 404, 409, 413, 422}
LIST_SHAPED = {400, 422}  # {"detail": [{"loc", "msg", "type"}]}; the others {"detail": "…"}


def _document() -> dict[str, Any]:
    return json.loads(json.dumps(ninja_api.get_openapi_schema(), default=str))


DOC = _document()
COMPONENTS = DOC["components"]["schemas"]
OPERATIONS = [(f"{method.upper()} {path}", op) for path, ops in DOC["paths"].items() for method, op in ops.items()]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return COMPONENTS[ref.rsplit("/", 1)[-1]] if ref else schema


def test_every_component_name_names_one_schema():
    """ninja names a component after its class and keeps the last one of a name it meets: two
    classes called ``ProductOut`` (the catalogue's and the next-best-product's) made ``GET
    /products`` answer against the wrong schema. Every definition of every operation is recorded
    while the document is built; a name defined two ways fails, whichever operations use it."""
    definitions: dict[str, set[str]] = {}
    original = OpenAPISchema.add_schema_definitions

    def record(self: OpenAPISchema, found: dict[str, Any]) -> None:
        for name, definition in found.items():
            definitions.setdefault(name, set()).add(json.dumps(definition, sort_keys=True, default=str))
        original(self, found)

    with mock.patch.object(OpenAPISchema, "add_schema_definitions", record):
        ninja_api.get_openapi_schema()
    assert len(definitions) >= 60  # the recording saw the whole document
    clashes = {name: len(seen) for name, seen in definitions.items() if len(seen) > 1}
    assert not clashes, f"component names defined more than one way (rename a class): {clashes}"


def test_the_catalogue_product_is_the_product_component():
    listed = _resolve(DOC["paths"]["/api/v1/products"]["get"]["responses"]["200"]["content"]["application/json"]
                      ["schema"])
    item = _resolve(listed["properties"]["items"]["items"])
    assert {"id", "code", "price", "unit_cost"} <= set(item["properties"])


@pytest.mark.parametrize(("label", "operation"), OPERATIONS, ids=[label for label, _op in OPERATIONS])
def test_every_operation_documents_the_error_answers(label, operation):
    responses = operation["responses"]
    expected = ERROR_STATUSES - ({413} if "requestBody" not in operation else set())
    documented = {int(status) for status in responses}
    assert expected <= documented and not (documented & ERROR_STATUSES) - expected  # others (412, …) may be added
    for status in expected:
        answer = responses[str(status)]
        assert answer["description"] not in ("", "Bad Request", "Not Found"), (status, answer)
        detail = _resolve(answer["content"]["application/json"]["schema"])["properties"]["detail"]
        if status in LIST_SHAPED:
            item = _resolve(detail["items"])
            assert detail["type"] == "array" and set(item["required"]) == {"loc", "msg", "type"}
        else:
            assert detail["type"] == "string"


def _decimal_like(schema: Any, where: str) -> list[str]:
    """Places in a schema typed ``number | string`` whose string has no pattern."""
    found = []
    if isinstance(schema, dict):
        options = schema.get("anyOf", [])
        kinds = {option.get("type") for option in options}
        if {"number", "string"} <= kinds and any(o.get("type") == "string" and "pattern" not in o for o in options):
            found.append(where)
        for key, value in schema.items():
            found.extend(_decimal_like(value, f"{where}.{key}"))
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            found.extend(_decimal_like(value, f"{where}[{index}]"))
    return found


def test_no_field_is_a_bare_number_or_string():
    assert _decimal_like(DOC, "document") == []


@pytest.mark.parametrize(("component", "field", "valid", "invalid"), [
    ("ProductIn", "price", ["0", "1234.5", "0.035", "99999999999.9999"],
     ["-1", "1e3", "1.23456", "", " 1", "99999999999999"]),
    ("OrderLineIn", "quantity", ["1", "0.125"], ["-1", "1.2345", "1E+2"]),
    ("CustomerUpdateIn", "assets", ["-12.50", "0"], ["12,5", "+1", "NaN"]),
])
def test_decimal_inputs_are_a_patterned_string_or_a_number(component, field, valid, invalid):
    options = _resolve(COMPONENTS[component]["properties"][field]).get("anyOf")
    text = next(o for o in options if o.get("type") == "string")
    assert any(o.get("type") == "number" for o in options)
    pattern = re.compile(text["pattern"])
    assert [v for v in valid if not pattern.search(v)] == []
    assert [v for v in invalid if pattern.search(v)] == []


@pytest.mark.parametrize(("component", "field"), [
    ("ProductOut", "price"), ("OrderOut", "revenue"), ("OrderLineOut", "discount"), ("CostOut", "amount"),
    ("ClassStatsOut", "profit"),
])
def test_decimal_outputs_are_strings_in_plain_notation(component, field):
    assert COMPONENTS[component]["properties"][field]["pattern"] == DECIMAL_TEXT_PATTERN
    assert COMPONENTS[component]["properties"][field]["type"] == "string"


def test_a_decimal_answer_never_uses_an_exponent():
    dump = TypeAdapter(DecimalText).dump_python
    assert [dump(Decimal(v)) for v in ("1E+3", "0E-10", "-12.50")] == ["1000", "0.0000000000", "-12.50"]
