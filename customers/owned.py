"""Which records belong to a customer: the registry a merge uses to move every one of them.

Every model with a foreign key to Customer counts, found in the app registry, so that the records of
an app written later (complaints, campaigns, …) move with a merge without anyone remembering to list
them. An app registers a model only to say otherwise — `move=False` for derived or bookkeeping rows
that must stay where they are (duplicate-detection keys, the merge records themselves) — or to name
a foreign key that is not called "customer". One-to-one links never move (the survivor has its own).

The same discovery keeps the scope: each of these models must have the restricted queryset manager
(checked by customers/checks.py), unless registered with `register_scope_exempt` and a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.apps.registry import Apps
from django.db import models


@dataclass(frozen=True)
class Owned:
    model: type[models.Model]
    field: str  # the foreign key's name (customer)
    move: bool = True

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.field}"


_registered: dict[tuple[str, str], Owned] = {}


def register_customer_owned(model: type[models.Model], field: str = "customer", *, move: bool = True) -> None:
    """Say how a merge treats `model.field` (a foreign key to Customer)."""
    _registered[(model._meta.label_lower, field)] = Owned(model=model, field=field, move=move)


_scope_exempt: dict[str, str] = {}


def register_scope_exempt(model: type[models.Model], *, reason: str) -> None:
    """Let `model` (one with a foreign key to Customer) go without the restricted queryset manager.

    Contract: every model that belongs to a customer is read by users through
    `Model.objects.restrict(user, action)`, which scopes it through the customer; the system check
    in customers/checks.py fails on any that cannot. Register a model here only when no user ever
    reads its rows (bookkeeping that code alone uses), and say why in `reason` — it is shown by the
    check and kept next to the model's app so a reviewer sees it."""
    if not reason.strip():
        raise ValueError(f"{model._meta.label}: say why it needs no restricted manager")
    _scope_exempt[model._meta.label_lower] = reason


def scope_exempt() -> dict[str, str]:
    """The models registered as needing no restricted manager, with the reason given (label → reason)."""
    return dict(_scope_exempt)


def customer_owned(registry: Apps = apps) -> list[Owned]:
    """Every foreign key to Customer, with whether a merge moves its rows (registered or discovered).
    `registry`: the project's app registry (another one only in tests that plant a model)."""
    from customers.models import Customer

    out: dict[tuple[str, str], Owned] = {}
    for model in registry.get_models():
        for f in model._meta.concrete_fields:
            if not (f.is_relation and f.related_model is Customer):
                continue
            key = (model._meta.label_lower, f.name)
            if key in _registered:
                out[key] = _registered[key]
            else:
                # The merged customer's own pointer and one-to-one links stay.
                out[key] = Owned(model=model, field=f.name, move=not (model is Customer or f.one_to_one))
    return sorted(out.values(), key=lambda o: o.label)


def customer_owned_moving() -> list[Owned]:
    return [o for o in customer_owned() if o.move]
