"""The plain-ORM reference reads of the customer card and list: what the fast paths must equal.

The product reads customers through compiled SQL and values() rows (customers.selectors:
customer_card_instances, customer_card_values, customer_list_rows, customer_page_values;
docs/decisions/0004-compiled-sql-and-lean-reads.md). These two functions are the same reads written
the obvious way — model instances from the permission-scoped queryset, select_related and
prefetch_related, masked by selectors.mask_customer — and no page uses them any more. They stay,
here with the tests, as the reference the equivalence tests compare the fast paths with
(customers/tests/test_card_read.py, test_list_rows.py, test_api_values.py), for every role, filter,
sort and cursor: a fast path that drifts from them in scope, masking, order or cursors fails there.

They share the product's scope, filters and masks (restrict(), selectors._filtered, mask_customer),
so they are a reference for how rows are *read*, not a second definition of who may see what."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Value, prefetch_related_objects

from accounts.models import User
from core.pagination import KeysetPage, keyset_page
from customers.models import Contact, FamilyMember
from customers.selectors import (
    CUSTOMER_SORTS,
    DEFAULT_SORT,
    CustomerCard,
    _filtered,
    _may,
    _ordering_from_matches,
    customers_visible,
    mask_contact,
    mask_customer,
)


def customer_card(*, user: User, customer_id: int) -> CustomerCard:
    """Everything the card shows, read through the ORM (the permissions to change, delete and
    transfer as columns of the customer's query). Raises Customer.DoesNotExist when the customer
    is outside the user's scope."""
    may = {f"_can_{action}": _may(user, action) for action in ("change", "delete", "transfer")}
    constant = {k: v.value for k, v in may.items() if isinstance(v, Value)}
    customer = (
        customers_visible(user).select_related("owner", "team").prefetch_related("tags")
        .annotate(**{k: v for k, v in may.items() if k not in constant})
        .get(pk=customer_id)
    )
    for key, value in constant.items():
        setattr(customer, key, value)
    contacts = [mask_contact(user, c) for c in Contact.objects.restrict(user).filter(customer_id=customer.pk)]
    family = list(FamilyMember.objects.restrict(user).filter(customer_id=customer.pk))
    return CustomerCard(
        customer=mask_customer(user, customer),
        contacts=contacts,
        family_members=family,
        can_change=bool(customer._can_change),
        can_delete=bool(customer._can_delete),
        can_transfer=bool(customer._can_transfer),
        user=user,
    )


def customer_list(
    *, user: User, filters: Mapping[str, Any], sort: str = DEFAULT_SORT, cursor: str | None = None, size: int = 50
) -> KeysetPage:
    """One page of the customer list as model instances with owner, team and tags, masked."""
    ordering = CUSTOMER_SORTS.get(sort, CUSTOMER_SORTS[DEFAULT_SORT])
    qs, dense = _filtered(user, filters)
    qs = qs.select_related("owner", "team")
    if dense:
        qs, ordering = _ordering_from_matches(qs, ordering)
    page = keyset_page(qs, ordering=ordering, cursor=cursor, size=size)
    prefetch_related_objects(page.items, "tags")
    page.items = [mask_customer(user, c) for c in page.items]
    return page
