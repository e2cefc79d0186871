"""Collection rules for core's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

# Modules that build their tests from the OpenAPI document when imported (seconds of work per
# process): collected only when their marks are selected, so a `-m "not slow"` run does not pay.
SLOW_TO_COLLECT = {"test_api_schemathesis.py": "slow"}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    mark = SLOW_TO_COLLECT.get(collection_path.name)
    expression = config.getoption("markexpr", "")
    if mark is None or not expression:
        return None
    from _pytest.mark.expression import Expression  # how pytest itself evaluates -m

    return True if not Expression.compile(expression).evaluate(lambda name, **_kw: name == mark) else None


def pytest_itemcollected(item: pytest.Item) -> None:
    """Schemathesis (4.32) names an operation's test `test_x[GET /path]`, but builds the item's node
    id from the bare function name, which pytest 9.2 takes as given: every operation's test got the
    same id, and pytest-xdist's `--dist loadgroup` (make test) ran one test per id — 2 of 128. The
    id gets the operation as its parameter, as a parametrized test's has."""
    label = getattr(item, "operation_label", None)
    node_id = getattr(item, "_id", None)
    if label and node_id is not None and node_id.params is None:
        item._id = node_id.with_params(label)
