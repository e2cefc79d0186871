"""The audit trail (D12): every change with before/after values, every view and export.

Entries name the customer they concern by id (not a foreign key), so the trail outlives any row
and this app stays below the domain apps.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.querysets import AuditQuerySet
from core.actor import Source


class ChangeAction(models.TextChoices):
    CREATE = "create", pgettext_lazy("audit action", "Created")
    UPDATE = "update", pgettext_lazy("audit action", "Changed")
    DELETE = "delete", pgettext_lazy("audit action", "Deleted")
    RESTORE = "restore", pgettext_lazy("audit action", "Restored")
    TRANSFER = "transfer", pgettext_lazy("audit action", "Owner transferred")
    VERIFY = "verify", pgettext_lazy("audit action", "Verified")


class AccessAction(models.TextChoices):
    VIEW = "view", pgettext_lazy("audit action", "Viewed")
    EXPORT = "export", pgettext_lazy("audit action", "Exported")
    DOWNLOAD = "download", pgettext_lazy("audit action", "Downloaded document")
    # A search by the whole value of a field the user sees masked (a full phone or ID number).
    SEARCH = "search", pgettext_lazy("audit action", "Searched by a masked field")


SOURCE_CHOICES = [(Source.WEB, _("Web")), (Source.API, _("API")), (Source.CLI, _("CLI")), (Source.TASK, _("Task"))]


class ObjectChange(models.Model):
    """One create, change, delete or restore of a record, with the values before and after."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=10, choices=SOURCE_CHOICES)
    action = models.CharField(_("action"), max_length=20, choices=ChangeAction.choices)
    object_type = models.CharField(_("object type"), max_length=50)  # "customers.customer"
    object_id = models.BigIntegerField(_("object ID"))
    object_repr = models.CharField(_("object"), max_length=200)
    customer_id = models.BigIntegerField(_("customer ID"), null=True, blank=True)
    # {"field": [before, after]}; for create only "after" values, for delete only "before" values.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True, default="")

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes = [
            models.Index(fields=["customer_id", "-at"], name="objectchange_customer"),
            models.Index(fields=["object_type", "object_id"], name="objectchange_object"),
            models.Index(fields=["user", "-at"], name="objectchange_user"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"


class AccessLog(models.Model):
    """One view of a customer card, export of customer data or document download."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=10, choices=SOURCE_CHOICES)
    action = models.CharField(_("action"), max_length=20, choices=AccessAction.choices)
    customer_id = models.BigIntegerField(_("customer ID"), null=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True, default="")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # For exports: the filter used and the number of rows.
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access")
        verbose_name_plural = _("accesses")
        indexes = [
            models.Index(fields=["customer_id", "-at"], name="accesslog_customer"),
            models.Index(fields=["user", "-at"], name="accesslog_user"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"
