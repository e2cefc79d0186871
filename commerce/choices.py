"""Choice lists of orders and costs (D3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrderStatus(models.TextChoices):
    """Only PAID counts as completed value in analytics (docs/orders.md); PLACED is pending,
    CANCELLED and REFUNDED never count."""

    PLACED = "placed", pgettext_lazy("order status", "Placed")
    PAID = "paid", pgettext_lazy("order status", "Paid")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
    REFUNDED = "refunded", pgettext_lazy("order status", "Refunded")


# Which status may follow which (a refund only after payment; cancelled and refunded are final).
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PLACED: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}


class SalesChannel(models.TextChoices):
    """Where the sale was made (渠道)."""

    BRANCH = "branch", _("Branch / store")
    FIELD = "field", _("Field sales")
    PHONE = "phone", _("Telephone")
    ONLINE = "online", _("Online")
    WECHAT = "wechat", _("WeChat")
    PARTNER = "partner", _("Partner / agent")
    EVENT = "event", _("Event")


class CostKind(models.TextChoices):
    """Costs to serve a customer (客户成本)."""

    SERVICE = "service", _("Service cost")
    MARKETING = "marketing", _("Marketing cost")
    BAD_DEBT = "bad_debt", _("Bad debt")
    LITIGATION = "litigation", _("Litigation")
    OTHER = "other", pgettext_lazy("cost kind", "Other")


DEFAULT_CURRENCY = "CNY"
CURRENCIES = [(c, c) for c in ("CNY", "USD", "EUR", "HKD", "GBP", "JPY")]  # as on the customer card
