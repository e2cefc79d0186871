"""What the records layer knows of one kind of record that belongs to a customer.

A `RecordKind` names the model and the three services that write it; the pages
(customers.records.views) and the API (customers.records.api) of that kind are declared on it, so
both doors read the record the same way and write it through the same services.

Contract of the services a kind names (the house style for services):

- ``create(*, actor, customer_id, data, **extra) -> record``: checks that `actor` may change the
  customer, validates, saves, writes the audit row, in one transaction. `extra` are domain
  arguments a page or the API passes besides the fields (an interaction's ``follow_up``).
- ``update(*, actor, <id_kwarg>, data, expected_version=None) -> record``: the same for the fields
  in `data`. `expected_version` is the version of the record the editor saw (core.concurrency, ADR
  0009): the service calls ``check_version(record, expected_version)`` right after locking the row
  with ``select_for_update()`` and raises StaleWrite, changing nothing, when the record has changed
  since; ``None`` means "not checked". A kind whose update service lacks the keyword is refused at
  start.
- ``delete(*, actor, <id_kwarg>)``: soft delete, audited.

Each raises PermissionDenied when the actor may not do it and ValidationError (naming the fields)
when the data is refused, with nothing half-applied.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.models import ChangeAction
from audit.services import change_record
from core.services import get_scoped
from customers.records.access import record_or_404


@dataclass(frozen=True)
class RecordKind:
    """One kind of customer record: its model and the services that create, change and delete it."""

    model: type[Model]
    # The services' keyword for the record's id: update(actor=…, cost_id=…, data=…).
    id_kwarg: str
    delete: Callable[..., Any]
    # A kind added or changed only by its own pages (a document is uploaded, never edited) has None.
    create: Callable[..., Any] | None = None
    update: Callable[..., Any] | None = None
    # The actions (customers.querysets.ACTION_CAPABILITY) that editing and deleting need.
    change_action: str = "change"
    delete_action: str = "change"
    # The reason a 403 gives.
    denied: str | Promise = gettext_lazy("You may not do this with this customer.")

    def __post_init__(self) -> None:
        # Every edit passes a version on (update_record): a service that cannot check it would
        # silently allow lost updates on pages and API alike, so it is refused when declared.
        if self.update is not None and "expected_version" not in inspect.signature(self.update).parameters:
            raise ImproperlyConfigured(
                f"{self.model.__name__}: the update service {self.update.__name__} takes no expected_version= "
                "(core.concurrency.check_version after select_for_update)")

    def scoped(self, user: User, action: str = "view") -> QuerySet[Any]:
        """The records `user` may perform `action` on."""
        return self.model.objects.restrict(user, action)  # type: ignore[attr-defined,no-any-return]

    def get_or_404(self, user: User, pk: int, action: str = "view", *,
                   read: Callable[[User, int], Any] | None = None) -> Any:
        """The record for a page: 404 outside scope, 403 when `action` is not allowed. Read by
        `read(user, pk)` when given (a selector), else with its customer."""
        return record_or_404(self.model, user, pk, action, read=read, denied=self.denied)

    def permits(self, user: User, pk: int, action: str) -> bool:
        return self.scoped(user, action).filter(pk=pk).exists()  # type: ignore[no-any-return]

    # --- writes: the only calls of the services from the records layer -------------------------

    def create_record(self, *, actor: User, customer_id: int, data: Mapping[str, Any], **extra: Any) -> Any:
        return self.create(actor=actor, customer_id=customer_id, data=data, **extra)  # type: ignore[misc]

    def update_record(self, *, actor: User, pk: int, data: Mapping[str, Any],
                      expected_version: str | Iterable[str] | None = None) -> Any:
        """Every edit of a record, from a page or the API, goes through here. `expected_version`:
        the version (or versions, any may match) of the record the editor saw — the edit form's
        hidden field, the API's If-Match; the service raises core.concurrency.StaleWrite, changing
        nothing, when the record has changed since. None: not checked (today's behaviour)."""
        return self.update(actor=actor, **{self.id_kwarg: pk}, data=data,  # type: ignore[misc]
                           expected_version=expected_version)

    def delete_record(self, *, actor: User, pk: int) -> Any:
        return self.delete(actor=actor, **{self.id_kwarg: pk})


def soft_delete(model: type[Any], *, actor: User, pk: int, action: str = "change",
                customer_field: str = "customer_id") -> Any:
    """The delete service of a customer's record (and of the customer): the row, locked and in the
    actor's scope for `action`, is marked deleted — it leaves every list, the trash keeps it — and the
    audit trail gets its DELETE row. Call it inside the service's transaction."""
    obj = get_scoped(model.objects.select_for_update(of=("self",)), actor, action, pk)
    obj.deleted_at = timezone.now()
    obj.save(update_fields=["deleted_at", "updated_at"])
    change_record(user=actor, instance=obj, action=ChangeAction.DELETE, customer_id=getattr(obj, customer_field),
                  changes={"deleted_at": [None, str(obj.deleted_at)]})
    return obj
