import pytest
from django.core.exceptions import ValidationError

from core.pagination import keyset_page, keyset_page_merged
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


@pytest.mark.parametrize("ordering", [["name", "id"], ["-name", "-id"]])
def test_dict_rows_and_merged_querysets_walk_like_one_queryset(make_customer, sales_a, ordering):
    """Rows read with values() page like instances; disjoint querysets merged page like their union."""
    for i in range(17):
        make_customer(sales_a, name=f"N{i % 7}", city=f"C{i % 3}")
    qs = Customer.objects.all()
    expected = list(qs.order_by(*ordering).values_list("pk", flat=True))
    parts = [qs.filter(city="C0").values("id", "name"), qs.exclude(city="C0").values("id", "name")]
    for fetch in (lambda c: keyset_page(qs.values("id", "name"), ordering=ordering, cursor=c, size=4),
                  lambda c: keyset_page_merged(parts, ordering=ordering, cursor=c, size=4)):
        seen, pages, cursor = [], [], None
        while True:
            page = fetch(cursor)
            pages.append(page)
            seen += [row["id"] for row in page.items]
            if not page.has_next:
                break
            cursor = page.next_cursor
        assert seen == expected
        back = fetch(pages[2].previous_cursor)
        assert [r["id"] for r in back.items] == [r["id"] for r in pages[1].items]


def test_merged_pages_need_one_direction(db):
    with pytest.raises(ValueError, match="one direction"):
        keyset_page_merged([Customer.objects.all()] * 2, ordering=["name", "-id"])


def test_kept_rows_are_read_in_chunks_until_the_page_is_full(make_customer, sales_a, django_assert_max_num_queries):
    """A Python condition that keeps one row in four: the page still holds the first kept rows in
    order, forward and back, and the chunks grow (a page never costs a query per row)."""
    for i in range(40):
        make_customer(sales_a, name=f"N{i:02d}", city="keep" if i % 4 == 0 else "skip")
    qs = Customer.objects.values("id", "name", "city")
    keep = lambda row: row["city"] == "keep"  # noqa: E731
    expected = list(Customer.objects.filter(city="keep").order_by("name", "id").values_list("pk", flat=True))
    with django_assert_max_num_queries(3):
        first = keyset_page_merged([qs], ordering=["name", "id"], size=4, keep=keep)
    assert [r["id"] for r in first.items] == expected[:4] and first.has_next
    rest = keyset_page_merged([qs], ordering=["name", "id"], cursor=first.next_cursor, size=10, keep=keep)
    assert [r["id"] for r in rest.items] == expected[4:] and not rest.has_next
    back = keyset_page_merged([qs], ordering=["name", "id"], cursor=rest.previous_cursor, size=10, keep=keep)
    assert [r["id"] for r in back.items] == expected[:4]
