"""Shared fixtures: teams, one user per role, and customers built through the real services."""

from __future__ import annotations

from core.testing import *  # noqa: F403  (fixtures)
