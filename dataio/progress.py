"""Progress of a running import, kept in a small file beside the uploads.

Not in the database: an import writes inside one transaction, and nothing it writes there — a
progress counter included — is visible to the page polling for it until the very end (on SQLite
another connection could not even write while the import holds the lock)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings


def _path(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / f"{job_id}.json"


def _write(path: Path, data: dict[str, Any]) -> None:
    """Replaced whole (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**data, "at": time.time()}))
    os.replace(tmp, path)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


def progress_write(job_id: int, *, done: int, total: int, phase: str) -> None:
    _write(_path(job_id), {"done": done, "total": total, "phase": phase})


def progress_read(job_id: int) -> dict[str, Any] | None:
    return _read(_path(job_id))


def progress_clear(job_id: int) -> None:
    _path(job_id).unlink(missing_ok=True)


# --- heartbeat: is the process running a job still alive? ---------------------------------------------
# Beside the progress, for the same reason: the job's own row cannot be written while its import's
# transaction is open (invisible until the end; on SQLite locked). A job whose heartbeat is older
# than the lease (settings.KEHU_IMPORT_LEASE_SECONDS) lost its process (kill -9, crash, restart).


def _beat_path(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / f"{job_id}.beat"


def heartbeat_write(job_id: int, *, owner: str) -> None:
    _write(_beat_path(job_id), {"owner": owner})


def heartbeat_read(job_id: int) -> dict[str, Any] | None:
    return _read(_beat_path(job_id))


def heartbeat_clear(job_id: int) -> None:
    _beat_path(job_id).unlink(missing_ok=True)
