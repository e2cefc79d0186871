"""The importers by kind ("customers", "orders", …). Importers of apps that are not installed are
left out, so the list follows the project."""

from __future__ import annotations

from django.apps import apps
from django.utils.module_loading import import_string

from dataio.importers.base import Importer

# kind → (app the importer needs, dotted path)
_KINDS = {
    "customers": ("customers", "dataio.importers.customers.CustomerImporter"),
    "contacts": ("customers", "dataio.importers.customers.ContactImporter"),
    "products": ("commerce", "dataio.importers.commerce.ProductImporter"),
    "orders": ("commerce", "dataio.importers.commerce.OrderImporter"),
    "interactions": ("interactions", "dataio.importers.interactions.InteractionImporter"),
    "costs": ("commerce", "dataio.importers.commerce.CostImporter"),
    "holdings": ("wealth", "dataio.importers.wealth.HoldingImporter"),
}


def register_importer(kind: str, *, app: str, path: str) -> None:
    """Apps above dataio (which dataio may not import) add their importers here from their
    AppConfig.ready(): `kind` is the name `kehu import KIND` takes, `path` the dotted path of an
    `Importer` subclass, loaded only when asked for."""
    _KINDS.setdefault(kind, (app, path))


def importers() -> dict[str, type[Importer]]:
    """Every importer available in this installation, in a stable order."""
    out = {}
    for kind, (app, path) in _KINDS.items():
        if not apps.is_installed(app):
            continue
        try:
            out[kind] = import_string(path)
        except ModuleNotFoundError as exc:
            # Only "this importer's module is not written yet"; any other import error is a bug.
            if exc.name != path.rsplit(".", 1)[0]:
                raise
    return out


def get_importer(kind: str) -> type[Importer]:
    found = importers().get(kind)
    if found is None:
        raise KeyError(kind)
    return found
