"""Two classes of a rule scheme at the same position are refused (first match wins, so their order
would be left to chance): by the service and on the scheme form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from segmentation.models import Scheme
from segmentation.rules import rule_scheme_save
from segmentation.saved import saved_segment_create

pytestmark = pytest.mark.django_db

HANGZHOU = [{"field": "city", "op": "eq", "value": "杭州"}]
PROFIT = [{"field": "profit", "op": "gt", "value": 0}]


def test_service_refuses_two_classes_at_one_position(manager_a):
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        rule_scheme_save(actor=manager_a, name="Regions", catch_all_name="Rest", classes=[
            {"name": "Hangzhou", "rules": HANGZHOU, "position": 1},
            {"name": "Profitable", "rules": PROFIT, "position": 1},
        ])
    assert exc.value.message_dict["classes"] == [
        "“Hangzhou” and “Profitable” are both at position 1: give each class its own position."]
    assert not Scheme.objects.filter(kind="rules").exists()
    # Without positions (the order given) or with distinct ones, it saves.
    rule_scheme_save(actor=manager_a, name="Regions", catch_all_name="Rest", classes=[
        {"name": "Hangzhou", "rules": HANGZHOU, "position": 2}, {"name": "Profitable", "rules": PROFIT}])


def test_the_form_refuses_it(client_for, manager_a):
    top = saved_segment_create(actor=manager_a, name="Hangzhou", rules=HANGZHOU)
    rich = saved_segment_create(actor=manager_a, name="Profitable", rules=PROFIT)
    response = client_for(manager_a).post(reverse("segmentation:rule_scheme_add"), {
        "name": "Key accounts", "catch_all_name": "Others",
        "class-0-id": "", "class-0-order": "1", "class-0-name": "Top", "class-0-segment": str(top.pk),
        "class-1-id": "", "class-1-order": "1", "class-1-name": "Rich", "class-1-segment": str(rich.pk),
    }, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code in (200, 400)
    assert "位置" in response.content.decode() and "Top" in response.content.decode()
    assert not Scheme.objects.filter(kind="rules").exists()
