"""Levels shared by the service desk's parts: the SLA policy (service/sla.py) is kept per level."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    """How bad a complaint is (D6); each severity has its own SLA times."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class RequestPriority(models.TextChoices):
    """How urgent a service request is (D7); each priority has its own SLA times."""

    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class SlaSubject(models.TextChoices):
    """What an SLA clock runs for."""

    COMPLAINT = "complaint", _("Complaint")
    REQUEST = "request", _("Service request")
