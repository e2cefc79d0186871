"""Choice lists of the customer profile card (D1)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class IdType(models.TextChoices):
    """The kind of identity document an ID number belongs to; only resident ID numbers have a
    checkable format (customers.idnumbers)."""

    RESIDENT = "resident_id", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO = "hk_macao_permit", _("Travel permit for Hong Kong and Macao residents")
    TAIWAN = "taiwan_permit", _("Travel permit for Taiwan residents")
    FOREIGN_PR = "foreign_pr", _("Foreign permanent resident ID card")
    CREDIT_CODE = "credit_code", _("Unified social credit code")
    OTHER = "other", _("Other ID")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class Education(models.TextChoices):
    SECONDARY = "secondary", _("Secondary school or below")
    VOCATIONAL = "vocational", _("Vocational college")
    BACHELOR = "bachelor", _("Bachelor")
    MASTER = "master", _("Master")
    DOCTORATE = "doctorate", _("Doctorate")


class RiskPreference(models.TextChoices):
    CONSERVATIVE = "conservative", _("Conservative")
    CAUTIOUS = "cautious", _("Moderately conservative")
    BALANCED = "balanced", _("Balanced")
    GROWTH = "growth", _("Moderately aggressive")
    AGGRESSIVE = "aggressive", _("Aggressive")


class SourceChannel(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")
    WEBSITE = "website", _("Website")
    EVENT = "event", _("Event or exhibition")
    CAMPAIGN = "campaign", _("Marketing campaign")
    PARTNER = "partner", _("Partner")
    WECHAT = "wechat", _("WeChat")
    OTHER = "other", _("Other")


class CreditStanding(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")


class LegalForm(models.TextChoices):
    LIMITED = "limited", _("Limited liability company")
    JOINT_STOCK = "joint_stock", _("Joint-stock company")
    STATE_OWNED = "state_owned", _("State-owned enterprise")
    PARTNERSHIP = "partnership", _("Partnership")
    SOLE = "sole", _("Sole proprietorship")
    FOREIGN = "foreign", _("Foreign-invested enterprise")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    OTHER = "other", _("Other")


class CompanySize(models.TextChoices):
    MICRO = "micro", _("Micro (under 10 staff)")
    SMALL = "small", _("Small (10–99)")
    MEDIUM = "medium", _("Medium (100–999)")
    LARGE = "large", _("Large (1,000+)")


class FamilyRelation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


# The six dimensions of a key person's relationship score (关键人 6 维度 × 5 层级), each rated 1–5.
KEY_PERSON_DIMENSIONS: list[tuple[str, str]] = [
    ("score_trust", _("Trust")),
    ("score_influence", _("Decision influence")),
    ("score_contact", _("Contact frequency")),
    ("score_attitude", _("Attitude to us")),
    ("score_rapport", _("Personal rapport")),
    ("score_support", _("Support for our business")),
]


class ScoreLevel(models.IntegerChoices):
    COLD = 1, _("1 – Cold")
    DISTANT = 2, _("2 – Distant")
    NEUTRAL = 3, _("3 – Neutral")
    WARM = 4, _("4 – Warm")
    CLOSE = 5, _("5 – Close")
