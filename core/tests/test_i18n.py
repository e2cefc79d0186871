"""Translations stay complete: every string of the Chinese catalogue is translated, not fuzzy,
compiled into the committed .mo file, and every string in the code is in the catalogue."""

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from core.i18n_catalogue import parse_po

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGUES = [LOCALE / "zh_Hans" / "LC_MESSAGES" / f"{d}.po" for d in ("django",)]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}")


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.name)
def test_catalogue_is_complete_and_compiled(po):
    entries = parse_po(po)
    assert len(entries) > 100
    untranslated = [e.msgid for e in entries if not e.translated]
    fuzzy = [e.msgid for e in entries if e.fuzzy]
    assert not untranslated, f"untranslated: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"
    bad_placeholders = [
        e.msgid for e in entries
        if any(sorted(PLACEHOLDER.findall(e.msgid)) != sorted(PLACEHOLDER.findall(s)) for s in e.msgstr.values())
        and not e.msgid_plural
    ]
    assert not bad_placeholders, f"placeholders differ: {bad_placeholders[:10]}"
    with open(po.with_suffix(".mo"), "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = [
        e.msgid for e in entries
        if not e.msgid_plural
        and (compiled.pgettext(e.context, e.msgid) if e.context else compiled.gettext(e.msgid)) != e.msgstr[0]
    ]
    assert not stale, f".mo is older than .po (run `make messages`): {stale[:10]}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) not installed")
def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """makemessages on a copy of the tree finds no string that the committed catalogue lacks."""
    base = Path(settings.BASE_DIR)
    work = tmp_path / "tree"
    ignore = shutil.ignore_patterns(".venv", "data", ".git", "__pycache__", "node_modules", "vendor", "bench")
    shutil.copytree(base, work, ignore=ignore)
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-location"],
        cwd=work, check=True, capture_output=True, env={"DJANGO_SETTINGS_MODULE": "kehu.settings",
                                                          "PATH": "/usr/bin:/bin", "KEHU_DATA_DIR": str(tmp_path)},
    )
    fresh = {e.key for e in parse_po(work / "locale/zh_Hans/LC_MESSAGES/django.po")}
    committed = {e.key for e in parse_po(CATALOGUES[0])}
    missing = sorted(fresh - committed)
    assert not missing, f"strings not in the catalogue (run `make messages` and translate): {missing[:20]}"
