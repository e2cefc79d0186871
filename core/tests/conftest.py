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
