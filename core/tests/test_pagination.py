import pytest
from django.core.exceptions import ValidationError

from core.pagination import keyset_page
from customers.models import Customer


@pytest.mark.parametrize("ordering", [["name", "id"], ["-name", "-id"], ["city", "name", "id"]])
def test_walks_forward_and_back_without_gaps(make_customer, sales_a, ordering):
    for i in range(23):
        make_customer(sales_a, name=f"N{i % 7}", city=f"C{i % 3}")
    qs = Customer.objects.all()
    expected = list(qs.order_by(*ordering).values_list("pk", flat=True))
    seen, pages, cursor = [], [], None
    while True:
        page = keyset_page(qs, ordering=ordering, cursor=cursor, size=5)
        pages.append(page)
        seen += [c.pk for c in page.items]
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert seen == expected
    assert not pages[0].has_previous and pages[1].has_previous
    back = keyset_page(qs, ordering=ordering, cursor=pages[2].previous_cursor, size=5)
    assert [c.pk for c in back.items] == [c.pk for c in pages[1].items]
    assert back.has_next and back.has_previous


def test_bad_cursor_is_a_validation_error(db):
    with pytest.raises(ValidationError):
        keyset_page(Customer.objects.all(), ordering=["name", "id"], cursor="garbage!")
