"""core.masking: the mask styles (masks reveal nothing the role may not see) and the registry's rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import FieldDoesNotExist

from accounts.roles import Sensitive
from core import masking
from customers.models import Contact, Customer


@pytest.mark.parametrize(("value", "masked"), [
    ("110101199003071234", "**************1234"),  # neither the district nor the birth date
    ("11010519491231002X", "**************002X"),
    ("E12345678", "*****5678"),
    ("1234", "****"),
    ("", ""),
])
def test_id_numbers_keep_their_last_four_characters_only(value, masked):
    assert masking.mask_id_number(value) == masked


def test_the_other_mask_styles():
    assert masking.mask_phone("138-1234-5678") == "138****5678"
    assert masking.mask_phone("+86 139 0000 1111") == "861****1111"
    assert masking.mask_phone("12345") == "****45"
    assert masking.mask_date(date(1990, 3, 7)) == masking.mask_date("1990-03-07") == "****-**-**"
    assert masking.mask_date(None) is None and masking.mask_date("") == ""
    assert masking.mask_amount(Decimal("1")) == "******" and masking.mask_amount(None) is None


def test_customers_registers_its_fields():
    registered = {(e.model, e.field): e for e in masking.entries()}
    assert registered[("customers.customer", "birthday")].group == Sensitive.ID_NUMBER  # the number holds it
    assert registered[("customers.customer", "id_number")].locked == ("id_type",)
    assert registered[("customers.customer", "phone")].search == masking.SEARCH_WHOLE
    assert registered[("customers.customer", "assets")].search == masking.SEARCH_NEVER
    assert ("customers.contact", "phone") in registered


def test_registering_checks_the_declaration():
    with pytest.raises(FieldDoesNotExist):  # a typo would be a mask that never applies
        masking.register(Customer, "id_nubmer", group=Sensitive.ID_NUMBER, mask=masking.mask_id_number)
    with pytest.raises(ValueError, match="search"):
        masking.register(Contact, "email", group=Sensitive.PHONES, mask=masking.mask_phone, search="prefix")
    # The same declaration again (ready() may run twice) is fine; a different one is an error.
    masking.register(Contact, "phone", group=Sensitive.PHONES, mask=masking.mask_phone)
    with pytest.raises(ValueError, match="differently"):
        masking.register(Contact, "phone", group=Sensitive.ASSETS, mask=masking.mask_phone)


@pytest.mark.django_db
def test_how_each_role_reads_writes_and_searches_a_field(admin_user, sales_a, service_a, analyst):
    assert masking.shown(sales_a, Customer, "id_number", "110101199003071234") == "**************1234"
    assert masking.shown(admin_user, Customer, "id_number", "110101199003071234") == "110101199003071234"
    assert masking.shown(analyst, Customer, "name", "张伟") == "张伟"  # not registered: as stored
    assert masking.unwritable_fields(service_a, Customer) == ["id_number", "id_type", "birthday", "assets",
                                                              "assets_currency"]
    assert masking.may_write(sales_a, Customer, "assets") and not masking.may_write(sales_a, Customer, "id_type")
    assert masking.search_mode(analyst, Customer, "phone") == masking.SEARCH_WHOLE
    assert masking.search_mode(analyst, Customer, "birthday") == masking.SEARCH_NEVER
    assert masking.search_mode(sales_a, Customer, "phone") == masking.SEARCH_FREE
