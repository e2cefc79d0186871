"""The query-count baselines (query_counts.json, core.testing.assert_query_baseline): exact counts,
recorded per vendor where the databases differ, and every baseline belongs to a test."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import User
from core import testing
from core.testing import QUERY_COUNTS_FILE, assert_query_baseline, query_baselines

VENDORS = {"sqlite", "postgresql"}


def _names_in_tests() -> list[re.Pattern[str]]:
    """The baseline names the tests measure, as patterns (an f-string's fields match any text)."""
    patterns = []
    for path in Path(settings.BASE_DIR).glob("*/tests/**/*.py"):
        for is_f, name in re.findall(r'assert_query_baseline\(\s*(f?)"([^"]+)"', path.read_text(encoding="utf-8")):
            parts = re.split(r"\{[^}]*\}", name) if is_f else [name]
            patterns.append(re.compile(".+".join(re.escape(p) for p in parts)))
    return patterns


def test_every_baseline_is_measured_by_a_test_and_well_formed():
    patterns = _names_in_tests()
    assert len(patterns) > 30
    baselines = json.loads(QUERY_COUNTS_FILE.read_text(encoding="utf-8"))
    stale = [name for name in baselines if not any(p.fullmatch(name) for p in patterns)]
    assert not stale, f"baselines no test measures (remove them from {QUERY_COUNTS_FILE.name}): {stale}"
    for name, entry in baselines.items():
        counts = entry.values() if isinstance(entry, dict) else [entry]
        assert all(isinstance(n, int) and n >= 0 for n in counts), name
        assert not isinstance(entry, dict) or set(entry) == VENDORS, f"{name}: recorded on one database only"
    assert list(baselines) == sorted(baselines)  # as the recorder writes them


@pytest.fixture
def baselines_file(tmp_path, monkeypatch):
    path = tmp_path / "query_counts.json"
    monkeypatch.setattr(testing, "QUERY_COUNTS_FILE", path)
    monkeypatch.setattr(testing, "_recorded", {})
    monkeypatch.delenv(testing.UPDATE_QUERY_COUNTS_ENV, raising=False)
    return path


def _queries(n):
    return lambda: [User.objects.count() for _ in range(n)]


@pytest.mark.django_db
def test_a_count_other_than_the_baseline_fails(baselines_file):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    baselines_file.write_text(json.dumps({"two": 2, "split": {connection.vendor: 3, other: 1}}))
    assert assert_query_baseline("two", _queries(2)) == [0, 0]
    assert_query_baseline("split", _queries(3))
    with pytest.raises(pytest.fail.Exception, match="3 queries on .*the baseline .* is 2"):
        assert_query_baseline("two", _queries(3))
    with pytest.raises(pytest.fail.Exception, match="is 2"):
        assert_query_baseline("two", _queries(1))  # fewer fails too: the file then says what is true
    with pytest.raises(pytest.fail.Exception, match="no query-count baseline 'new'"):
        assert_query_baseline("new", _queries(1))


@pytest.mark.django_db
def test_recording_splits_and_joins_per_vendor(baselines_file, monkeypatch):
    monkeypatch.setenv(testing.UPDATE_QUERY_COUNTS_ENV, "1")
    here = connection.vendor
    other = "postgresql" if here == "sqlite" else "sqlite"
    assert_query_baseline("page", _queries(2))
    assert query_baselines() == {"page": {here: 2}}  # to be recorded on the other database too
    testing._record_baseline("page", other, 2)
    assert query_baselines() == {"page": 2}  # the same on both: one number
    monkeypatch.setattr(testing, "_recorded", {})
    assert_query_baseline("page", _queries(3))
    assert query_baselines() == {"page": {here: 3, other: 2}}
    with pytest.raises(pytest.fail.Exception, match="measured 3 and then 1"):
        assert_query_baseline("page", _queries(1))  # one name, one count within a run
