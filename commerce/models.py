"""Products, orders with lines, and costs to serve (D3). All value, RFM, CLV and profitability
figures derive from these: see docs/orders.md for what counts and how amounts are computed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commerce.choices import CURRENCIES, DEFAULT_CURRENCY, CostKind, OrderStatus, SalesChannel
from commerce.querysets import CustomerCostQuerySet, OrderLineQuerySet, OrderQuerySet, ProductQuerySet
from core.decimals import DecimalField, price_text, storable_digits_errors
from core.models import SoftDeleteModel, TimeStampedModel

ZERO = Decimal("0.00")
# An order may be dated this far ahead (time zones, a sale booked tonight for tomorrow); more is a
# typo of the year that would put the order on top of every "newest first" list.
ORDER_DATE_TOLERANCE = timedelta(days=1)


def _money(label: str, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(label, max_digits=16, decimal_places=2, **kwargs)


# A price or cost per unit keeps four decimals (a component at ¥0.0350 a piece); amounts computed from
# them stay at two, rounded half-up (docs/orders.md). Trailing zeros are taken (9.7700 is 9.77).
UNIT_PRICE_PLACES = 4


def _unit_price(label: str) -> models.DecimalField:
    return DecimalField(label, max_digits=18, decimal_places=UNIT_PRICE_PLACES, validators=[MinValueValidator(ZERO)])


def _currency() -> models.CharField:
    return models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default=DEFAULT_CURRENCY)


def code_taken_message(code: str) -> str:
    return str(_("Another product already has the code “%(code)s” (codes are the same whatever the case of "
                 "their letters).") % {"code": code})


class Product(TimeStampedModel, SoftDeleteModel):
    """A product or service in the shared catalogue (产品), with list price and unit cost."""

    code = models.CharField(_("product code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=60, db_index=True)
    price = _unit_price(_("list price"))
    unit_cost = _unit_price(_("unit cost"))
    currency = _currency()
    unit = models.CharField(_("unit"), max_length=20, blank=True, default="")
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive products cannot be ordered."))
    description = models.TextField(_("description"), blank=True, default="")
    external_id = models.CharField(_("external ID"), max_length=64, null=True, blank=True, unique=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["category", "name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    # Set by a caller that checked the codes of many products at once (the importer): no query here.
    code_checked = False

    def clean(self) -> None:
        """Codes are unique ignoring case: "A-100" and "a-100" would be one product to a user typing
        it on an order, and imports match codes as typed."""
        super().clean()
        errors = storable_digits_errors(self, "price", "unit_cost")
        if errors:
            raise ValidationError(errors)
        if self.code and not self.code_checked:
            other = Product.objects.filter(code__iexact=self.code).exclude(pk=self.pk).values_list("code", flat=True)
            if other:
                raise ValidationError({"code": code_taken_message(other[0])})

    @property
    def warnings(self) -> list[str]:
        """What is allowed but probably a mistake: shown after saving and in an import's report."""
        if self.price is not None and self.unit_cost is not None and self.unit_cost > self.price:
            return [str(_("The unit cost (%(cost)s) is above the list price (%(price)s): every sale of this "
                          "product loses money.") % {"cost": price_text(self.unit_cost),
                                                      "price": price_text(self.price)})]
        return []

    @property
    def margin_rate(self) -> Decimal | None:
        """(price − unit cost) / price in percent, None when the price is 0."""
        if not self.price:
            return None
        return (self.price - self.unit_cost) / self.price * 100


class Order(TimeStampedModel, SoftDeleteModel):
    """One order / transaction (交易) of a customer. revenue, cost and margin are the sums of the
    lines, stored so that lists and analytics never add lines up per row."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="orders"
    )
    ordered_at = models.DateTimeField(_("order date"), default=timezone.now)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    channel = models.CharField(_("channel"), max_length=20, choices=SalesChannel.choices, blank=True, default="")
    region = models.CharField(_("region"), max_length=50, blank=True, default="")
    location = models.CharField(_("sales location"), max_length=100, blank=True, default="")
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    currency = _currency()
    revenue = _money(_("revenue"), default=ZERO)
    cost = _money(_("cost"), default=ZERO)
    margin = _money(_("margin"), default=ZERO)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, default="")
    external_id = models.CharField(_("external ID"), max_length=64, null=True, blank=True, unique=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-ordered_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["customer", "ordered_at", "id"], name="order_customer_date"),
            models.Index(fields=["ordered_at", "id"], name="order_date"),
            models.Index(fields=["status", "ordered_at", "id"], name="order_status_date"),
            models.Index(fields=["salesperson", "ordered_at", "id"], name="order_salesperson_date"),
        ]

    def __str__(self) -> str:
        return _("Order %(number)s") % {"number": self.number}

    def clean(self) -> None:
        super().clean()
        if self.ordered_at and self.ordered_at > timezone.now() + ORDER_DATE_TOLERANCE:
            raise ValidationError({"ordered_at": _(
                "The order date %(date)s is more than a day in the future: check the year."
            ) % {"date": timezone.localtime(self.ordered_at).date().isoformat()}})

    @property
    def audit_repr(self) -> str:
        """The name the audit trail keeps: without the translated word (audit.services.record_repr)."""
        return self.number

    @property
    def number(self) -> str:
        """The order number shown to users: the external id when imported, else #id."""
        return self.external_id or f"#{self.pk}"


class OrderLine(models.Model):
    """One product on an order. unit_cost is the product's cost when the order was made, so that
    later catalogue changes do not rewrite past margins."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    unit_price = _unit_price(_("unit price"))
    # A fraction: 0.15 is 15 % off.
    discount = models.DecimalField(
        _("discount"), max_digits=5, decimal_places=4, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    unit_cost = _unit_price(_("unit cost"))
    revenue = _money(_("revenue"), default=ZERO)
    cost = _money(_("cost"), default=ZERO)
    margin = _money(_("margin"), default=ZERO)

    objects = OrderLineQuerySet.as_manager()

    class Meta:
        ordering = ["order", "position", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"

    @property
    def discount_percent(self) -> Decimal:
        """The discount as users enter it: 15 for 15 % off."""
        return (self.discount * 100).quantize(Decimal("0.01")).normalize()


class CustomerCost(TimeStampedModel, SoftDeleteModel):
    """A cost of serving one customer (service, marketing, bad debt, litigation, other):
    profit per customer = margin of completed orders − costs."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="costs"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CostKind.choices)
    incurred_on = models.DateField(_("date"), default=timezone.localdate)
    amount = _money(_("amount"), validators=[MinValueValidator(ZERO)])
    currency = _currency()
    description = models.CharField(_("description"), max_length=255, blank=True, default="")
    order = models.ForeignKey(
        Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.SET_NULL, related_name="costs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    external_id = models.CharField(_("external ID"), max_length=64, null=True, blank=True, unique=True)

    objects = CustomerCostQuerySet.as_manager()

    class Meta:
        ordering = ["-incurred_on", "-id"]
        verbose_name = _("cost to serve")
        verbose_name_plural = _("costs to serve")
        indexes = [
            models.Index(fields=["customer", "incurred_on", "id"], name="cost_customer_date"),
            models.Index(fields=["incurred_on", "id"], name="cost_date"),
            models.Index(fields=["kind", "incurred_on"], name="cost_kind_date"),
        ]

    def clean(self) -> None:
        super().clean()
        errors = storable_digits_errors(self, "amount")
        if errors:
            raise ValidationError(errors)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

    @property
    def audit_repr(self) -> str:
        """The name the audit trail keeps: the amount; the kind is a field the trail shows translated."""
        return f"{self.amount} {self.currency}"
