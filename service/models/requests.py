"""Service requests (D7 客户服务管理): something a customer asks the service team to do — install,
repair, explain — entered quickly, dispatched to a person, tracked to its close.

Due times: `acknowledge_by` and `resolve_by` come from the SLA (service.sla.deadlines: the request's
priority, the customer's agreement, the working calendar) when the request is received, and again
when its priority changes. They are stored (and indexed) so that the dispatch board sorts and counts
by them without computing anything per row.

Status: new → assigned → in progress ⇄ waiting for customer → resolved → closed, with reopen
(service.services_requests.TRANSITIONS has the allowed moves). Each move is a RequestStatusChange,
each assignment a RequestAssignment (who, to whom, why, when).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import SoftDeleteModel, TimeStampedModel
from customers.querysets import CustomerChildQuerySet
from service.categories import ServiceCategory
from service.choices import RequestPriority


class RequestStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (RequestStatus.NEW, RequestStatus.ASSIGNED, RequestStatus.IN_PROGRESS, RequestStatus.WAITING)
DONE_STATUSES = (RequestStatus.RESOLVED, RequestStatus.CLOSED)
_OPEN = models.Q(status__in=OPEN_STATUSES)
# The same condition with the statuses written into the SQL: SQLite uses a partial index only when the
# query's condition is the index's, constants and all (a bound parameter is not taken for the constant).
OPEN_SQL = "service_servicerequest.status IN ({})".format(", ".join(f"'{s}'" for s in OPEN_STATUSES))


def open_condition() -> models.Q:
    from django.db.models.expressions import RawSQL

    return models.Q(RawSQL(OPEN_SQL, [], output_field=models.BooleanField()))  # noqa: S611 (constants of this module)


class ServiceRequestQuerySet(CustomerChildQuerySet):
    """Scoped through the customer: who sees the customer sees its requests."""

    def open(self) -> ServiceRequestQuerySet:
        return self.filter(open_condition())


class ServiceRequest(TimeStampedModel, SoftDeleteModel):
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="service_requests")
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices,
                                default=ServiceCategory.OTHER)
    priority = models.CharField(_("priority"), max_length=10, choices=RequestPriority.choices,
                                default=RequestPriority.NORMAL)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    status = models.CharField(_("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.NEW)
    # No index of its own: the open requests' partial index leads with the assignee (the board's counts
    # and columns read it); with a second one SQLite counted the workload through this one, closed
    # requests and all. Users are deactivated rather than deleted, so PROTECT's lookup is rare.
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="service_requests", db_index=False)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    acknowledge_by = models.DateTimeField(_("acknowledge by"))
    resolve_by = models.DateTimeField(_("resolve by"))
    order = models.ForeignKey("commerce.Order", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="service_requests")
    solved_by_article = models.ForeignKey("service.Article", verbose_name=_("solved by article"), null=True,
                                          blank=True, on_delete=models.SET_NULL, related_name="solved_requests")
    resolution = models.TextField(_("resolution"), blank=True, default="")
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    reopened_count = models.PositiveSmallIntegerField(_("reopened"), default=0, editable=False)
    # The SLA notifications, each sent once (service.services_requests.sla_check).
    sla_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    external_id = models.CharField(_("external ID"), max_length=64, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            # The dispatch board: open requests by assignee (unassigned = NULL) and by due time.
            models.Index(fields=["assignee", "resolve_by", "id"], name="svc_request_open_assignee", condition=_OPEN),
            models.Index(fields=["resolve_by", "id"], name="svc_request_open_due", condition=_OPEN),
            models.Index(fields=["customer", "-received_at"], name="svc_request_customer"),
            models.Index(fields=["-received_at", "-id"], name="svc_request_received"),
            models.Index(fields=["status", "-received_at", "-id"], name="svc_request_status"),
            models.Index(fields=["external_id"], name="svc_request_external_id",
                         condition=models.Q(external_id__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: object = None) -> bool:
        return self.is_open and self.resolve_by < (now or timezone.now())  # type: ignore[operator]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("service:request_detail", args=[self.pk])


class RequestAssignment(models.Model):
    """One assignment of a request: from whom (empty: it was unassigned) to whom, by whom, why."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="assignments")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("from"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("to"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True, default="")
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("request assignment")
        verbose_name_plural = _("request assignments")
        indexes = [models.Index(fields=["request", "-at"], name="svc_request_assignment")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_user_id} → {self.to_user_id}"


class RequestStatusChange(models.Model):
    """One move of a request's status, by whom and when (with a note: what was done, why reopened)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=12, choices=RequestStatus.choices, blank=True, default="")
    to_status = models.CharField(_("to"), max_length=12, choices=RequestStatus.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("request status change")
        verbose_name_plural = _("request status changes")
        indexes = [models.Index(fields=["request", "-at"], name="svc_request_status_change"),
                   models.Index(fields=["-at"], name="svc_request_status_at")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status} → {self.to_status}"
