"""Demo orders, costs, interactions and follow-ups (the generators `kehu demo` calls through
core.registry "demo_generators"): amounts consistent with the services, realistic skew (top 20 %
of customers bring most margin, some stop buying, seasonality), reproducible per seed."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.db.models import Max, Min, Sum
from django.utils import timezone

from commerce import demo as commerce_demo
from commerce.models import CustomerCost, Order, OrderLine, Product
from commerce.services import line_amounts
from core import registry
from core.db import Same, datetime_texts, insert_columns
from core.demo import BLOCK, traits
from customers.demo import demo_load
from customers.models import Customer
from interactions import demo as interactions_demo
from interactions.models import Interaction
from work.models import Task

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
    assert CustomerCost.objects.exists() and Task.objects.filter(record_type__model="interaction").exists()
    assert ("orders", N, N) in loaded and ("interactions", N, N) in loaded


def test_amounts_are_those_the_services_compute(loaded):
    # Discounted lines first: their half-up rounding is where integer-cent arithmetic could differ.
    discounted = list(OrderLine.objects.filter(discount__gt=0).values_list("order_id", flat=True)[:100])
    assert discounted
    sample = [*Order.objects.filter(pk__in=discounted), *Order.objects.order_by("?")[:100]]
    for order in sample:
        lines = list(order.lines.all())
        assert [line.position for line in lines] == list(range(1, len(lines) + 1))
        for line in lines:
            a = line_amounts(quantity=line.quantity, unit_price=line.unit_price, discount=line.discount,
                             unit_cost=line.unit_cost)
            assert (line.revenue, line.cost, line.margin) == (a.revenue, a.cost, a.margin)
            assert (line.unit_price, line.unit_cost) == (line.product.price, line.product.unit_cost)
        assert order.revenue == sum(line.revenue for line in lines)
        assert order.cost == sum(line.cost for line in lines)
        assert order.margin == order.revenue - order.cost


def test_order_ids_follow_dates_and_nothing_lies_in_the_future(loaded):
    times = list(Order.objects.order_by("id").values_list("ordered_at", flat=True))
    assert times == sorted(times)  # one block of customers here: ids follow dates throughout
    now = timezone.now()
    assert max(times) <= now
    assert Interaction.objects.filter(occurred_at__gt=now).count() == 0
    placed = Order.objects.filter(status="placed")
    assert all(o.status_changed_at is None and o.updated_at == o.ordered_at for o in placed[:20])
    paid = Order.objects.filter(status="paid").first()
    assert paid.status_changed_at > paid.ordered_at and paid.updated_at == paid.status_changed_at


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
    assert Task.objects.filter(done_at__isnull=True, status="open").exists()
    assert Task.objects.filter(done_at__isnull=False, status="done").exists()
    # Owners do their customers' follow-ups, so the tasks show on their home pages.
    task = Task.objects.select_related("customer").first()
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
    Task.objects.all().delete()
    _generate(seed=3)
    again = fingerprint()
    assert [r[1:] for r in again[0]] == [r[1:] for r in first[0]] and len(again[1]) == len(first[1])


def test_traits_depend_only_on_the_seed_and_the_customer():
    ids = np.arange(BLOCK - 50, BLOCK + 50)  # across two blocks
    everyone = traits(5, ids)
    some = traits(5, ids[::7])
    assert np.array_equal(some.value, everyone.value[::7]) and np.array_equal(some.churned, everyone.churned[::7])
    assert not np.array_equal(traits(6, ids).value, everyone.value)
    many = traits(5, np.arange(1, 20_001))
    assert 0.18 < many.churned.mean() < 0.26 and 0.9 < many.value.mean() < 1.1
    assert np.all(many.stop_at[many.churned] < 1) and np.all(many.stop_at[~many.churned] == 1)


def test_generating_ahead_in_a_thread_gives_the_same_rows():
    demo_load(customers=80, seed=4)
    ids = Customer.objects.aggregate(first=Min("pk"), last=Max("pk"))

    def run(parallel):
        for generate in (commerce_demo.generate, interactions_demo.generate):
            generate(first_customer_id=ids["first"], last_customer_id=ids["last"], seed=4,
                     progress=lambda *_a: None, parallel=parallel)
        out = (list(Order.objects.order_by("id").values_list("customer_id", "ordered_at", "status", "revenue",
                                                             "cost")),
               list(OrderLine.objects.order_by("order__ordered_at", "order_id", "position").values_list(
                   "product_id", "quantity", "discount", "revenue")),
               list(Interaction.objects.order_by("id").values_list("customer_id", "occurred_at", "subject")),
               list(Task.objects.order_by("id").values_list("customer_id", "due_on", "done_at")),
               list(CustomerCost.objects.order_by("id").values_list("customer_id", "kind", "amount")))
        for model in (OrderLine, Order, Task, Interaction, CustomerCost):
            model.objects.all().delete()
        return out

    serial = run(False)
    assert serial[0] and serial[2]
    assert run(True) == serial


def test_insert_columns_writes_constants_and_partial_statements():
    product = Product.objects.create(code="X-1", name="x", category="c", price=Decimal("10.00"),
                                     unit_cost=Decimal("4.00"))
    demo_load(customers=3, seed=1)
    customer = Customer.objects.order_by("pk").first()
    n = 123  # two full statements of 50 rows and a remainder
    at = datetime_texts(np.array([29_000_000] * n))
    insert_columns(Order, {
        "id": list(range(10_001, 10_001 + n)), "customer_id": [customer.pk] * n, "ordered_at": at,
        "status": Same("paid"), "channel": Same("branch"), "region": Same("上海"), "location": Same("O'Hara 100%"),
        "salesperson_id": Same(None), "currency": Same("CNY"), "revenue": [12.34] * n, "cost": [0.1] * n,
        "margin": [12.24] * n, "status_changed_at": Same(None), "note": Same(""), "external_id": Same(None),
        "created_at": at, "updated_at": at, "deleted_at": Same(None),
    })
    orders = Order.objects.filter(pk__gte=10_001)
    assert orders.count() == n
    order = orders.last()
    assert (order.revenue, order.cost, order.margin, order.location) == (
        Decimal("12.34"), Decimal("0.10"), Decimal("12.24"), "O'Hara 100%")
    assert order.ordered_at == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(minutes=29_000_000)
    assert product.pk


def _indexes_and_keys(table):
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s", [table])
            indexes = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
                           [table])
            return indexes, cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
        return cursor.fetchone()[0], None


def test_indexes_deferred_rebuilds_indexes_and_foreign_keys_after_pending_checks():
    from django.db import IntegrityError, connection, transaction

    from core.db import indexes_deferred

    table = Order._meta.db_table
    before = _indexes_and_keys(table)
    demo_load(customers=2, seed=1)  # rows with deferred foreign key checks pending on PostgreSQL
    customer = Customer.objects.order_by("pk").first()
    with transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(name="x")
        with indexes_deferred([Order, OrderLine]):
            assert _indexes_and_keys(table)[0] < before[0]
            Order.objects.create(customer=customer)
        assert _indexes_and_keys(table) == before
    if connection.vendor == "postgresql":
        # The keys added again check the rows loaded meanwhile.
        with (pytest.raises(IntegrityError), transaction.atomic(), indexes_deferred([Order]),
              connection.cursor() as cursor):
            cursor.execute(f"INSERT INTO {table} (created_at, updated_at, ordered_at, status, channel, region, "
                           "location, currency, revenue, cost, margin, note, customer_id) VALUES (now(), now(), "
                           "now(), 'paid', '', '', '', 'CNY', 0, 0, 0, '', 999999999)")
        assert _indexes_and_keys(table) == before


def test_demo_catalogue_and_orders_pass_the_plausibility_rules(loaded):
    """Product codes unique ignoring case; no order dated ahead (Product.clean(), Order.clean())."""
    for product in Product.objects.all():
        product.clean()
    for order in Order.objects.order_by("-ordered_at")[:50]:
        order.clean()
