"""Win-back (挽回, D9): what the win-back part stores beside segmentation's churn marks.

- LossRecord: the details of one loss that segmentation's LifecycleMark does not hold — the
  competitor the customer went to, the interaction through which an implicit churner's reason was
  learnt, the lifecycle transition to lost. The reason class itself stays on the mark
  (LifecycleMark.churn_reason): a loss with a reason always has a churn mark.
- WinbackScript: the administrator's text per reason class (zh/en), the body of win-back e-mails
  and tasks.
- WinbackCampaign / WinbackAttempt: a campaign over lost customers and one attempt per customer
  and channel (task or e-mail). Later channels attach their attempts to the same campaign.
- ChurnRiskSnapshot / WinbackDigestRun: the weekly copy of the churn risk scores (insights keeps
  only the current score) and the record of each week's digest, so it is sent once a week.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.querysets import RestrictedQuerySet
from customers.querysets import CustomerChildQuerySet
from segmentation.choices import ChurnReason

# The reason class of a lost customer nobody classified yet (not a ChurnReason: never stored on a mark).
UNKNOWN_REASON = "unknown"


class LossRecord(models.Model):
    """One recorded loss of a customer: the churn mark (with the reason) plus what the mark lacks."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="loss_records")
    mark = models.OneToOneField("segmentation.LifecycleMark", verbose_name=_("churn mark"), on_delete=models.CASCADE,
                                related_name="loss_record")
    transition = models.ForeignKey("segmentation.LifecycleTransition", verbose_name=_("transition to lost"),
                                   null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lost_on = models.DateField(_("lost on"))
    competitor = models.CharField(_("competitor"), max_length=200, blank=True, default="")
    interaction = models.ForeignKey("interactions.Interaction", verbose_name=_("contact that gave the reason"),
                                    null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("loss record")
        verbose_name_plural = _("loss records")
        indexes = [models.Index(fields=["customer", "recorded_at", "id"], name="lossrecord_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} lost {self.lost_on}"


class WinbackScript(models.Model):
    """What a win-back says for one reason class (price → an offer; service → apology and fix; product →
    what changed), in both languages. `{{ customer }}` and `{{ owner }}` are replaced per customer."""

    reason = models.CharField(_("reason class"), max_length=16, unique=True,
                              choices=[*ChurnReason.choices, (UNKNOWN_REASON, _("Reason unknown"))])
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=200)
    subject_en = models.CharField(_("subject (English)"), max_length=200)
    body_zh = models.TextField(_("text (Chinese)"))
    body_en = models.TextField(_("text (English)"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = _("win-back script")
        verbose_name_plural = _("win-back scripts")

    def __str__(self) -> str:
        return self.reason


class ValueBasis(models.TextChoices):
    CLV = "clv", _("Lifetime value (CLV)")
    MARGIN = "margin", _("Margin of all purchases")


class CampaignStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CampaignQuerySet(RestrictedQuerySet):
    """A campaign is seen by its team (the creator's) and by those who see every customer; the
    attempts inside it are further scoped by their customers."""

    def permits(self, user: Any, action: str) -> bool:
        return action == "view" or user.can("customer.change")

    def scope(self, user: Any, action: str) -> Q:
        if user.sees_all_customers and action == "view":
            return Q()
        if user.effective_role == "admin":
            return Q()
        mine = Q(created_by=user)
        return mine | Q(team_id=user.team_id) if user.team_id else mine


class WinbackCampaign(models.Model):
    """A win-back campaign over lost customers, with the filter that chose them."""

    name = models.CharField(_("name"), max_length=200)
    reasons = models.JSONField(_("reason classes"), default=list, blank=True)  # empty: every reason
    value_basis = models.CharField(_("value"), max_length=10, choices=ValueBasis.choices, default=ValueBasis.CLV)
    value_min = models.DecimalField(_("value from"), max_digits=16, decimal_places=2, null=True, blank=True)
    value_max = models.DecimalField(_("value up to"), max_digits=16, decimal_places=2, null=True, blank=True)
    lost_min_days = models.PositiveIntegerField(_("lost for at least (days)"), null=True, blank=True)
    lost_max_days = models.PositiveIntegerField(_("lost for at most (days)"), null=True, blank=True)
    by_task = models.BooleanField(_("tasks for the owners"), default=True)
    by_email = models.BooleanField(_("e-mail to the customers"), default=False)
    language = models.CharField(_("e-mail language"), max_length=10, default="zh-hans",
                                choices=[("zh-hans", "中文"), ("en", "English")])
    task_due_days = models.PositiveSmallIntegerField(_("tasks due in (days)"), default=7)
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices,
                              default=CampaignStatus.QUEUED)
    total = models.PositiveIntegerField(_("customers"), default=0)
    done = models.PositiveIntegerField(_("customers done"), default=0)
    error = models.TextField(_("error"), blank=True, default="")
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("win-back campaign")
        verbose_name_plural = _("win-back campaigns")
        indexes = [models.Index(fields=["team", "-created_at"], name="winbackcampaign_team")]

    def __str__(self) -> str:
        return self.name

    @property
    def running(self) -> bool:
        return self.status in (CampaignStatus.QUEUED, CampaignStatus.RUNNING)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else (100 if not self.running else 0)


class AttemptChannel(models.TextChoices):
    TASK = "task", _("Task for the owner")
    EMAIL = "email", _("E-mail")


class AttemptStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")


class AttemptOutcome(models.TextChoices):
    OPEN = "open", _("No purchase yet")
    WON_BACK = "won_back", _("Won back")


class WinbackAttempt(models.Model):
    """One try to win one customer back, by one channel, in one campaign (at most one per campaign,
    customer and channel: running a campaign twice adds nothing)."""

    campaign = models.ForeignKey(WinbackCampaign, verbose_name=_("campaign"), on_delete=models.CASCADE,
                                 related_name="attempts")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="winback_attempts")
    reason = models.CharField(_("reason class"), max_length=16)  # ChurnReason or UNKNOWN_REASON, when sent
    channel = models.CharField(_("channel"), max_length=10, choices=AttemptChannel.choices)
    status = models.CharField(_("status"), max_length=10, choices=AttemptStatus.choices)
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    sent_at = models.DateTimeField(_("sent"))
    sent_on = models.DateField(_("sent on"))  # the business day of sent_at: the attribution compares days
    task = models.ForeignKey("work.Task", verbose_name=_("task"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    email = models.ForeignKey("work.OutgoingEmail", verbose_name=_("e-mail"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=10, choices=AttemptOutcome.choices,
                               default=AttemptOutcome.OPEN)
    won_back_on = models.DateField(_("won back on"), null=True, blank=True)
    won_back_transition = models.OneToOneField("segmentation.LifecycleTransition", null=True, blank=True,
                                               on_delete=models.SET_NULL, related_name="+")

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("win-back attempt")
        verbose_name_plural = _("win-back attempts")
        constraints = [models.UniqueConstraint(fields=["campaign", "customer", "channel"],
                                               name="winbackattempt_once_per_channel")]
        indexes = [
            models.Index(fields=["customer", "sent_on"], name="winbackattempt_customer"),
            models.Index(fields=["campaign", "id"], name="winbackattempt_campaign"),
            models.Index(fields=["sent_on", "status"], name="winbackattempt_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.customer_id} {self.channel}"

    @property
    def reason_label(self) -> str:
        return str(ChurnReason(self.reason).label) if self.reason in ChurnReason.values else str(_("Reason unknown"))


class ChurnRiskSnapshot(models.Model):
    """A customer's churn risk as scored in one week (the Monday of the week the digest ran)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    week = models.DateField(_("week"))
    churn_risk = models.FloatField(_("churn risk"))

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("churn risk snapshot")
        verbose_name_plural = _("churn risk snapshots")
        constraints = [models.UniqueConstraint(fields=["customer", "week"], name="churnrisksnapshot_once")]
        indexes = [models.Index(fields=["week", "customer"], name="churnrisksnapshot_week")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.week}: {self.churn_risk:.2f}"


class WinbackDigestRun(models.Model):
    """The weekly digest of one week, sent once."""

    week = models.DateField(_("week"), unique=True)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    owners = models.PositiveIntegerField(_("owners told"), default=0)
    managers = models.PositiveIntegerField(_("managers told"), default=0)

    class Meta:
        verbose_name = _("weekly churn digest")
        verbose_name_plural = _("weekly churn digests")

    def __str__(self) -> str:
        return str(self.week)
