"""System checks of the customers app: every model that belongs to a customer can be read in scope.

`kehu check` (and every `migrate`, `runserver`, test run that runs checks) fails with kehu.E002 on a
model with a foreign key to Customer — found as `customers.owned` finds them, so an app written later
is covered without being listed — whose default manager does not give a RestrictedQuerySet: such a
model has no `objects.restrict(user, action)`, so nothing stops a view from reading another team's
rows. The way out is the manager (usually `CustomerChildQuerySet.as_manager()`), or a line in the
exempt registry with the reason (`customers.owned.register_scope_exempt`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error
from django.db import models

from core.querysets import RestrictedQuerySet
from customers.owned import customer_owned, scope_exempt

CHECK_ID = "kehu.E002"


def unscoped_models(owned: Iterable[type[models.Model]], exempt: Mapping[str, str]) -> list[Error]:
    """An error for each model of `owned` whose default manager is not restricted and that `exempt`
    (label → reason) does not name."""
    errors = []
    for model in sorted(set(owned), key=lambda m: m._meta.label_lower):
        if model._meta.label_lower in exempt or isinstance(model._default_manager.all(), RestrictedQuerySet):
            continue
        errors.append(Error(
            f"{model._meta.label} belongs to a customer but its default manager "
            f"({model._default_manager.__class__.__name__}) does not give a RestrictedQuerySet: its rows "
            "cannot be read in a user's scope.",
            hint="Give it `objects = CustomerChildQuerySet.as_manager()` (or a RestrictedQuerySet whose scope "
                 "goes through the customer), or register it with customers.owned.register_scope_exempt("
                 "model, reason=…) if no user ever reads it.",
            obj=model, id=CHECK_ID,
        ))
    return errors


def customer_owned_models_scoped(app_configs: list[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """The registered check (Django's signature): every customer-owned model of the checked apps."""
    owned = [o.model for o in customer_owned()
             if app_configs is None or o.model._meta.app_config in app_configs]
    return list(unscoped_models(owned, scope_exempt()))
