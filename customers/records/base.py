"""What the records layer knows of one kind of record that belongs to a customer.

A `RecordKind` names the model and the three services that write it; the pages
(customers.records.views) and the API (customers.records.api) of that kind are declared on it, so
both doors read the record the same way and write it through the same services.

Contract of the services a kind names (the house style for services):

- ``create(*, actor, customer_id, data, **extra) -> record``: checks that `actor` may change the
  customer, validates, saves, writes the audit row, in one transaction. `extra` are domain
  arguments a page or the API passes besides the fields (an interaction's ``follow_up``).
- ``update(*, actor, <id_kwarg>, data) -> record``: the same for the fields in `data`.
- ``delete(*, actor, <id_kwarg>)``: soft delete, audited.

Each raises PermissionDenied when the actor may not do it and ValidationError (naming the fields)
when the data is refused, with nothing half-applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from accounts.models import User
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

    def update_record(self, *, actor: User, pk: int, data: Mapping[str, Any]) -> Any:
        """Every edit of a record, from a page or the API, goes through here: the one place where
        a check that the record has not changed since it was read (optimistic concurrency) belongs."""
        return self.update(actor=actor, **{self.id_kwarg: pk}, data=data)  # type: ignore[misc]

    def delete_record(self, *, actor: User, pk: int) -> Any:
        return self.delete(actor=actor, **{self.id_kwarg: pk})
