"""The demo's holdings: every person with recorded assets holds about three positions that add up
to their recorded assets (plus any loan), written in bulk, reproducible by seed; the demo's FX rates
value the foreign ones, and some mature within 30 days."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from core import registry
from customers.demo import demo_load
from customers.models import Customer
from wealth import demo_holdings
from wealth.models import FxRate, Holding
from wealth.selectors_holdings import customer_wealth

pytestmark = pytest.mark.django_db


def _generate(seed=7):
    ids = Customer.objects.aggregate(first=Min("pk"), last=Max("pk"))
    return demo_holdings.generate(first_customer_id=ids["first"], last_customer_id=ids["last"], seed=seed,
                                  progress=lambda *args: None)


def test_the_demo_gives_wealth_customers_realistic_holdings():
    assert demo_holdings.generate in registry.get_all("demo_generators")
    demo_load(customers=400, seed=7)
    _generate()
    wealthy = Customer.objects.filter(kind="person", assets__gt=0)
    holders = set(Holding.objects.values_list("customer_id", flat=True))
    assert holders == set(wealthy.values_list("pk", flat=True))
    per = Holding.objects.values("customer_id").annotate(n=Count("id")).aggregate(avg=Sum("n"))["avg"] / len(holders)
    assert 2.5 <= per <= 3.6
    assert set(Holding.objects.values_list("asset_class", flat=True)) >= {"deposit", "fund", "loan", "wealth_product"}
    today = timezone.localdate()
    assert Holding.objects.filter(matures_on__range=(today, today + timedelta(days=30))).exists()
    assert Holding.objects.exclude(currency="CNY").exists() and FxRate.objects.filter(quote="CNY").count() >= 5
    # The assets (in CNY) are what the card records, within the rounding of each holding.
    for customer in wealthy[:20]:
        summary = customer_wealth(customer=customer)
        assert abs(summary.assets - customer.assets) <= max(Decimal("100") * 7, customer.assets * Decimal("0.05"))
    # Reproducible: the same seed on a fresh table gives the same holdings.
    before = list(Holding.objects.order_by("customer_id", "product_name", "amount")
                  .values_list("customer_id", "asset_class", "product_name", "amount", "currency"))
    Holding.objects.all().delete()
    _generate()
    after = list(Holding.objects.order_by("customer_id", "product_name", "amount")
                 .values_list("customer_id", "asset_class", "product_name", "amount", "currency"))
    assert before == after
