"""Classes of the computed segmentation schemes (D4). The defaults of the rules live in
docs/segmentation.md; the thresholds are in SegmentationSettings."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AbcTier(models.TextChoices):
    """ABC value tiers (ABC 分类法) by profit in the window."""

    A = "A", _("A · VIP")
    B = "B", _("B · key")
    C = "C", _("C · ordinary")


class RfmSegment(models.TextChoices):
    """Named RFM segments from the R and F scores (docs/segmentation.md has the grid)."""

    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", pgettext_lazy("rfm segment", "Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", pgettext_lazy("rfm segment", "New")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    # Customers without a completed order in the window have no RFM scores.
    NO_RECENT_PURCHASE = "no_recent_purchase", _("No recent purchase")


class LifecycleStage(models.TextChoices):
    """Closeness of the relationship (客户与企业关系远近)."""

    NON_CUSTOMER = "non_customer", _("Non-customer")
    POTENTIAL = "potential", pgettext_lazy("lifecycle stage", "Potential")
    TARGET = "target", _("Target")
    FIRST_TIME = "first_time", _("First-time buyer")
    REPEAT = "repeat", _("Repeat buyer")
    LOYAL = "loyal", pgettext_lazy("lifecycle stage", "Loyal")
    LOST = "lost", _("Lost")


class LifecycleMarkKind(models.TextChoices):
    """What a user may mark on a customer; the computed stage follows the rules in the docs."""

    TARGET = "target", _("Target customer")
    NON_CUSTOMER = "non_customer", _("Non-customer")
    CHURNED = "churned", _("Churned")


class ChurnReason(models.TextChoices):
    """Why a customer left (D9)."""

    PRODUCT = "product", _("Product")
    PRICE = "price", _("Price")
    SERVICE = "service", pgettext_lazy("churn reason", "Service")
    BENEFIT = "benefit", _("Benefit")
    MANAGEMENT = "management", _("Management (policy)")
    INDUSTRY = "industry", _("Moved to another industry")
    NATURAL = "natural", _("Natural (exited, bankrupt)")
    OTHER = "other", pgettext_lazy("churn reason", "Other")


class Loyalty(models.TextChoices):
    """Loyalty (忠诚度), derived from the lifecycle stage and share of wallet."""

    POTENTIAL = "potential", pgettext_lazy("loyalty", "Potential")
    NEW = "new", pgettext_lazy("loyalty", "New")
    OLD = "old", pgettext_lazy("loyalty", "Old")
    LOYAL = "loyal", pgettext_lazy("loyalty", "Loyal")


class ValueClass(models.TextChoices):
    """Customer value matrix (客户价值矩阵): current value × potential value."""

    VALUE = "value", _("Value customer")
    POTENTIAL = "potential", _("Potential customer")
    MIGRATING = "migrating", _("Migrating customer")
    FROZEN = "frozen", _("Frozen customer")


class SchemeKind(models.TextChoices):
    COMPUTED = "computed", _("Computed by kehu")
    MANUAL = "manual", _("Set by users")
    RULES = "rules", _("Rules (saved filters)")


# The computed schemes, by key (rows seeded by a data migration so classes can have managers).
COMPUTED_SCHEMES = {
    "abc": AbcTier,
    "rfm": RfmSegment,
    "lifecycle": LifecycleStage,
    "loyalty": Loyalty,
    "value_matrix": ValueClass,
}
