"""Importer of historical complaints (`kehu import complaints`, the import pages), registered from
service/registrations/complaints.py. Rows are validated by the complaint import form; the SLA
deadlines of a new complaint are set from its receipt (service.sla), its alarms counted as sent when
their time has passed (history is not escalated), and the customers' anticipation flags refreshed."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import Cap
from dataio.importers.base import ImportField, ModelImporter, form_fields
from dataio.importers.commerce import resolve_customer
from dataio.importers.refs import CustomerRefs
from dataio.mapping import synonyms
from dataio.readers import Row
from service import sla
from service.models.complaints import Complaint
from service.services_complaints import flag_refresh, set_deadlines

FORM_FIELDS = ["channel", "category", "severity", "received_at", "description", "wanted", "state",
               "acknowledged_at", "resolved_at", "closed_at", "recovery_action", "compensation", "reaction",
               "root_cause"]
SYNONYMS = {
    "channel": ("渠道", "投诉渠道"), "category": ("类别", "投诉类别", "类型"), "severity": ("严重程度", "级别"),
    "received_at": ("受理时间", "投诉时间", "日期", "date"), "description": ("投诉内容", "事情经过", "内容"),
    "wanted": ("客户诉求", "诉求"), "state": ("状态", "处理状态"), "acknowledged_at": ("确认时间",),
    "resolved_at": ("解决时间",), "closed_at": ("结案时间",), "recovery_action": ("补救措施", "处理方式"),
    "compensation": ("补偿金额", "赔偿金额"), "reaction": ("客户反应", "满意度"), "root_cause": ("根本原因", "原因"),
}


class ComplaintImportForm(forms.ModelForm):
    class Meta:
        model = Complaint
        fields = FORM_FIELDS


class ComplaintImporter(ModelImporter):
    """Complaints by their external ID; the customer by its external ID (or exact name); recorded by
    the importing user, who owns the new ones."""

    kind = "complaints"
    label = gettext_lazy("Complaints")
    description = gettext_lazy(
        "One row per complaint, e.g. from the old service system. The customer column holds the customer's "
        "external ID (or its exact name); the SLA deadlines are set from the time received.")
    model = Complaint
    audit_fields: ClassVar[list[str]] = FORM_FIELDS
    special = frozenset({"customer"})

    @classmethod
    def permitted(cls, user: User) -> bool:
        return user.can(Cap.CHANGE)

    @classmethod
    def available_fields(cls, user: User) -> list[ImportField]:
        names = {**synonyms(cls.kind), **SYNONYMS}
        return [
            ImportField("external_id", gettext_lazy("External ID"), key=True, synonyms=names["external_id"]),
            ImportField("customer", gettext_lazy("Customer"), kind="ref", required=True,
                        synonyms=names.get("customer", ("客户", "customer")),
                        help=gettext_lazy("The customer's external ID, or its exact name.")),
            *form_fields(ComplaintImportForm(), FORM_FIELDS, names,
                         required=["channel", "category", "received_at", "description"]),
        ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.customers = CustomerRefs(self.user)
        self.changeable: set[int] = set()
        self.touched: set[int] = set()

    def make_form(self) -> forms.BaseForm:
        return ComplaintImportForm()

    def find(self, keys: list[str]) -> dict[str, models.Model]:
        found = {c.external_id: c for c in Complaint.objects.filter(external_id__in=keys)}
        self.changeable = set(Complaint.objects.restrict(self.user, "change")
                              .filter(pk__in=[c.pk for c in found.values()]).values_list("pk", flat=True))
        return found

    def prepare_batch(self, rows: list[Row]) -> None:
        from dataio import values as v

        self.customers.resolve({v.text(self.cell(r, "customer")) for r in rows})

    def check_existing(self, row: Row, obj: models.Model) -> bool:
        if obj.pk in self.changeable:
            return True
        self.error(row, self.key, gettext_lazy("This record exists but you may not change it."))
        return False

    def clean_special(self, row: Row, data: dict[str, Any], obj: models.Model | None) -> dict[str, Any] | None:
        customer_id = resolve_customer(self, row, obj)
        if customer_id is None:
            return None
        if obj is None:
            data["customer_id"] = customer_id
            data["owner_id"] = data["created_by_id"] = self.user.pk
        return {}

    def build(self, key: str, data: dict[str, Any], row: Row, extra: dict[str, Any]) -> models.Model:
        complaint: Complaint = super().build(key, data, row, extra)  # type: ignore[assignment]
        set_deadlines(complaint)
        now = timezone.now()
        # History is not alarmed about: a deadline already past counts as warned and escalated.
        if complaint.acknowledged_at is not None or complaint.acknowledge_by <= now:
            complaint.ack_warned_at = complaint.ack_escalated_at = now
        if complaint.resolved_at is not None or complaint.resolve_by <= now:
            complaint.resolve_warned_at = complaint.resolve_escalated_at = now
        if complaint.acknowledged_at:
            complaint.minutes_to_acknowledge = sla.business_minutes_between(start=complaint.received_at,
                                                                            end=complaint.acknowledged_at)
        if complaint.resolved_at:
            complaint.minutes_to_resolve = sla.business_minutes_between(start=complaint.received_at,
                                                                        end=complaint.resolved_at)
        self.touched.add(complaint.customer_id)
        return complaint

    def finish(self, *, apply: bool) -> None:
        if apply and self.touched:
            flag_refresh(customer_ids=sorted(self.touched))
