"""The value matrix's potential comes from a registered provider (segmentation/potential.py): insights
registers the predicted lifetime value; without scores the refresh uses the trend of margin — and it
says which one it used (the result, the settings row, the log, the command and the value matrix's page)."""

from __future__ import annotations

import io
import logging
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from insights.models import CustomerScore
from insights.tests.scoring_data import scores_stored
from segmentation import potential
from segmentation.models import SegmentationSettings
from segmentation.services import segments_refresh
from segmentation.tests.history import AS_OF, History

pytestmark = pytest.mark.django_db

CLV_TEXT = "the predicted lifetime value (CLV) of the latest scoring"
TREND_TEXT = "the trend of margin"


@pytest.fixture
def h(sales_a):  # noqa: ANN001
    return History(sales_a)


def _page(client_for, user) -> str:  # noqa: ANN001
    url = reverse("segmentation:scheme_detail", args=["value_matrix"])
    return client_for(user).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_with_clv_scores_the_potential_is_the_predicted_lifetime_value(h, client_for, sales_a, caplog):
    customers = h.customers(3)
    for c in customers:
        h.orders(c, -10, margin="5")  # the same trend for everyone: only the CLV tells them apart
    scores_stored(customers)  # clv 1000 + i
    with caplog.at_level(logging.INFO, logger="segmentation.refresh"):
        result = segments_refresh(as_of=AS_OF)

    assert result.potential_source == "clv"
    assert [h.segment(c).potential_value for c in customers] == [Decimal("1000.00"), Decimal("1001.00"),
                                                                 Decimal("1002.00")]
    assert SegmentationSettings.objects.get(pk=1).value_potential_source == "clv"
    assert "potential from 'clv'" in caplog.text
    assert f"Potential value: {CLV_TEXT}." in _page(client_for, sales_a)


def test_without_scores_the_potential_is_the_trend_and_the_refresh_says_so(h, client_for, sales_a, caplog):
    rising, falling = h.customers(2)
    h.orders(rising, -10, margin="100")
    h.orders(falling, -100, margin="200")
    assert not CustomerScore.objects.exists()
    with caplog.at_level(logging.INFO, logger="segmentation.refresh"):
        result = segments_refresh(as_of=AS_OF)

    assert result.potential_source == potential.TREND
    assert h.segment(rising).potential_value == Decimal("100.00")
    assert h.segment(falling).potential_value == Decimal("-200.00")
    assert SegmentationSettings.objects.get(pk=1).value_potential_source == "trend"
    assert "potential from 'trend'" in caplog.text
    assert f"Potential value: {TREND_TEXT}" in _page(client_for, sales_a)

    out = io.StringIO()
    with translation.override("en"):
        call_command("segments", "refresh", "--as-of", AS_OF.isoformat(), stdout=out)
    assert f"The value matrix's potential: {TREND_TEXT}" in out.getvalue()


def test_before_the_first_refresh_the_page_names_no_source(client_for, sales_a):
    assert "Potential value:" not in _page(client_for, sales_a)


def test_the_available_provider_with_the_highest_priority_supplies_it(h, monkeypatch):
    customers = h.customers(2)
    for c in customers:
        h.orders(c, -10)
    scores_stored(customers)  # clv 1000 + i, call score 100 − i
    table = CustomerScore._meta.db_table

    def provider(key: str, priority: int, column: str, available: bool) -> potential.PotentialProvider:
        return potential.PotentialProvider(key=key, label=key, priority=priority, available=lambda using: available,
                                           table=table, customer_column="customer_id", value_column=column)

    monkeypatch.setattr(potential, "_providers", {})
    # Not available: never joined (its column does not exist, so using it would fail the refresh).
    potential.register(provider("offline", 300, "no_such_column", available=False))
    potential.register(provider("low", 10, "clv", available=True))
    potential.register(provider("high", 200, "call_score", available=True))

    result = segments_refresh(as_of=AS_OF)
    assert result.potential_source == "high"
    assert [h.segment(c).potential_value for c in customers] == [Decimal("100.00"), Decimal("99.00")]


def test_the_trend_is_the_fallback_not_a_provider():
    with pytest.raises(ValueError, match="fallback"):
        potential.register(potential.PotentialProvider(
            key=potential.TREND, label="", priority=1, available=lambda using: True, table="t",
            customer_column="c", value_column="v"))


def test_the_label_of_a_source_whose_provider_is_gone_is_its_key():
    assert potential.label_of("retired_model") == "retired_model"
    with translation.override("en"):
        assert str(potential.label_of("clv")) == CLV_TEXT  # insights is installed and registered it
