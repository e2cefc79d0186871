from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from work.tests.smtp_server import LocalSMTPServer


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[LocalSMTPServer]:
    """A real SMTP server on 127.0.0.1 (a free port); Django's mail settings point at it."""
    with LocalSMTPServer() as server:
        for name, value in server.django_settings().items():
            setattr(settings, name, value)
        settings.DEFAULT_FROM_EMAIL = "kehu@crm.example.com"
        yield server
