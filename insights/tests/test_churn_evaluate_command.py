"""`kehu insights_evaluate`: tables and JSON from the same evaluations; bad input is refused."""

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from commerce.models import Order, OrderLine, Product
from customers.models import Customer

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


@pytest.fixture
def history(sales_a):
    products = Product.objects.bulk_create([Product(code=c, name=c, category="基金", price=Decimal("100"),
                                                    unit_cost=Decimal("90")) for c in ("A", "B", "C")])
    customers = Customer.objects.bulk_create([Customer(name=f"客户{i}", owner=sales_a) for i in range(40)])
    tz = timezone.get_default_timezone()
    rows = []
    for i, c in enumerate(customers):
        rows.append((c, datetime.combine(AS_OF - timedelta(days=200 + i), time(12), tzinfo=tz), products[i % 2]))
        if i % 4 == 0:
            rows.append((c, datetime.combine(AS_OF - timedelta(days=30), time(12), tzinfo=tz), products[2]))
    orders = Order.objects.bulk_create([Order(customer=c, ordered_at=at, status="paid") for c, at, _p in rows])
    OrderLine.objects.bulk_create([OrderLine(order=o, product=p, quantity=1, unit_price=p.price, unit_cost=p.unit_cost)
                                   for o, (_c, _at, p) in zip(orders, rows, strict=True)])


def test_json_output_holds_both_evaluations(history):
    out = StringIO()
    call_command("insights_evaluate", "--as-of", AS_OF.isoformat(), "--json", stdout=out)
    data = json.loads(out.getvalue())
    products, churn = data["next_products"], data["churn"]
    assert products["customers_judged"] == 10 and set(products["methods"]) >= {"popular", "association_segment"}
    # 40 buyers: far too few for a classifier; the evaluation says so instead of inventing an AUC.
    assert churn["n_labelled"] == 40 and churn["fallback"] == "too_few_labelled" and churn["auc"] is None


def test_table_output_names_the_fallback(history):
    out = StringIO()
    call_command("insights_evaluate", "--as-of", AS_OF.isoformat(), stdout=out)
    text = out.getvalue()
    assert "hit rate at 3" in text and "popular" in text
    assert "FALLBACK" in text and "40" in text


def test_bad_dates_and_windows_are_refused(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("insights_evaluate", "--as-of", "30/06/2026")
    with pytest.raises(CommandError, match="at least 7"):
        call_command("insights_evaluate", "--window", "3")
