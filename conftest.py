"""Shared fixtures: teams, one user per role, and customers built through the real services."""

from __future__ import annotations

import pytest

from core.browser import chromium_browser, page  # noqa: F401,E402  (browser fixtures)
from core.testing import *  # noqa: F403  (fixtures, among them the autouse isolated_test_settings)
from core.testing import tests_data_folder_configure, tests_data_folder_finish


def pytest_configure(config: pytest.Config) -> None:
    # The tests' own data folder, before any test or worker starts (core/testing.py).
    tests_data_folder_configure(config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    tests_data_folder_finish(session)
