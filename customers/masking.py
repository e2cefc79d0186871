"""The customers app's sensitive fields (core.masking's contract), registered by CustomersConfig.ready().

The birthday is masked with the ID number: a resident ID number holds the birth date, so a role that
may not see the number may not see the birthday either (and the number's mask keeps only its last 4
characters). Phones and ID numbers can be searched by roles that see them masked only as a whole,
recorded in the access log; amounts and birthdays not at all.
"""

from __future__ import annotations

from accounts.roles import Sensitive
from core.masking import (
    SEARCH_NEVER,
    SEARCH_WHOLE,
    mask_amount,
    mask_date,
    mask_id_number,
    mask_phone,
    register,
)
from customers.models import Contact, Customer


def register_fields() -> None:
    register(Customer, "id_number", group=Sensitive.ID_NUMBER, mask=mask_id_number, search=SEARCH_WHOLE,
             locked=("id_type",))
    register(Customer, "birthday", group=Sensitive.ID_NUMBER, mask=mask_date, search=SEARCH_NEVER)
    register(Customer, "phone", group=Sensitive.PHONES, mask=mask_phone, search=SEARCH_WHOLE)
    register(Customer, "phone_alt", group=Sensitive.PHONES, mask=mask_phone, search=SEARCH_WHOLE)
    register(Customer, "assets", group=Sensitive.ASSETS, mask=mask_amount, search=SEARCH_NEVER,
             locked=("assets_currency",))
    register(Contact, "phone", group=Sensitive.PHONES, mask=mask_phone, search=SEARCH_NEVER)
