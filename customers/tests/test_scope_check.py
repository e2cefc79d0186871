"""The system check kehu.E002: every model with a foreign key to Customer has the restricted manager,
unless it is registered as exempt with a reason. Planted models (in an isolated app registry, so the
project's own registry stays as it is) show that it fails and that an exemption lets one pass."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from customers import owned
from customers.checks import CHECK_ID, customer_owned_models_scoped, unscoped_models
from customers.models import Customer
from customers.querysets import CustomerChildQuerySet

EIGHT = ["segmentation.CustomerSegment", "segmentation.LifecycleTransition", "segmentation.LifecycleMark",
         "segmentation.SchemeAssignment", "segmentation.SchemeMembership", "governance.MatchKey",
         "governance.NotDuplicate", "governance.CustomerMerge"]


def test_the_project_passes():
    assert customer_owned_models_scoped() == []
    call_command("check")  # raises SystemCheckError on any error


def test_every_customer_owned_model_is_found_and_restricted():
    labels = {o.model._meta.label for o in owned.customer_owned()}
    # The models that had no restricted manager before issue 13 are among those found …
    assert set(EIGHT) <= labels
    # … and every model found can be read in scope (none is exempt today).
    assert owned.scope_exempt() == {}
    for o in owned.customer_owned():
        assert hasattr(o.model.objects.all(), "restrict"), o.label


@isolate_apps("customers")
def _planted() -> tuple[type[models.Model], type[models.Model], list[type[models.Model]]]:
    class PlantedNote(models.Model):  # noqa: DJ008 - forgets the restricted manager
        customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "customers"

    class PlantedScopedNote(models.Model):  # noqa: DJ008
        customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
        objects = CustomerChildQuerySet.as_manager()

        class Meta:
            app_label = "customers"

    return PlantedNote, PlantedScopedNote, [o.model for o in owned.customer_owned(PlantedNote._meta.apps)]


def test_a_planted_model_without_the_manager_fails_the_check():
    unscoped, scoped, found = _planted()
    # The discovery finds planted models like any other (no one has to list them).
    assert {unscoped, scoped} <= set(found)
    errors = unscoped_models(found, {})
    assert [(e.id, e.obj) for e in errors] == [(CHECK_ID, unscoped)]
    assert "PlantedNote" in errors[0].msg and "register_scope_exempt" in errors[0].hint


def test_an_exempt_model_passes_with_its_reason(monkeypatch):
    unscoped, _scoped, found = _planted()
    monkeypatch.setattr(owned, "_scope_exempt", {})
    owned.register_scope_exempt(unscoped, reason="written by the nightly job, never read by a user")
    assert unscoped_models(found, owned.scope_exempt()) == []
    assert owned.scope_exempt() == {"customers.plantednote": "written by the nightly job, never read by a user"}


def test_an_exemption_needs_a_reason(monkeypatch):
    unscoped, _scoped, _found = _planted()
    monkeypatch.setattr(owned, "_scope_exempt", {})
    with pytest.raises(ValueError, match="say why"):
        owned.register_scope_exempt(unscoped, reason="  ")
    assert owned.scope_exempt() == {}
