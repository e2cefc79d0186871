"""Which records belong to a customer: the registry a merge uses to move every one of them.

Every model with a foreign key to Customer counts, found in the app registry, so that the records of
an app written later (complaints, campaigns, …) move with a merge without anyone remembering to list
them. An app registers a model only to say otherwise — `move=False` for derived or bookkeeping rows
that must stay where they are (duplicate-detection keys, the merge records themselves) — or to name
a foreign key that is not called "customer". One-to-one links never move (the survivor has its own).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
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


def customer_owned() -> list[Owned]:
    """Every foreign key to Customer, with whether a merge moves its rows (registered or discovered)."""
    from customers.models import Customer

    out: dict[tuple[str, str], Owned] = {}
    for model in apps.get_models():
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
