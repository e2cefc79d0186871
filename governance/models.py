"""Data governance: keys for finding duplicate customers, and merges (with what they moved, so that
an administrator can undo them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.querysets import CustomerChildQuerySet
from governance.querysets import CustomerMergeQuerySet, NotDuplicateQuerySet


class MatchKind(models.TextChoices):
    PHONE = "phone", _("Same phone")
    EMAIL = "email", _("Same e-mail")
    NAME = "name", _("Same name (pinyin) in the same city")
    FUZZY = "fuzzy", _("Similar name in the same city")


class MatchKey(models.Model):
    """One key under which customers may be the same person or company: a phone number, an e-mail,
    the pinyin of the name in a city, or that pinyin with one letter left out (similar names). Two
    customers sharing a key are a candidate pair; found by a self-join on the indexed (kind, value)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=MatchKind.choices)
    value = models.CharField(max_length=200)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["kind", "value", "customer"], name="matchkey_lookup")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class MatchKeyState(models.Model):
    """When the keys were last brought up to date (one row): only customers changed since are redone."""

    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.refreshed_at)


class NotDuplicate(models.Model):
    """A pair someone looked at and found to be two different customers: no longer proposed."""

    first = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = NotDuplicateQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["first", "second"], name="notduplicate_pair")]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"


class CustomerMerge(models.Model):
    """One merge: `merged` was folded into `survivor`. Keeps both customers' values before the merge,
    the fields taken from `merged`, and the ids of every record moved, so that an undo restores the
    merged customer and moves back exactly those records."""

    # Not stored: set on the record customer_unmerge returns, the taken fields someone changed since.
    kept_fields: list[str]

    survivor = models.ForeignKey("customers.Customer", verbose_name=_("kept customer"), on_delete=models.PROTECT,
                                 related_name="+")
    merged = models.ForeignKey("customers.Customer", verbose_name=_("merged customer"), on_delete=models.PROTECT,
                               related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("merged by"), null=True,
                              on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # Fields whose value the survivor took from the merged customer: {field: [survivor's before, merged's]}.
    taken = models.JSONField(default=dict, blank=True)
    survivor_before = models.JSONField(default=dict)
    merged_before = models.JSONField(default=dict)
    # {"app.model.field": [ids]}, plus "tags_added" (tag ids the survivor gained) and "tags_merged"
    # (the merged customer's tag ids).
    moved = models.JSONField(default=dict)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    objects = CustomerMergeQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"

    @property
    def moved_count(self) -> int:
        return sum(len(ids) for key, ids in self.moved.items() if not key.startswith("tags_"))
