"""core.concurrency without an app: version tokens, If-Match, the check and the message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.test import RequestFactory
from django.utils import translation

from core import concurrency
from core.concurrency import StaleWrite, check_version, if_match, version_at


def test_versions_are_microseconds_and_differ_for_every_microsecond():
    moment = datetime(2026, 3, 5, 6, 7, 8, 123456, tzinfo=UTC)
    assert version_at(moment) == str(int(moment.timestamp()) * 1_000_000 + 123456)
    assert version_at(moment + timedelta(microseconds=1)) != version_at(moment)
    assert version_at(None) == ""


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("*", None), ('"17"', ["17"]), ('W/"17"', ["17"]), ('"17", W/"18"', ["17", "18"]), ("17", ["17"]),
])
def test_if_match_names_the_versions_or_nothing(header, expected):
    request = RequestFactory().patch("/", **({"HTTP_IF_MATCH": header} if header is not None else {}))
    assert if_match(request) == expected


def test_check_version_refuses_only_a_different_version(monkeypatch):
    moment = datetime(2026, 3, 5, 6, 7, 8, tzinfo=UTC)
    row = SimpleNamespace(updated_at=moment, pk=7, _meta=SimpleNamespace(label_lower="app.thing"))
    monkeypatch.setattr(concurrency.registry, "get", lambda name: lambda **kw: ("张敏", moment))
    check_version(row, None)
    check_version(row, version_at(moment))
    check_version(row, ["1", version_at(moment)])
    with pytest.raises(StaleWrite) as exc:
        check_version(row, "1")
    assert exc.value.version == version_at(moment) and exc.value.changed_by == "张敏"
    with translation.override("en"):
        assert exc.value.message.startswith("Changed by 张敏 at ") and exc.value.message.endswith(
            " — review and save again.")
