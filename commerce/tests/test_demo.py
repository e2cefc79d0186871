"""Demo orders, costs, interactions and follow-ups (the generators `kehu demo` calls through
core.registry "demo_generators"): amounts consistent with the services, realistic skew (top 20 %
of customers bring most margin, some stop buying, seasonality), reproducible per seed."""

from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Max, Min, Sum
from django.utils import timezone

from commerce import demo as commerce_demo
from commerce.models import CustomerCost, Order, OrderLine, Product
from commerce.services import line_amounts
from core import registry
from customers.demo import demo_load
from customers.models import Customer
from interactions import demo as interactions_demo
from interactions.models import FollowUpTask, Interaction

pytestmark = pytest.mark.django_db

N = 400


def _generate(seed=7):
    ids = Customer.objects.aggregate(first=Min("pk"), last=Max("pk"))
    calls = []
    for generate in (commerce_demo.generate, interactions_demo.generate):
        generate(first_customer_id=ids["first"], last_customer_id=ids["last"], seed=seed,
                 progress=lambda label, done, total: calls.append((label, done, total)))
    return calls


@pytest.fixture
def loaded():
    demo_load(customers=N, seed=7)
    return _generate()


def test_generators_are_registered():
    generators = registry.get_all("demo_generators")
    assert commerce_demo.generate in generators and interactions_demo.generate in generators


def test_catalogue_has_60_products_in_8_categories(loaded):
    assert Product.objects.count() == 60
    assert len(set(Product.objects.values_list("category", flat=True))) == 8
    assert all(p.price > p.unit_cost > 0 for p in Product.objects.all())
    commerce_demo.catalogue_ensure()  # idempotent
    assert Product.objects.count() == 60


def test_volumes_and_progress(loaded):
    orders, interactions = Order.objects.count(), Interaction.objects.count()
    assert 7 * N <= orders <= 13 * N
    assert 3.5 * N <= interactions <= 6.5 * N
    assert OrderLine.objects.count() > orders
    assert CustomerCost.objects.exists() and FollowUpTask.objects.exists()
    assert ("orders", N, N) in loaded and ("interactions", N, N) in loaded


def test_amounts_are_those_the_services_compute(loaded):
    for order in Order.objects.order_by("?")[:50]:
        lines = list(order.lines.all())
        for line in lines:
            a = line_amounts(quantity=line.quantity, unit_price=line.unit_price, discount=line.discount,
                             unit_cost=line.unit_cost)
            assert (line.revenue, line.cost, line.margin) == (a.revenue, a.cost, a.margin)
        assert order.revenue == sum(line.revenue for line in lines)
        assert order.margin == order.revenue - order.cost


def test_top_fifth_of_customers_bring_most_margin(loaded):
    margins = sorted((r["m"] for r in Order.objects.completed().values("customer_id").annotate(m=Sum("margin"))),
                     reverse=True)
    assert sum(margins[: N // 5]) > Decimal("0.55") * sum(margins)


def test_some_customers_stopped_buying_and_sales_follow_the_seasons(loaded):
    now = timezone.now()
    last = Order.objects.values("customer_id").annotate(last=Max("ordered_at"))
    quiet = [r for r in last if (now - r["last"]).days > 270]
    assert 0.1 * N < len(quiet) < 0.6 * N
    months = Counter(at.month for at in Order.objects.values_list("ordered_at", flat=True))
    assert months[1] > months[2] and months[12] > months[7]


def test_statuses_recent_placed_orders_and_open_follow_ups(loaded):
    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert statuses["paid"] > 0.8 * sum(statuses.values())
    assert statuses["placed"] and statuses["cancelled"] and statuses["refunded"]
    assert FollowUpTask.objects.filter(done_at__isnull=True).exists()
    assert FollowUpTask.objects.filter(done_at__isnull=False).exists()
    # Owners do their customers' follow-ups, so the tasks show on their home pages.
    task = FollowUpTask.objects.select_related("customer").first()
    assert task.assignee_id == task.customer.owner_id


def test_same_seed_same_data():
    demo_load(customers=60, seed=3)
    _generate(seed=3)

    def fingerprint():
        return (list(Order.objects.order_by("id").values_list("customer_id", "ordered_at", "status", "revenue")),
                list(Interaction.objects.order_by("id").values_list("customer_id", "occurred_at", "subject")))

    first = fingerprint()
    Order.objects.all().delete()
    Interaction.objects.all().delete()
    CustomerCost.objects.all().delete()
    FollowUpTask.objects.all().delete()
    _generate(seed=3)
    again = fingerprint()
    assert [r[1:] for r in again[0]] == [r[1:] for r in first[0]] and len(again[1]) == len(first[1])
