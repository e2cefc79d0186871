"""Import of historical service requests (`kehu import requests`, the import pages): one row per request.

The customer column holds the customer's external ID (or its exact name); the request's own external
ID, when given, makes a second import of the same file skip the rows already imported (history is
not edited by imports). Status defaults to closed (history); an open status keeps the request on the
board. Due times come from the SLA counted from the received time; a request imported as resolved or
closed gets its resolved time (default: the received time) and, closed, its closed time. Written in
bulk, with one audit row per request.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import Cap
from audit.models import ChangeAction
from audit.services import change_records_bulk
from dataio import values as v
from dataio.importers.base import Importer, ImportField, coerce
from dataio.importers.refs import CustomerRefs
from dataio.readers import Row
from service import sla
from service.categories import ServiceCategory
from service.choices import RequestPriority, SlaSubject
from service.models import DONE_STATUSES, RequestStatus, ServiceRequest


def _choices(choices: list[tuple[str, Any]]) -> dict[str, str]:
    """Both the stored value and the label (in either language) read as the value."""
    from django.utils import translation

    out: dict[str, str] = {}
    for value, label in choices:
        out[v.normal_key(value)] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                out[v.normal_key(str(label))] = value
    return out


class RequestImporter(Importer):
    kind = "requests"
    label = gettext_lazy("Service requests")
    description = gettext_lazy(
        "One row per service request. The customer column holds the customer's external ID (or its exact "
        "name); rows whose external ID was imported before are skipped. Status defaults to closed."
    )
    special: ClassVar[frozenset[str]] = frozenset({"customer"})

    @classmethod
    def permitted(cls, user: User) -> bool:
        return user.can(Cap.CHANGE)

    @classmethod
    def available_fields(cls, user: User) -> list[ImportField]:
        status = _choices(RequestStatus.choices)
        return [
            ImportField("external_id", gettext_lazy("External ID"), key=True, optional=True,
                        synonyms=("id", "ticket", "工单号", "编号")),
            ImportField("customer", gettext_lazy("Customer"), kind="ref", required=True,
                        synonyms=("customer", "客户", "客户名称", "客户编号"),
                        help=gettext_lazy("The customer's external ID, or its exact name.")),
            ImportField("subject", gettext_lazy("Subject"), required=True,
                        synonyms=("subject", "title", "主题", "标题")),
            ImportField("description", gettext_lazy("Description"), synonyms=("description", "描述", "内容")),
            ImportField("category", gettext_lazy("Category"), kind="choice", synonyms=("category", "类别", "分类"),
                        choices=_choices(ServiceCategory.choices), options=tuple(ServiceCategory.choices)),
            ImportField("priority", gettext_lazy("Priority"), kind="choice", synonyms=("priority", "优先级"),
                        choices=_choices(RequestPriority.choices), options=tuple(RequestPriority.choices)),
            ImportField("status", gettext_lazy("Status"), kind="choice", synonyms=("status", "状态"),
                        choices=status, options=tuple(RequestStatus.choices)),
            ImportField("received_at", gettext_lazy("Received"), kind="datetime", required=True,
                        synonyms=("received", "created", "受理时间", "创建时间")),
            ImportField("resolved_at", gettext_lazy("Resolved"), kind="datetime",
                        synonyms=("resolved", "closed", "解决时间", "关闭时间")),
        ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.customers = CustomerRefs(self.user)
        self.seen: set[str] = set()

    def bulk_models(self) -> list[type[models.Model]]:
        return [ServiceRequest]

    def _value(self, row: Row, name: str) -> Any:
        if name not in self.mapping:
            return None
        raw = self.cell(row, name)
        if v.text(raw) == "":
            return None
        try:
            value = coerce(self.fields[name], raw)
        except (ValueError, TypeError) as exc:
            self.error(row, name, str(exc) or _("This value cannot be read."))
            raise
        field = self.fields[name]
        if field.kind == "datetime":
            moment = parse_datetime(str(value))
            if moment is None:
                self.error(row, name, _("“%(value)s” is not a date and time (2026-03-02 09:30).")
                           % {"value": v.text(raw)})
                raise ValueError(value)
            return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        if field.kind == "choice" and value not in dict(field.options):
            self.error(row, name, _("“%(value)s” is not one of the choices.") % {"value": v.text(raw)})
            raise ValueError(value)
        return value

    def process(self, batch: list[Row], *, apply: bool) -> None:
        self.customers.resolve({v.text(self.cell(r, "customer")) for r in batch})
        keys = {v.text(self.cell(r, "external_id")) for r in batch} - {""} if "external_id" in self.mapping else set()
        known = set(ServiceRequest.objects.filter(external_id__in=keys).values_list("external_id", flat=True))
        new: list[ServiceRequest] = []
        for row in batch:
            ref = v.text(self.cell(row, "customer"))
            customer_id = self.customers.found.get(ref)
            if customer_id is None:
                self.error(row, "customer", self.customers.problems.get(ref) or _("Say which customer."))
                continue
            key = v.text(self.cell(row, "external_id")) if "external_id" in self.mapping else ""
            if key and (key in known or key in self.seen):
                self.report.skip += 1
                self.report.note(_("Rows of requests imported before are skipped."))
                continue
            try:
                values = {name: self._value(row, name) for name in self.fields if name not in ("customer",)}
            except (ValueError, TypeError):
                continue
            if not values.get("subject"):
                self.error(row, "subject", _("The subject is required."))
                continue
            received = values["received_at"]
            if received is None:
                self.error(row, "received_at", _("The received time is required."))
                continue
            resolved = values.get("resolved_at")
            if resolved is not None and resolved < received:
                self.error(row, "resolved_at", _("The resolved time is before the received time."))
                continue
            status = values.get("status") or RequestStatus.CLOSED
            priority = values.get("priority") or RequestPriority.NORMAL
            due = sla.deadlines(customer_id=customer_id, subject=SlaSubject.REQUEST, level=priority,
                                received_at=received)
            req = ServiceRequest(
                customer_id=customer_id, subject=str(values["subject"])[:200],
                description=values.get("description") or "",
                category=values.get("category") or ServiceCategory.OTHER, priority=priority, status=status,
                received_at=received, acknowledge_by=due.acknowledge_by, resolve_by=due.resolve_by,
                external_id=key or None, created_by=self.user, created_at=self.now,
            )
            if status in DONE_STATUSES:
                req.resolved_at = resolved or received
                # History is history: no SLA notification for a request that was closed long ago.
                req.sla_warned_at = req.sla_escalated_at = self.now
                if status == RequestStatus.CLOSED:
                    req.closed_at = req.resolved_at
            if key:
                self.seen.add(key)
            new.append(req)
            self.report.create += 1
        if apply and new:
            saved = ServiceRequest.objects.bulk_create(new)
            change_records_bulk(user=self.user, instances=saved, action=ChangeAction.CREATE,
                                changes=lambda r: {"subject": [None, r.subject], "status": [None, r.status]},
                                customer_attr="customer_id", note="import")
