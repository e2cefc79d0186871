"""What a service request or a knowledge-base article is about (D7): one list, so that an article can be
suggested for a request of the same category."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceCategory(models.TextChoices):
    INSTALLATION = "installation", _("Installation")
    REPAIR = "repair", _("Repair and maintenance")
    DELIVERY = "delivery", _("Delivery")
    BILLING = "billing", _("Billing and invoices")
    RETURNS = "returns", _("Returns and exchanges")
    ACCOUNT = "account", _("Account and access")
    PRODUCT = "product", _("Product question")
    OTHER = "other", _("Other")
