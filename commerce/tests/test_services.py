"""commerce.services: exact amounts (Decimal), the unit-cost snapshot, status rules, scoping
(a team-B user can neither read nor write team-A orders), catalogue permissions, audit rows."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import override

from audit.models import ObjectChange
from commerce import services
from commerce.models import CustomerCost, Order, OrderLine, Product

pytestmark = pytest.mark.django_db


def test_line_amounts_are_exact_and_rounded_half_up():
    a = services.line_amounts(quantity=Decimal("3"), unit_price=Decimal("19.99"), discount=Decimal("0.15"),
                              unit_cost=Decimal("7.35"))
    # 3 × 19.99 × 0.85 = 50.9745 → 50.97; 3 × 7.35 = 22.05
    assert (a.revenue, a.cost, a.margin) == (Decimal("50.97"), Decimal("22.05"), Decimal("28.92"))
    half = services.line_amounts(quantity=Decimal("1"), unit_price=Decimal("0.05"), discount=Decimal("0.5"),
                                 unit_cost=Decimal("0"))
    assert half.revenue == Decimal("0.03")  # 0.025 rounds half up, not to even


def test_order_create_computes_revenue_cost_margin_from_lines(customer_a, sales_a, product, make_product):
    other = make_product(price="1000.00", unit_cost="850.50", name="保险B")
    order = services.order_create(actor=sales_a, customer_id=customer_a.pk, data={"channel": "branch"}, lines=[
        {"product": product, "quantity": Decimal("3"), "discount": Decimal("0.15")},
        {"product": other.pk, "quantity": "2", "unit_price": "980.00"},
    ])
    order.refresh_from_db()
    # line 1: 50.97 / 22.05; line 2: 2 × 980 = 1960.00 / 2 × 850.50 = 1701.00
    assert order.revenue == Decimal("2010.97")
    assert order.cost == Decimal("1723.05")
    assert order.margin == Decimal("287.92")
    assert order.margin == order.revenue - order.cost
    lines = list(order.lines.order_by("position"))
    assert [line.unit_price for line in lines] == [Decimal("19.99"), Decimal("980.00")]  # list price by default
    assert [line.unit_cost for line in lines] == [Decimal("7.35"), Decimal("850.50")]
    assert order.salesperson == sales_a and order.status == "placed" and order.currency == "CNY"


def test_unit_cost_is_kept_as_it_was_when_the_order_was_made(customer_a, sales_a, manager_a, product):
    order = services.order_create(actor=sales_a, customer_id=customer_a.pk, data={},
                                  lines=[{"product": product, "quantity": 10}])
    services.product_update(actor=manager_a, product_id=product.pk, data={"unit_cost": Decimal("15.00"),
                                                                          "price": Decimal("30.00")})
    order.refresh_from_db()
    line = order.lines.get()
    assert (line.unit_cost, line.unit_price, order.cost, order.revenue) == (
        Decimal("7.35"), Decimal("19.99"), Decimal("73.50"), Decimal("199.90"))


@pytest.mark.parametrize(("line", "message"), [
    ({"quantity": "0"}, "Line 1: the quantity must be more than 0."),
    ({"quantity": "1", "discount": "1.5"}, "Line 1: the discount is a fraction between 0 and 1 (0.15 = 15% off)."),
    ({"quantity": "1", "unit_price": "-1"}, "Line 1: the unit price cannot be negative."),
    ({"quantity": "abc"}, "Enter a number."),
])
def test_invalid_lines_are_refused_with_a_message(customer_a, sales_a, product, line, message):
    with override("en"), pytest.raises(ValidationError) as exc:
        services.order_create(actor=sales_a, customer_id=customer_a.pk, data={},
                              lines=[{"product": product, **line}])
    assert exc.value.message_dict["lines"] == [message]
    assert not Order.objects.exists()


def test_an_order_needs_lines_of_sold_products_in_its_currency(customer_a, sales_a, manager_a, product, make_product):
    with override("en"):
        with pytest.raises(ValidationError) as exc:
            services.order_create(actor=sales_a, customer_id=customer_a.pk, data={}, lines=[])
        assert exc.value.message_dict["lines"] == ["An order needs at least one line."]
        services.product_update(actor=manager_a, product_id=product.pk, data={"active": False})
        with pytest.raises(ValidationError) as exc:
            services.order_create(actor=sales_a, customer_id=customer_a.pk, data={},
                                  lines=[{"product": product, "quantity": 1}])
        assert "is no longer sold" in exc.value.message_dict["lines"][0]
        usd = make_product(currency="USD")
        with pytest.raises(ValidationError) as exc:
            services.order_create(actor=sales_a, customer_id=customer_a.pk, data={},
                                  lines=[{"product": usd, "quantity": 1}])
        assert "priced in USD" in exc.value.message_dict["lines"][0]
        # With an explicit unit price the currency question does not arise.
        services.order_create(actor=sales_a, customer_id=customer_a.pk, data={},
                              lines=[{"product": usd, "quantity": 1, "unit_price": "700"}])
    assert Order.objects.count() == 1


def test_status_moves_placed_to_paid_to_refunded_and_nothing_else(customer_a, sales_a, make_order):
    order = make_order(customer_a)
    services.order_set_status(actor=sales_a, order_id=order.pk, status="paid")
    with override("en"), pytest.raises(ValidationError) as exc:
        services.order_set_status(actor=sales_a, order_id=order.pk, status="cancelled")
    assert exc.value.message_dict["status"] == ["A paid order cannot become cancelled."]
    services.order_set_status(actor=sales_a, order_id=order.pk, status="refunded", note="客户退货")
    order.refresh_from_db()
    assert order.status == "refunded" and order.status_changed_at is not None
    change = ObjectChange.objects.filter(object_type="commerce.order", action="update").first()
    assert change.changes == {"status": ["paid", "refunded"]} and change.note == "客户退货"
    assert change.customer_id == customer_a.pk


def test_only_paid_orders_are_completed(customer_a, sales_a, make_order):
    placed, paid, cancelled, refunded = (make_order(customer_a) for _ in range(4))
    services.order_set_status(actor=sales_a, order_id=paid.pk, status="paid")
    services.order_set_status(actor=sales_a, order_id=cancelled.pk, status="cancelled")
    services.order_set_status(actor=sales_a, order_id=refunded.pk, status="paid")
    services.order_set_status(actor=sales_a, order_id=refunded.pk, status="refunded")
    assert list(Order.objects.completed()) == [paid]
    assert list(Order.objects.pending()) == [placed]
    assert set(OrderLine.objects.completed().values_list("order_id", flat=True)) == {paid.pk}


def test_order_update_records_only_what_really_changed(customer_a, sales_a, make_order):
    """The same moment in another time zone (a form or the API sends local time, the database
    gives UTC) is no change of the date."""
    from zoneinfo import ZoneInfo

    order = Order.objects.get(pk=make_order(customer_a).pk)
    local = order.ordered_at.astimezone(ZoneInfo("Asia/Shanghai"))
    services.order_update(actor=sales_a, order_id=order.pk, data={"ordered_at": local, "note": "改了备注"})
    change = ObjectChange.objects.filter(object_id=order.pk, object_type="commerce.order", action="update").get()
    assert set(change.changes) == {"note"}


def test_order_update_replaces_lines_only_while_placed(customer_a, sales_a, make_order, make_product):
    order = make_order(customer_a)
    bigger = make_product(price="500.00", unit_cost="100.00")
    services.order_update(actor=sales_a, order_id=order.pk, data={"note": "改单"},
                          lines=[{"product": bigger, "quantity": 2, "discount": "0.1"}])
    order.refresh_from_db()
    assert (order.revenue, order.cost, order.margin, order.note) == (
        Decimal("900.00"), Decimal("200.00"), Decimal("700.00"), "改单")
    assert order.lines.count() == 1
    change = ObjectChange.objects.filter(object_type="commerce.order", action="update").get()
    assert set(change.changes) == {"note", "lines", "revenue", "cost", "margin"}
    services.order_set_status(actor=sales_a, order_id=order.pk, status="paid")
    with pytest.raises(ValidationError):
        services.order_update(actor=sales_a, order_id=order.pk, data={}, lines=[{"product": bigger, "quantity": 1}])
    services.order_update(actor=sales_a, order_id=order.pk, data={"location": "南京西路支行"})  # the head may change


def test_order_create_is_audited_with_the_customer_and_lines(customer_a, sales_a, product):
    order = services.order_create(actor=sales_a, customer_id=customer_a.pk, data={"region": "华东"},
                                  lines=[{"product": product, "quantity": 1}])
    change = ObjectChange.objects.get(object_type="commerce.order", object_id=order.pk)
    assert change.action == "create" and change.customer_id == customer_a.pk and change.user == sales_a
    assert change.changes["revenue"] == [None, "19.99"]
    assert change.changes["lines"][1] == [{"product": "MMF-A", "quantity": "1", "unit_price": "19.99",
                                            "discount": "0", "unit_cost": "7.35", "revenue": "19.99"}]


def test_team_b_can_neither_create_nor_change_team_a_orders(customer_a, sales_b, analyst, make_order, product):
    order = make_order(customer_a)
    with pytest.raises(PermissionDenied):
        services.order_create(actor=sales_b, customer_id=customer_a.pk, data={},
                              lines=[{"product": product, "quantity": 1}])
    for call in (
        lambda u: services.order_update(actor=u, order_id=order.pk, data={"note": "x"}),
        lambda u: services.order_set_status(actor=u, order_id=order.pk, status="paid"),
        lambda u: services.order_delete(actor=u, order_id=order.pk),
    ):
        with pytest.raises(PermissionDenied):
            call(sales_b)
    # The analyst sees every customer but changes none.
    with pytest.raises(PermissionDenied):
        services.order_update(actor=analyst, order_id=order.pk, data={"note": "x"})
    assert not Order.objects.restrict(sales_b, "view").exists()
    assert Order.objects.restrict(analyst, "view").count() == 1


def test_deleting_an_order_needs_the_delete_capability(customer_a, sales_a, manager_a, make_order):
    order = make_order(customer_a)
    with pytest.raises(PermissionDenied):
        services.order_delete(actor=sales_a, order_id=order.pk)
    services.order_delete(actor=manager_a, order_id=order.pk)
    assert not Order.objects.restrict(manager_a, "view").exists()
    assert Order.objects.filter(pk=order.pk).exists()  # soft delete


def test_catalogue_is_read_by_all_and_changed_by_managers_and_admins(sales_a, manager_a, admin_user, product):
    assert list(Product.objects.restrict(sales_a, "view")) == [product]
    with pytest.raises(PermissionDenied):
        services.product_create(actor=sales_a, data={"code": "X", "name": "X", "category": "X", "price": 1,
                                                     "unit_cost": 1})
    with pytest.raises(PermissionDenied):
        services.product_update(actor=sales_a, product_id=product.pk, data={"price": Decimal("1")})
    services.product_update(actor=admin_user, product_id=product.pk, data={"price": Decimal("21.00")})
    change = ObjectChange.objects.filter(object_type="commerce.product", action="update").get()
    assert change.changes == {"price": ["19.99", "21.00"]} and change.customer_id is None
    services.product_delete(actor=manager_a, product_id=product.pk)
    assert not Product.objects.restrict(sales_a, "view").exists()


def test_costs_to_serve_are_scoped_validated_and_audited(customer_a, customer_b, sales_a, sales_b, make_order):
    order = make_order(customer_a)
    cost = services.cost_create(actor=sales_a, customer_id=customer_a.pk, data={
        "kind": "service", "amount": Decimal("120.50"), "description": "上门服务", "order": order.pk,
    })
    assert cost.created_by == sales_a and cost.currency == "CNY"
    change = ObjectChange.objects.get(object_type="commerce.customercost")
    assert change.customer_id == customer_a.pk and change.changes["amount"] == [None, "120.50"]
    with pytest.raises(PermissionDenied):
        services.cost_create(actor=sales_b, customer_id=customer_a.pk, data={"kind": "service", "amount": 1})
    with pytest.raises(PermissionDenied):
        services.cost_update(actor=sales_b, cost_id=cost.pk, data={"amount": 1})
    with override("en"), pytest.raises(ValidationError) as exc:
        services.cost_create(actor=sales_b, customer_id=customer_b.pk, data={
            "kind": "marketing", "amount": 5, "order": order.pk})
    assert exc.value.message_dict["order"] == ["The order must belong to the same customer."]
    with pytest.raises(ValidationError):
        services.cost_create(actor=sales_a, customer_id=customer_a.pk, data={"kind": "gift", "amount": 5})
    services.cost_delete(actor=sales_a, cost_id=cost.pk)
    assert not CustomerCost.objects.restrict(sales_a, "view").exists()
