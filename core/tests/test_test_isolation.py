"""The suite's own isolation (core/testing.py, the root conftest): every test runs with its own media
folder, the fast password hasher and compiled SQL checked on every call, and no test may write into
the data folder — a test that does fails, with xdist as without."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.conf import settings as django_settings
from django.core.files.storage import default_storage


def test_every_test_runs_with_the_isolated_settings(settings, tmp_path):
    assert Path(settings.MEDIA_ROOT) == tmp_path / "media"
    assert Path(default_storage.location) == tmp_path / "media"  # the storage follows the setting
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert settings.KEHU_COMPILED_VERIFY is True


def test_the_tests_data_folder_is_not_the_real_one():
    real = Path(django_settings.BASE_DIR) / "data"
    data = Path(django_settings.DATA_DIR)
    assert data != real and real not in data.parents
    assert os.environ["KEHU_DATA_DIR"] == str(data)  # what subprocesses inherit
    assert Path(os.environ["KEHU_MEDIA_ROOT"]).parent == data


PLANTED = '''
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def test_clean(tmp_path):
    (tmp_path / "mine.txt").write_text("a test's own folder is fine")


def test_writes_into_the_data_folder():
    (Path(settings.DATA_DIR) / "stray.txt").write_text("x")


def test_uploads_into_its_media_folder():
    default_storage.save("fine.txt", ContentFile(b"x"))
'''

# The bug this guards against: the autouse fixture never ran (a star import skipped it), so uploads
# went to the configured media folder. Overridden here by a fixture that does nothing.
PLANTED_WITHOUT_FIXTURE = '''
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


@pytest.fixture(autouse=True)
def isolated_test_settings():
    yield


def test_uploads_without_the_fixture():
    default_storage.save("lost-upload.txt", ContentFile(b"x"))
'''


def test_a_test_that_writes_into_the_data_folder_fails(tmp_path):
    """A planted run of the real conftest, with two xdist workers: the test writing into the data
    folder fails by name; a write made where the per-test check did not run fails the run at its
    end; clean tests pass, and the real data folder is untouched."""
    (tmp_path / "test_planted.py").write_text(textwrap.dedent(PLANTED))
    (tmp_path / "test_planted_without_fixture.py").write_text(textwrap.dedent(PLANTED_WITHOUT_FIXTURE))
    base = Path(django_settings.BASE_DIR)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "KEHU_DATA_DIR", "KEHU_MEDIA_ROOT", "KEHU_TEST_DATA_ROOT")
           and not k.startswith(("PYTEST_", "COV_"))}
    real_media = base / "data" / "media"
    before = {p.name for p in real_media.rglob("*")} if real_media.exists() else set()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-c", str(base / "pyproject.toml"), "--rootdir", str(base),
         "-n", "2", "-q", "-rA", str(tmp_path)],
        cwd=base, env=env, capture_output=True, text=True, timeout=300,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "PASSED" in out and "test_planted.py::test_clean" in out, out
    assert "ERROR" in out and "test_planted.py::test_writes_into_the_data_folder" in out, out
    assert "which no test may use: ['stray.txt']" in out, out
    assert "test_uploads_into_its_media_folder" in out and "fine.txt" not in out, out
    assert "tests wrote into the data folder" in out and "lost-upload.txt" in out, out
    after = {p.name for p in real_media.rglob("*")} if real_media.exists() else set()
    assert "lost-upload.txt" not in after and "stray.txt" not in after and after == before
