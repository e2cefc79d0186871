"""Test helpers and pytest fixtures shared by every app (imported by the root conftest)."""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.utils import translation

_seq = itertools.count(1)

PASSWORD = "kehu-test-pass-1"

# --- The tests' data folder ----------------------------------------------------------------------
# The suite never uses the real data folder (data/: the development database, uploads, the bench
# databases). The root conftest points KEHU_DATA_DIR and KEHU_MEDIA_ROOT at a folder of its own
# before anything runs (tests_data_folder_configure); with xdist, every worker gets its own folder
# below it, and the workers' settings are made with it from the start. Every test gets its own
# media folder too (isolated_test_settings), so a test that writes into the data folder, directly
# or through a subprocess that inherits the environment, has bypassed both: after each test the
# folder is checked and the test fails naming the files; at the end of the run (in the xdist
# controller, after all workers) the whole folder is checked again, which catches writes made where
# the per-test check did not run.

DATA_ROOT_ENV = "KEHU_TEST_DATA_ROOT"


def tests_data_folder() -> Path:
    """This process's data folder for the tests (set up by tests_data_folder_configure)."""
    from django.conf import settings

    return Path(settings.DATA_DIR)


def tests_data_folder_configure(config: pytest.Config) -> None:
    """pytest_configure: give this run (the xdist controller, or a run without xdist) a data folder
    of its own and point the environment and the settings at it; an xdist worker points at a
    folder of its own inside the controller's."""
    from django.conf import settings

    if config.getoption("help") or config.getoption("version"):
        return  # no session follows to remove the folder
    worker = getattr(config, "workerinput", None)
    if worker is None:
        root = Path(tempfile.mkdtemp(prefix="kehu-tests-data-"))
        os.environ[DATA_ROOT_ENV] = str(root)
        config.stash[_root_key] = root
        data = root / "data"
    else:
        data = Path(os.environ[DATA_ROOT_ENV]) / worker["workerid"] / "data"
    # Subprocesses (kehu commands, servers) inherit these; this process's settings were read before
    # any conftest ran, so they are set here as well (a worker's were already read with the
    # controller's folder).
    os.environ["KEHU_DATA_DIR"] = str(data)
    os.environ["KEHU_MEDIA_ROOT"] = str(data / "media")
    settings.DATA_DIR = data
    settings.MEDIA_ROOT = data / "media"
    settings.STATIC_ROOT = data / "static"
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


_root_key = pytest.StashKey[Path]()


def files_written(folder: Path) -> list[str]:
    """The files below `folder` (relative paths, sorted): the tests' data folder holds none."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir())


def tests_data_folder_finish(session: pytest.Session) -> None:
    """pytest_sessionfinish of the controller (or a run without xdist): fail the run when any file
    was written into the tests' data folder (of any worker), then remove the folder."""
    root = session.config.stash.get(_root_key, None)
    if root is None:
        return
    written = files_written(root)
    shutil.rmtree(root, ignore_errors=True)
    if written:
        session.config.get_terminal_writer().line(
            f"\nkehu: tests wrote into the data folder, which no test may use: {written}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def isolated_test_settings(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Every test: its own media folder, the fast password hasher, compiled SQL checked on every
    call (core.compiled's KEHU_COMPILED_VERIFY); afterwards, nothing written into the tests' data
    folder (a test that did fails, naming the files, which are then removed so that the next test
    starts clean)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real password hashing costs ~100 ms a user; the tests check logins, not hash strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KEHU_COMPILED_VERIFY = True
    data = tests_data_folder()
    # Every test starts in English, whatever the test before it left active in this thread (a request
    # through the test client activates the user's language and leaves it): a test that checks the
    # Chinese words says so (translation.override("zh-hans"), or a client asking for zh-hans).
    translation.activate("en")
    yield
    translation.deactivate()
    written = files_written(data)
    if written:
        for name in written:
            (data / name).unlink(missing_ok=True)
        pytest.fail(f"the test wrote into the data folder {data}, which no test may use: {written}", pytrace=False)


@pytest.fixture
def fresh_compiled_shapes():  # noqa: ANN201
    """Compiled query shapes (core.compiled) forgotten before and after the test."""
    from core import compiled

    compiled.clear()
    yield
    compiled.clear()


@pytest.fixture
def make_team(db):  # noqa: ANN001, ARG001
    from accounts.models import Team

    def make(name: str | None = None) -> Team:
        return Team.objects.create(name=name or f"Team {next(_seq)}")

    return make


@pytest.fixture
def make_user(db):  # noqa: ANN001, ARG001
    from accounts.models import User

    def make(role: str = "sales", team: Any = None, username: str | None = None, **extra: Any) -> User:
        username = username or f"{role}{next(_seq)}"
        return User.objects.create_user(username=username, password=PASSWORD, role=role, team=team, **extra)

    return make


@pytest.fixture
def team_a(make_team):  # noqa: ANN001
    return make_team("Team A")


@pytest.fixture
def team_b(make_team):  # noqa: ANN001
    return make_team("Team B")


@pytest.fixture
def admin_user(make_user):  # noqa: ANN001
    return make_user("admin", username="admin_user")


@pytest.fixture
def manager_a(make_user, team_a):  # noqa: ANN001
    return make_user("manager", team_a, username="manager_a")


@pytest.fixture
def sales_a(make_user, team_a):  # noqa: ANN001
    return make_user("sales", team_a, username="sales_a")


@pytest.fixture
def sales_b(make_user, team_b):  # noqa: ANN001
    return make_user("sales", team_b, username="sales_b")


@pytest.fixture
def service_a(make_user, team_a):  # noqa: ANN001
    return make_user("service", team_a, username="service_a")


@pytest.fixture
def analyst(make_user):  # noqa: ANN001
    return make_user("analyst", username="analyst")


@pytest.fixture
def make_customer(db):  # noqa: ANN001, ARG001
    """Create a customer through customers.services.customer_create (the real path)."""
    from customers.services import customer_create

    def make(owner: Any, name: str | None = None, **data: Any) -> Any:
        data.setdefault("kind", "person")
        return customer_create(actor=owner, owner=owner, data={"name": name or f"客户{next(_seq)}", **data})

    return make


@pytest.fixture
def customer_a(make_customer, sales_a):  # noqa: ANN001
    return make_customer(sales_a, name="张伟", phone="138-1234-5678", email="zhangwei@example.cn",
                         id_number="110101199003071233", city="北京")


@pytest.fixture
def customer_b(make_customer, sales_b):  # noqa: ANN001
    return make_customer(sales_b, name="李娜", phone="139-8765-4321", email="lina@example.cn", city="上海")


@pytest.fixture
def client_for(client):  # noqa: ANN001
    """Log a user in on the test client: client_for(user) -> client."""

    def login(user: Any) -> Any:
        client.force_login(user)
        return client

    return login


def logged_in(user: Any, language: str = "en") -> Any:
    """A test client of its own, logged in as `user`, asking for pages in `language` (two users at
    once need two clients)."""
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def posted_values(*forms: Any) -> dict[str, Any]:
    """What a browser posts back for these forms and formsets as the page shows them: every field's
    value (dates and times as their widget writes them), formsets with their management form."""
    from datetime import date

    from django.forms import BaseFormSet

    data: dict[str, Any] = {}
    for form in forms:
        if isinstance(form, BaseFormSet):
            data.update(posted_values(form.management_form, *form.forms))
            continue
        for field in form or ():
            value = field.value()
            if value is not None:
                data[field.html_name] = field.field.widget.format_value(value) if isinstance(value, date) else value
    return data
# --- Query-count baselines -----------------------------------------------------------------------
# The number of queries each page and API list makes, exactly, per database vendor where they differ,
# checked in as query_counts.json (as NetBox's query_counts.json): an extra query per row, or one
# more per page, fails the test that measures it, where an upper bound let it in unnoticed until the
# bound was reached. A change that is meant (a new panel, one query fewer) is recorded by running the
# tests concerned with KEHU_UPDATE_QUERY_COUNTS=1 on each database, and shows in the diff.

QUERY_COUNTS_FILE = Path(__file__).resolve().parent.parent / "query_counts.json"
UPDATE_QUERY_COUNTS_ENV = "KEHU_UPDATE_QUERY_COUNTS"
T = TypeVar("T")


def query_baselines() -> dict[str, int | dict[str, int]]:
    """query_counts.json: name → count (the same on every database) or {vendor: count}."""
    if not QUERY_COUNTS_FILE.exists():
        return {}
    data: dict[str, int | dict[str, int]] = json.loads(QUERY_COUNTS_FILE.read_text(encoding="utf-8"))
    return data


def assert_query_baseline(name: str, call: Callable[[], T], *, warm: bool = True, using: str = "default") -> T:
    """Run `call` (a request of the test client, usually) and check that it makes exactly the number
    of queries recorded as `name` in query_counts.json for this database vendor; returns what `call`
    returned. With `warm` (the default) `call` runs once before it is measured, so that the count is
    that of a process already serving (caches of content types, compiled SQL, a token's last use
    written), whichever tests ran before in the same process; `call` must then be repeatable (a read).

    With KEHU_UPDATE_QUERY_COUNTS=1 the count is recorded instead of checked: as one number while
    every vendor measured gives the same, else per vendor."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    connection = connections[using]
    if warm:
        call()
    with CaptureQueriesContext(connection) as captured:
        result = call()
    count, vendor = len(captured.captured_queries), connection.vendor
    if os.environ.get(UPDATE_QUERY_COUNTS_ENV) == "1":
        # Measurements under one name (a page and the next, a small and a large page) must agree.
        first = _recorded.setdefault((name, vendor), count)
        if first != count:
            pytest.fail(f"{name}: measured {first} and then {count} queries on {vendor}; one name, one count",
                        pytrace=False)
        _record_baseline(name, vendor, count)
        return result
    entry = query_baselines().get(name)
    expected = entry.get(vendor) if isinstance(entry, dict) else entry
    if expected is None:
        pytest.fail(f"no query-count baseline {name!r} for {vendor} in {QUERY_COUNTS_FILE.name}: run the test with "
                    f"{UPDATE_QUERY_COUNTS_ENV}=1 on each database to record it", pytrace=False)
    if count != expected:
        queries = "\n".join(f"{i}. {q['sql']}" for i, q in enumerate(captured.captured_queries, 1))
        pytest.fail(f"{name}: {count} queries on {vendor}, the baseline in {QUERY_COUNTS_FILE.name} is {expected} "
                    f"(if the change is meant, record it with {UPDATE_QUERY_COUNTS_ENV}=1):\n{queries}", pytrace=False)
    return result


_recorded: dict[tuple[str, str], int] = {}


def _record_baseline(name: str, vendor: str, count: int) -> None:
    """Write `count` for `vendor` under `name`, under a lock (xdist workers record at once). An entry
    of one number stands for every vendor: changed for one, it splits into one per vendor; per-vendor
    entries that agree become one number again."""
    digest = hashlib.sha256(str(QUERY_COUNTS_FILE).encode()).hexdigest()[:16]
    lock = Path(tempfile.gettempdir()) / f"kehu-query-counts-{digest}.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        data = query_baselines()
        entry = data.get(name)
        if isinstance(entry, int) and entry != count:
            entry = {other: entry for other in _VENDORS if other != vendor}
        if isinstance(entry, dict):
            entry = {**entry, vendor: count}
            counts = set(entry.values())
            agreed = len(entry) == len(_VENDORS) and len(counts) == 1
            data[name] = counts.pop() if agreed else dict(sorted(entry.items()))
        elif entry is None:
            data[name] = {vendor: count}
        text = json.dumps(dict(sorted(data.items())), indent=2, ensure_ascii=False) + "\n"
        partial = QUERY_COUNTS_FILE.with_suffix(".json.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(QUERY_COUNTS_FILE)


# The databases kehu runs on: an entry of one number holds for both.
_VENDORS = ("postgresql", "sqlite")
