"""The wealth desk's classes and levels (D2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Currencies a holding, a policy or an FX rate may be in (as on the customer card and in orders).
CURRENCIES = [(c, c) for c in ("CNY", "USD", "EUR", "HKD", "GBP", "JPY")]


class AssetClass(models.TextChoices):
    """The class of a holding (D2). A loan or mortgage is a liability: it counts against net worth."""

    DEPOSIT = "deposit", _("Deposit")
    WEALTH_PRODUCT = "wealth_product", _("Wealth-management product")
    FUND = "fund", _("Fund")
    BOND = "bond", _("Bond")
    STOCK = "stock", _("Stock")
    INSURANCE = "insurance", _("Insurance")
    LOAN = "loan", _("Loan / mortgage")
    PROPERTY = "property", _("Property")
    OTHER = "other", _("Other")


LIABILITY_CLASSES = frozenset({AssetClass.LOAN})


class RiskLevel(models.TextChoices):
    """A product's risk level, R1 (lowest) to R5 (highest), as Chinese banks grade them."""

    R1 = "R1", _("R1 (low)")
    R2 = "R2", _("R2 (moderately low)")
    R3 = "R3", _("R3 (medium)")
    R4 = "R4", _("R4 (moderately high)")
    R5 = "R5", _("R5 (high)")
