"""The type checker's verdict on the typed core (mypy with django-stubs, configured in pyproject.toml:
every app's services and selectors, core and insights): a type error anywhere there fails the suite,
so `make test` fails, and a `# type: ignore` that is no longer needed fails it too (warn_unused_ignores)."""

from __future__ import annotations

import re
import subprocess
import sys

from django.conf import settings


def test_the_typed_core_has_no_type_errors():
    # A subprocess: the django-stubs plugin sets Django up in the process that runs mypy, which must
    # not be a test process. The cache (.mypy_cache) makes a run after the first about 2 s.
    run = subprocess.run([sys.executable, "-m", "mypy"], cwd=settings.BASE_DIR, capture_output=True, text=True,
                         timeout=600)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    checked = re.search(r"no issues found in (\d+) source files", report)
    assert checked and int(checked.group(1)) >= 80, report  # the whole configured scope, not a few files
