"""The layering (docs/decisions/0008-layering.md) is checked by import-linter with the contracts in
pyproject.toml, as part of every `make test` (and so of CI): apps depend one way, core knows no app,
services, selectors, querysets and models never import entry points.

The plants prove the check bites: each copies the code to a temporary folder, adds one import that
breaks one contract there, and expects import-linter to fail naming that import."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PYPROJECT = ROOT / "pyproject.toml"


def _root_packages() -> list[str]:
    return tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["root_packages"]


def test_the_code_keeps_its_import_contracts(monkeypatch, capsys):
    from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

    monkeypatch.setattr(sys, "path", list(sys.path))  # lint_imports puts the working folder first
    code = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == EXIT_STATUS_SUCCESS, report
    assert "Contracts: 3 kept, 0 broken." in report


def test_every_app_is_in_the_layers():
    """A new app must be placed in the order (and core's forbidden list), not left out of the check."""
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    ours = {app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()}
    contracts = {c["id"]: c for c in config["contracts"]}
    layered = {name.strip() for layer in contracts["apps-one-way"]["layers"] for name in layer.split("|")}
    assert ours | {"kehu"} == set(config["root_packages"]) == layered
    assert set(contracts["core-knows-no-app"]["forbidden_modules"]) == layered - {"core"}


PLANTS = {
    # a lower app importing a higher one
    "apps-one-way": ("customers/selectors.py", "from insights import models as _planted", "customers.selectors"),
    # core importing an app
    "core-knows-no-app": ("core/pagination.py", "from accounts import roles as _planted", "core.pagination"),
    # a service importing a view
    "entry-points-on-top": ("commerce/services.py", "from commerce import views as _planted", "commerce.services"),
}


@pytest.mark.parametrize("contract", list(PLANTS))
def test_a_planted_import_breaks_its_contract(tmp_path, contract):
    path, line, importer = PLANTS[contract]
    for package in _root_packages():
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "locale", "*.mo", "*.po"))
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    planted = tmp_path / path
    planted.write_text(planted.read_text() + f"\n{line}\n")

    run = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
           "--no-cache", "--contract", contract]
    # The copy comes first on the path (the working folder), ahead of the installed project.
    done = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "BROKEN" in done.stdout and importer in done.stdout, done.stdout + done.stderr
