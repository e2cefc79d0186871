"""The one answer to "may this user reach this customer, or this record of a customer?".

Every page and API operation of a customer's records asks here, so out of scope reads the same
everywhere: a customer or record the user may not see is a 404 (whether it exists or not); one the
user sees but may not act on in the asked way is a 403 carrying a reason written for users.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from accounts.models import User
from customers import selectors
from customers.models import Customer

RecordT = TypeVar("RecordT", bound=Model)


def customer_or_404(user: User, pk: int, action: str = "view") -> Customer:
    """The customer `pk` with its owner and team, masked for `user` (one query; a second, an
    EXISTS, when `action` is not "view"). Http404 outside the user's scope; PermissionDenied when
    the user sees it but may not perform `action` on it ("change", "delete", "transfer", …)."""
    try:
        customer = selectors.customers_visible(user).select_related("owner", "team").get(pk=pk)
    except Customer.DoesNotExist as exc:
        raise Http404(_("No such customer.")) from exc
    if action != "view" and not Customer.objects.restrict(user, action).filter(pk=pk).exists():
        raise PermissionDenied(_("You may not do this with this customer."))
    return selectors.mask_customer(user, customer)


def record_or_404(
    model: type[RecordT], user: User, pk: int, action: str = "view", *,
    read: Callable[[User, int], RecordT] | None = None, denied: str | Promise | None = None,
) -> RecordT:
    """The record `pk` of `model` (a model with the restricted manager, scoped through its customer)
    as `read(user, pk)` reads it — by default with its customer, one query — and a second query,
    an EXISTS, when `action` is not "view".

    `read` must raise `model.DoesNotExist` for a record outside the user's scope: that is the 404.
    The 403 says `denied`, by default that the user may not do this with this customer."""
    try:
        obj = read(user, pk) if read is not None else _read_with_customer(model, user, pk)
    except model.DoesNotExist as exc:  # type: ignore[attr-defined]
        raise Http404 from exc
    if action != "view" and not model.objects.restrict(user, action).filter(pk=pk).exists():  # type: ignore[attr-defined]
        raise PermissionDenied(denied or _("You may not do this with this customer."))
    return obj


def _read_with_customer(model: type[Any], user: User, pk: int) -> Any:
    return model.objects.restrict(user, "view").select_related("customer").get(pk=pk)
