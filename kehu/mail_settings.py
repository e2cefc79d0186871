"""E-mail settings from the environment (read by kehu/settings.py; documented in docs/deploy.md).

With `KEHU_SMTP_HOST` set, Django's SMTP backend sends through that server — so `kehu sendtestemail
ADDRESS` and the outbox worker both use it. Without it, messages are written as files to
`<KEHU_DATA_DIR>/mail/` (nothing leaves the machine, and the outbox page says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

SECURITY = {"none": (False, False), "starttls": (True, False), "tls": (False, True)}
DEFAULT_PORT = {"none": 25, "starttls": 587, "tls": 465}


def mail_settings(environ: Mapping[str, str], data_dir: Path) -> dict[str, Any]:
    """Django's EMAIL_* settings for this environment. A bad value stops start-up with a message."""
    from django.core.exceptions import ImproperlyConfigured

    sender = environ.get("KEHU_MAIL_FROM", "").strip() or "kehu@localhost"
    out: dict[str, Any] = {
        "DEFAULT_FROM_EMAIL": sender,
        "SERVER_EMAIL": sender,
        "EMAIL_TIMEOUT": int(environ.get("KEHU_SMTP_TIMEOUT", "30")),
        "EMAIL_FILE_PATH": str(data_dir / "mail"),
    }
    host = environ.get("KEHU_SMTP_HOST", "").strip()
    if not host:
        out["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
        return out
    security = environ.get("KEHU_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in SECURITY:
        raise ImproperlyConfigured(
            f"KEHU_SMTP_SECURITY must be one of none, starttls, tls (not {security!r})")
    port = environ.get("KEHU_SMTP_PORT", "").strip()
    if port and not port.isdigit():
        raise ImproperlyConfigured(f"KEHU_SMTP_PORT must be a port number (not {port!r})")
    use_tls, use_ssl = SECURITY[security]
    out.update({
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": host,
        "EMAIL_PORT": int(port) if port else DEFAULT_PORT[security],
        "EMAIL_HOST_USER": environ.get("KEHU_SMTP_USER", ""),
        "EMAIL_HOST_PASSWORD": environ.get("KEHU_SMTP_PASSWORD", ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    })
    return out
