"""Value matrix (current value × potential, split at the configured percentiles) and loyalty."""

from __future__ import annotations

from decimal import Decimal

import pytest

from segmentation.models import SegmentationSettings
from segmentation.services import segments_refresh
from segmentation.tests.history import AS_OF, History

pytestmark = pytest.mark.django_db


@pytest.fixture
def h(sales_a):  # noqa: ANN001
    return History(sales_a)


def test_value_matrix_from_profit_and_margin_trend(h):
    value, migrating, potential, frozen = h.customers(4)
    h.orders(value, -10, margin="100")  # profit 100; trend: last period 100 − the one before 0 = +100
    h.orders(migrating, -100, margin="200")  # profit 200; trend 0 − 200 = −200
    h.orders(potential, -10, margin="5")  # profit 5; trend +5
    h.orders(frozen, -100, margin="1")  # profit 1; trend −1
    segments_refresh(as_of=AS_OF)
    # n = 4, high from the 50th percentile: at least half the customers strictly lower → top two
    assert [h.segment(c).value_class for c in (value, migrating, potential, frozen)] == [
        "value", "migrating", "potential", "frozen"]
    assert h.segment(migrating).potential_value == Decimal("-200.00")
    assert h.segment(value).current_value == Decimal("100.00")


def test_percentile_is_configurable(h):
    customers = h.customers(4)
    for c, margin in zip(customers, ["1", "2", "3", "4"], strict=True):
        h.orders(c, -10, margin=margin)
    SegmentationSettings.objects.update_or_create(pk=1, defaults={"value_current_percentile": 75,
                                                                  "value_potential_percentile": 75})
    segments_refresh(as_of=AS_OF)
    # only the top customer has ≥ 75 % of customers strictly below it (3 of 4)
    assert [h.segment(c).value_class for c in customers] == ["frozen", "frozen", "frozen", "value"]


def test_loyalty_follows_the_lifecycle(h):
    never, once, twice, loyal, lost_twice = h.customers(5)
    h.orders(once, -5)
    h.orders(twice, -5, -6)
    h.orders(loyal, -5, -6, -100, -200)
    h.orders(lost_twice, -500, -400)
    segments_refresh(as_of=AS_OF)
    assert [h.segment(c).loyalty for c in (never, once, twice, loyal, lost_twice)] == [
        "potential", "new", "old", "loyal", "old"]
    assert h.segment(lost_twice).lifecycle_stage == "lost"


def test_deleted_customers_leave_the_segments(h):
    keep, gone = h.customers(2)
    segments_refresh(as_of=AS_OF)
    gone.deleted_at = gone.created_at
    gone.save(update_fields=["deleted_at"])
    result = segments_refresh(as_of=AS_OF)
    assert result.customers == 1 and result.removed == 1
    assert h.segment(keep).abc_tier == "C"
    assert not type(h.segment(keep)).objects.filter(customer=gone).exists()
