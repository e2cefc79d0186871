"""Next best product: association statistics by hand, exclusion of held and inactive products,
cold start, reasons, and the hold-out evaluation on a history built so that the answer is known."""

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from commerce.models import Order, OrderLine, Product
from customers.models import Customer
from insights.recommend import (
    associations,
    evaluate_next_products,
    incidence_matrix,
    incidence_pairs,
    next_products,
    reason_text,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_default_timezone())


def make_products(*codes: str) -> dict[str, Product]:
    Product.objects.bulk_create([Product(code=c, name=f"产品{c}", category="基金", price=Decimal("100"),
                                         unit_cost=Decimal("90")) for c in codes])
    return {p.code: p for p in Product.objects.filter(code__in=codes)}


def make_customers(owner, n: int, **fields) -> list[int]:
    made = Customer.objects.bulk_create([Customer(name=f"客户{i}", owner=owner, team_id=owner.team_id, **fields)
                                         for i in range(n)])
    return [c.pk for c in made]


def buy(rows) -> None:
    """rows: (customer id, moment, [products], status) — orders with one line per product."""
    orders = Order.objects.bulk_create([Order(customer_id=c, ordered_at=when, status=status)
                                        for c, when, _products, status in rows])
    OrderLine.objects.bulk_create([
        OrderLine(order=o, product=p, position=i, quantity=Decimal("1"), unit_price=p.price, unit_cost=p.unit_cost)
        for o, (_c, _when, products, _s) in zip(orders, rows, strict=True) for i, p in enumerate(products)
    ])


def test_support_confidence_and_lift_by_hand():
    # Baskets: {A,B} {A,B} {A,C} {B} {C}: N=5, n_A=3, n_B=3, n_C=2, n_AB=2, n_AC=1, n_BC=0.
    pairs = np.array([[1, 10], [1, 11], [2, 10], [2, 11], [3, 10], [3, 12], [4, 11], [5, 12]])
    products = np.array([10, 11, 12])
    A = incidence_matrix(pairs, np.array([1, 2, 3, 4, 5, 6]), products)  # customer 6 holds nothing
    assoc = associations(A, products)
    assert assoc.n_customers == 5
    assert assoc.support.tolist() == pytest.approx([0.6, 0.6, 0.4])
    assert assoc.confidence[0, 1] == pytest.approx(2 / 3)  # P(B | A)
    assert assoc.confidence[2, 0] == pytest.approx(1 / 2)  # P(A | C)
    assert assoc.lift[0, 1] == pytest.approx(2 * 5 / (3 * 3))
    assert assoc.lift[0, 2] == pytest.approx(1 * 5 / (3 * 2))
    assert assoc.lift[1, 2] == 0.0
    assert np.allclose(assoc.lift, assoc.lift.T)


def test_incidence_reads_completed_orders_before_the_cut_only(sales_a):
    p = make_products("A", "B", "C", "D")
    c1, c2 = make_customers(sales_a, 2)
    buy([(c1, at(AS_OF), [p["A"], p["A"]], "paid"),  # twice on one order: one pair
         (c1, at(AS_OF - timedelta(days=3)), [p["A"]], "paid"),
         (c1, at(AS_OF), [p["B"]], "cancelled"), (c1, at(AS_OF), [p["C"]], "placed"),
         (c2, at(AS_OF - timedelta(days=1)), [p["C"]], "refunded"),
         (c2, at(AS_OF + timedelta(days=1), 0), [p["D"]], "paid")])  # just after the end of AS_OF
    pairs = incidence_pairs(before=at(AS_OF + timedelta(days=1), 0))
    assert sorted(map(tuple, pairs.tolist())) == [(c1, p["A"].pk)]


def test_held_products_are_never_offered_and_cold_start_gets_the_most_popular(sales_a):
    p = make_products("A", "B", "C", "D", "E")
    ids = make_customers(sales_a, 12)
    day = at(AS_OF - timedelta(days=10))
    # Popularity: A 10, B 8, C 6, D 2, E 1 holders.
    rows = [(ids[i], day, [p["A"]], "paid") for i in range(10)]
    rows += [(ids[i], day, [p["B"]], "paid") for i in range(8)]
    rows += [(ids[i], day, [p["C"]], "paid") for i in range(6)]
    rows += [(ids[i], day, [p["D"]], "paid") for i in range(2)] + [(ids[0], day, [p["E"]], "paid")]
    buy(rows)
    cold = make_customers(sales_a, 1)[0]
    result = next_products(as_of=AS_OF, k=3)
    row = {int(c): i for i, c in enumerate(result.customer_ids)}
    names = {x.pk: x.code for x in p.values()}
    for i in range(12):
        held = {p["A"].pk} if i < 10 else set()
        held |= {p["B"].pk} if i < 8 else set()
        held |= {p["C"].pk} if i < 6 else set()
        held |= {p["D"].pk} if i < 2 else set()
        held |= {p["E"].pk} if i == 0 else set()
        offered = {int(x) for x in result.product_ids[row[ids[i]]] if x >= 0}
        assert not offered & held, (i, offered, held)
    # Customer 0 holds all five products: nothing left to offer.
    assert result.product_ids[row[ids[0]]].tolist() == [-1, -1, -1]
    assert result.reasons_for(row[ids[0]]) == []
    # Cold start: by popularity, with the popular basis.
    assert [names[int(x)] for x in result.product_ids[row[cold]]] == ["A", "B", "C"]
    reasons = result.reasons_for(row[cold])
    assert [r["basis"] for r in reasons] == ["popular"] * 3
    # Support is the share of the customers with a history (10: ids 10 and 11 hold nothing).
    assert [r["support"] for r in reasons] == pytest.approx([1.0, 0.8, 0.6])
    json.dumps(result.reasons)  # JSON-safe
    assert "%" in reason_text(reasons[0], {})


def test_inactive_and_deleted_products_are_not_offered(sales_a):
    p = make_products("A", "B", "C")
    ids = make_customers(sales_a, 3)
    buy([(c, at(AS_OF - timedelta(days=5)), [p["A"], p["B"]], "paid") for c in ids[:2]])
    Product.objects.filter(pk=p["A"].pk).update(active=False)
    Product.objects.filter(pk=p["B"].pk).update(deleted_at=timezone.now())
    result = next_products(as_of=AS_OF, k=3)
    offered = set(result.product_ids.ravel().tolist()) - {-1}
    assert offered == set()  # C was never bought by anyone: nothing to say about it
    buy([(ids[0], at(AS_OF - timedelta(days=1)), [p["C"]], "paid")])
    result = next_products(as_of=AS_OF, k=3)
    assert set(result.product_ids.ravel().tolist()) - {-1} == {p["C"].pk}


def test_association_reason_names_the_held_product_and_its_lift(sales_a):
    p = make_products("A", "B", "C", "D", "E", "F", "G")
    day = at(AS_OF - timedelta(days=200))
    ab, cd, efg = make_customers(sales_a, 30), make_customers(sales_a, 30), make_customers(sales_a, 40)
    buy([(c, day, [p["A"], p["B"]], "paid") for c in ab] + [(c, day, [p["C"], p["D"]], "paid") for c in cd]
        + [(c, day, [p["E"], p["F"], p["G"]], "paid") for c in efg])
    holder = make_customers(sales_a, 1)[0]
    buy([(holder, day, [p["A"]], "paid")])
    result = next_products(as_of=AS_OF, k=3)
    i = int(np.flatnonzero(result.customer_ids == holder)[0])
    assert result.product_ids[i, 0] == p["B"].pk
    reason = result.reasons_for(i)[0]
    n_ab, n_a, n_b, n = 30, 31, 30, 101
    assert reason["basis"] == "association" and reason["because_of"] == p["A"].pk
    assert reason["lift"] == pytest.approx(n_ab * n / (n_a * n_b), abs=0.01)
    text = reason_text(reason, {p["A"].pk: "稳享90天持有期"})
    assert "稳享90天持有期" in text and f"{reason['lift']:.1f}" in text


def test_hold_out_evaluation_scores_associations_above_popularity(sales_a):
    p = make_products("A", "B", "C", "D", "E", "F", "G")
    old = at(AS_OF - timedelta(days=200))
    ab, cd, efg = make_customers(sales_a, 30), make_customers(sales_a, 30), make_customers(sales_a, 40)
    buy([(c, old, [p["A"], p["B"]], "paid") for c in ab] + [(c, old, [p["C"], p["D"]], "paid") for c in cd]
        + [(c, old, [p["E"], p["F"], p["G"]], "paid") for c in efg])
    # Five customers held A before the cut and bought B in the hold-out; two new customers bought E.
    testers = make_customers(sales_a, 5)
    newcomers = make_customers(sales_a, 2)
    buy([(c, old, [p["A"]], "paid") for c in testers]
        + [(c, at(AS_OF - timedelta(days=30)), [p["B"], p["A"]], "paid") for c in testers]
        + [(c, at(AS_OF - timedelta(days=30)), [p["E"]], "paid") for c in newcomers]
        # Bought again in the hold-out, nothing new: not judged.
        + [(ab[0], at(AS_OF - timedelta(days=20)), [p["A"]], "paid")]
        # After as_of: ignored.
        + [(cd[0], at(AS_OF + timedelta(days=2)), [p["A"]], "paid")])
    d = evaluate_next_products(as_of=AS_OF, k=3)
    assert d["customers_judged"] == 7 and d["with_history"] == 5 and d["cold_start"] == 2
    popular = d["methods"]["popular"]
    assoc = d["methods"]["association_segment"]
    # Popular offers E, F, G to the A-holders (miss) and E to the newcomers (hit).
    assert popular["with_history"]["hit_rate"] == 0.0 and popular["all"]["hit_rate"] == pytest.approx(2 / 7, abs=1e-4)
    assert assoc["with_history"]["hit_rate"] == 1.0 and assoc["all"]["hit_rate"] == 1.0
    assert d["methods"]["association"]["with_history"]["hit_rate"] == 1.0
    json.dumps(d)
