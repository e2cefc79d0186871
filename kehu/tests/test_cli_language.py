"""`kehu` commands speak the language of the environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), and the
site language (settings.LANGUAGE_CODE) when it names none (unset, C, POSIX) or one kehu does not speak."""

from __future__ import annotations

import sys

import pytest
from django.utils import translation

from core.commands import environment_language
from kehu import __main__ as cli

LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "en_GB"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh-hans"),
    ({"LANG": "zh_SG.GB18030"}, "zh-hans"),
    ({"LANG": "zh_TW.UTF-8"}, "zh-hans"),  # the nearest Chinese kehu speaks
    ({}, "zh-hans"),  # nothing set: the site language
    ({"LANG": "C.UTF-8"}, "zh-hans"),
    ({"LANG": "POSIX"}, "zh-hans"),
    ({"LANG": "fr_FR.UTF-8"}, "zh-hans"),  # a language kehu does not speak
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),  # LC_ALL wins over LANG
    ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}, "zh-hans"),  # empty means unset
    ({"LANG": "zh_CN.UTF-8", "LANGUAGE": "en_US:zh_CN"}, "en"),  # LANGUAGE lists preferences first
    ({"LANG": "en_US.UTF-8", "LANGUAGE": "fr:de"}, "en"),  # …falling back to the locale
    ({"LANG": "C", "LANGUAGE": "en"}, "zh-hans"),  # …and ignored with the C locale, as gettext does
])
def test_the_language_of_the_environment(environ, expected):
    assert environment_language(environ) == expected


def test_without_a_language_the_site_language_whatever_it_is(settings):
    settings.LANGUAGE_CODE = "en"
    assert environment_language({"LANG": "C.UTF-8"}) == "en"
    assert environment_language({"LANG": "zh_CN.UTF-8"}) == "zh-hans"


def _kehu(monkeypatch, capsys, *args: str, exits: bool = True, **environ: str) -> tuple[str, str]:  # noqa: ANN001
    """Run `kehu …` in this process (the test database, the settings loaded: django.setup() is not
    repeated) and return what it wrote to stdout and stderr."""
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KEHU_SOURCE", "cli")
    monkeypatch.setattr(sys, "argv", ["kehu", *args])
    monkeypatch.setattr("django.setup", lambda *a, **k: None)
    # main() leaves its language active: override() restores the test's afterwards.
    with translation.override(translation.get_language()):
        if exits:
            with pytest.raises(SystemExit) as exit_:
                cli.main()
            assert exit_.value.code == 1
        else:
            cli.main()
    captured = capsys.readouterr()
    return captured.out, captured.err


ENGLISH = "The export is a CSV file: name it *.csv."
CHINESE = "导出文件为 CSV 格式：请以 .csv 命名。"


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "en_US.UTF-8"}, ENGLISH),
    ({"LANG": "zh_CN.UTF-8"}, CHINESE),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, ENGLISH),
    ({"LANGUAGE": "en", "LANG": "zh_CN.UTF-8"}, ENGLISH),
    ({"LANG": "C.UTF-8"}, CHINESE),  # the site language
    ({}, CHINESE),
])
def test_a_kehu_command_speaks_the_environments_language(monkeypatch, capsys, environ, expected):
    _out, err = _kehu(monkeypatch, capsys, "segments", "export", "segments.txt", **environ)
    assert expected in err


@pytest.mark.parametrize(("lang", "expected"), [("en_US.UTF-8", "en"), ("zh_CN.UTF-8", "zh-hans"), ("C", "zh-hans")])
def test_djangos_own_commands_run_in_it_too(monkeypatch, capsys, lang, expected):
    """Django's commands (shell, migrate, …) go through the same entry point."""
    out, _err = _kehu(monkeypatch, capsys, "shell", "-c", "from django.utils import translation; "
                      "print(translation.get_language())", exits=False, LANG=lang)
    assert out.strip().splitlines()[-1] == expected
