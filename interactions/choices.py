"""Choice lists of interactions (D3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class InteractionChannel(models.TextChoices):
    """Every way of being in contact with a customer (客户互动)."""

    PHONE = "phone", pgettext_lazy("interaction channel", "Phone call")
    VISIT = "visit", pgettext_lazy("interaction channel", "Visit")
    EMAIL = "email", pgettext_lazy("interaction channel", "Email")
    SMS = "sms", pgettext_lazy("interaction channel", "SMS")
    WECHAT = "wechat", pgettext_lazy("interaction channel", "WeChat")
    WEB = "web", pgettext_lazy("interaction channel", "Web form")
    FAX = "fax", pgettext_lazy("interaction channel", "Fax")
    EVENT = "event", pgettext_lazy("interaction channel", "Event")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
