"""Shared fixtures: teams, one user per role, and customers built through the real services."""

from __future__ import annotations

from core.browser import chromium_browser, page  # noqa: F401,E402  (browser fixtures)
from core.testing import *  # noqa: F403  (fixtures)
