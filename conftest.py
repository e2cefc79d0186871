"""Shared fixtures: teams, one user per role, and customers built through the real services."""

from __future__ import annotations

from core.browser import chromium_browser, page  # noqa: F401,E402  (browser fixtures)
from core.testing import *  # noqa: F403  (fixtures)

# `import *` leaves out names that start with "_": the autouse fixture that gives every test its own
# media folder (and fast password hashing) is imported by name.
from core.testing import _media_root  # noqa: F401,E402
