"""Finding the records a row refers to — customers, users — for a whole batch at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Customer
from customers.querysets import customer_permits, customer_scope
from dataio.values import normal_key


class CustomerRefs:
    """A customer column: the customer's external id, or its exact name when that is unique among the
    customers the user may change. A merged customer's id leads to the customer it was merged into."""

    def __init__(self, user: User, action: str = "change") -> None:
        self.user = user
        self.action = action
        self.found: dict[str, int] = {}
        self.problems: dict[str, str] = {}

    def resolve(self, values: Iterable[str]) -> None:
        wanted = {v for v in values if v and v not in self.found and v not in self.problems}
        if not wanted:
            return
        # Only customers in the user's scope are looked up (deleted ones too, to say so): a customer
        # out of reach reads exactly as one that does not exist (docs/permissions.md, ADR 0006).
        scope = customer_scope(self.user, self.action) if customer_permits(self.user, self.action) else Q(pk=None)
        rows = list(Customer.objects.filter(scope, external_id__in=wanted).order_by("pk").values(
            "pk", "external_id", "deleted_at", "merged_into_id"))
        by_ext: dict[str, int] = {}
        for r in rows:
            ref = r["external_id"]
            if ref in by_ext or ref in self.problems:  # several teams use it: only who sees all meets this
                by_ext.pop(ref, None)
                self.problems[ref] = _("Customers of several teams have the external ID “%(ref)s”.") % {"ref": ref}
                continue
            pk = self._follow(r["pk"], r["deleted_at"], r["merged_into_id"])
            if pk is None:
                self.problems[ref] = _("The customer “%(ref)s” was deleted.") % {"ref": ref}
            else:
                by_ext[ref] = pk
        rest = wanted - set(by_ext) - set(self.problems)
        by_name: dict[str, int] = {}
        if rest:
            named: dict[str, list[int]] = {}
            for pk, name in Customer.objects.restrict(self.user, self.action).filter(name__in=rest).values_list(
                "pk", "name"
            ):
                named.setdefault(name, []).append(pk)
            for name, pks in named.items():
                if len(pks) == 1:
                    by_name[name] = pks[0]
                else:
                    self.problems[name] = _(
                        "%(count)s customers are called “%(ref)s”: use the customer's external ID."
                    ) % {"count": len(pks), "ref": name}
        allowed = set(
            Customer.objects.restrict(self.user, self.action)
            .filter(pk__in={*by_ext.values(), *by_name.values()})
            .values_list("pk", flat=True)
        )
        for ref, pk in [*by_ext.items(), *by_name.items()]:
            if pk in allowed:
                self.found[ref] = pk
        for ref in wanted - set(self.found) - set(self.problems):
            self.problems[ref] = _("No customer has the external ID or name “%(ref)s”.") % {"ref": ref}

    @staticmethod
    def _follow(pk: int, deleted_at: Any, merged_into_id: int | None) -> int | None:
        """The live customer a (possibly merged) customer stands for, or None if it was deleted."""
        seen = set()
        while deleted_at is not None:
            if merged_into_id is None or merged_into_id in seen:
                return None
            seen.add(pk)
            pk = merged_into_id
            row = Customer.objects.filter(pk=pk).values("deleted_at", "merged_into_id").first()
            if row is None:
                return None
            deleted_at, merged_into_id = row["deleted_at"], row["merged_into_id"]
        return pk

    def get(self, ref: str) -> tuple[int | None, str]:
        """(customer id, "") or (None, the reason)."""
        if ref in self.found:
            return self.found[ref], ""
        return None, self.problems.get(ref, _("No customer has the external ID or name “%(ref)s”.") % {"ref": ref})


class UserRefs:
    """A user column (owner, salesperson, staff): username, full name or email of an active user
    among `candidates`."""

    def __init__(self, candidates: Iterable[User]) -> None:
        self.by_key: dict[str, User | None] = {}
        for u in candidates:
            for key in {normal_key(u.username), normal_key(str(u)), normal_key(u.email or "")}:
                if not key:
                    continue
                # Two users with the same full name: that name is ambiguous (None), usernames never are.
                if key in self.by_key and self.by_key[key] is not u and key != normal_key(u.username):
                    self.by_key[key] = None
                else:
                    self.by_key.setdefault(key, u)

    def get(self, value: str) -> tuple[User | None, str]:
        key = normal_key(value)
        if key in self.by_key:
            user = self.by_key[key]
            if user is None:
                return None, _("Several users are called “%(name)s”: use the username.") % {"name": value}
            return user, ""
        return None, _("No active user “%(name)s” may be chosen here.") % {"name": value}
