"""Customers and their profile card (D1): people and organisations, contacts, family, tags,
documents, and the record of every ownership transfer."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.decimals import storable_digits_errors
from core.models import SoftDeleteModel, TimeStampedModel
from customers.choices import (
    KEY_PERSON_DIMENSIONS,
    CompanySize,
    CreditStanding,
    CustomerKind,
    Education,
    FamilyRelation,
    Gender,
    IdType,
    LegalForm,
    RiskPreference,
    ScoreLevel,
    SourceChannel,
)
from customers.idnumbers import resident_id_problem
from customers.querysets import CustomerChildQuerySet, CustomerQuerySet, TagQuerySet


class Tag(models.Model):
    """A free label on customers (VIP, 展会2026, …)."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


def _text(label: str) -> models.TextField:
    return models.TextField(label, blank=True, default="")


def _char(label: str, length: int = 100) -> models.CharField:
    return models.CharField(label, max_length=length, blank=True, default="")


def guess_id_type(number: str) -> str:
    """The ID type an ID number given without one certainly has: a resident ID card for a valid
    resident ID number, else "" (the user must say)."""
    return IdType.RESIDENT if number and not resident_id_problem(number.strip().upper()) else ""


class Customer(TimeStampedModel, SoftDeleteModel):
    """A person or an organisation we serve, with the four blocks of the profile card."""

    _masked: bool  # set on instances whose values were masked for a role (customers.selectors): never saved

    kind = models.CharField(_("type"), max_length=20, choices=CustomerKind.choices, default=CustomerKind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    # Unique within the customer's scope (its team, or its owner when it has none), not across the
    # company: a global constraint would tell a user that another team uses a number (ADR 0006).
    # customers.services.external_id_problem gives the clear message; the constraints are the guarantee.
    external_id = models.CharField(_("external ID"), max_length=64, null=True, blank=True, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="customers"
    )
    # The owner's team, kept by the services so that team scoping is one indexed column.
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="customers",
    )

    # 1. Basic data (基础资料)
    phone = _char(_("mobile phone"), 30)
    phone_alt = _char(_("other phone"), 30)
    email = models.EmailField(_("email"), blank=True, default="")
    wechat_id = _char(_("WeChat ID"), 64)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, blank=True, default="")
    id_number = _char(_("ID number"), 40)
    province = _char(_("province"), 50)
    city = _char(_("city"), 50)
    address = _char(_("address"), 255)
    postal_code = _char(_("postal code"), 12)
    # ... for a person
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True, default="")
    occupation = _char(_("occupation"))
    employer = _char(_("employer"), 200)
    education = models.CharField(_("education"), max_length=20, choices=Education.choices, blank=True, default="")
    personality = _text(_("personality"))
    hobbies = _text(_("hobbies"))
    # ... for an organisation
    legal_representative = _char(_("legal representative"))
    business_owner = _char(_("owner (proprietor)"))
    managers = _text(_("managers and their personal traits"))
    founded_on = models.DateField(_("founding date"), null=True, blank=True)
    legal_form = models.CharField(_("legal form"), max_length=30, choices=LegalForm.choices, blank=True, default="")
    industry = _char(_("industry"))
    company_size = models.CharField(
        _("size"), max_length=20, choices=CompanySize.choices, blank=True, default=""
    )
    assets = models.DecimalField(_("assets"), max_digits=18, decimal_places=2, null=True, blank=True)
    assets_currency = models.CharField(_("assets currency"), max_length=3, default="CNY")
    relationship_since = models.DateField(_("relationship since"), null=True, blank=True)

    # 2. Characteristics (客户特征)
    service_area = _text(_("service area"))
    sales_capacity = _text(_("sales capacity"))
    growth_potential = _text(_("growth potential"))
    business_philosophy = _text(_("business philosophy and direction"))
    policies = _text(_("policies"))
    scale = _text(_("scale"))
    operating_style = _text(_("operating style"))

    # 3. Business status (业务状况)
    performance = _text(_("performance"))
    staff_quality = _text(_("quality of managers and staff"))
    competitor_relations = _text(_("relations with competitors"))
    attitude_to_us = _text(_("relations and attitude towards us"))

    # 4. Transaction status (交易现状)
    current_sales_activity = _text(_("current sales activity"))
    problems = _text(_("problems"))
    strengths = _text(_("strengths"))
    plans = _text(_("plans"))
    image = _text(_("image"))
    reputation = _text(_("reputation"))
    credit_standing = models.CharField(
        _("credit standing"), max_length=20, choices=CreditStanding.choices, blank=True, default=""
    )
    trade_terms = _text(_("trade terms"))
    credit_incidents = _text(_("credit incidents"))

    # Plus
    source_channel = models.CharField(
        _("source channel"), max_length=20, choices=SourceChannel.choices, blank=True, default=""
    )
    risk_preference = models.CharField(
        _("risk preference"), max_length=20, choices=RiskPreference.choices, blank=True, default=""
    )
    special_notes = _text(_("special notes"))
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    last_verified_at = models.DateTimeField(_("last verified"), null=True, blank=True, db_index=True)

    # Search keys computed on write (customers.search): full pinyin, initials, phone digits.
    name_pinyin = models.CharField(max_length=400, blank=True, default="", editable=False)
    name_initials = models.CharField(max_length=200, blank=True, default="", editable=False)
    phone_digits = models.CharField(max_length=80, blank=True, default="", editable=False)
    # The city's pinyin, for the list sorted by city (customers.search.city_key). db_default too:
    # bulk loaders that write rows in SQL without it (bench) get "" like the ORM does.
    city_pinyin = models.CharField(max_length=300, blank=True, default="", db_default="", editable=False)

    # Set when this customer was merged into another (governance.services.customer_merge): the row
    # is soft-deleted and points at the survivor, so old references and external ids still resolve.
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, editable=False, on_delete=models.SET_NULL,
        related_name="merged_customers",
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            # Keyset pages of the default list order (pinyin of the name), whole table or one team/owner.
            models.Index(fields=["team", "name_pinyin", "id"], name="customer_team_pinyin"),
            models.Index(fields=["owner", "name_pinyin", "id"], name="customer_owner_pinyin"),
            models.Index(fields=["name_pinyin", "id"], name="customer_pinyin"),
            models.Index(fields=["city", "name_pinyin", "id"], name="customer_city_pinyin"),
            # Keyset pages of the list sorted by city (in pinyin), then name.
            models.Index(fields=["city_pinyin", "name_pinyin", "id"], name="customer_citykey_pinyin"),
            # The plan's "new customers" of a team's people in a month (work/registrations/plans.py): by
            # owner and creation time, without reading every customer the owners hold (316 → ms at 1M).
            models.Index(fields=["owner", "created_at"], name="customer_owner_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "external_id"], condition=models.Q(team__isnull=False),
                name="customer_external_id_team",
                violation_error_message=_("Another customer already has this external ID."),
            ),
            models.UniqueConstraint(
                fields=["owner", "external_id"], condition=models.Q(team__isnull=True),
                name="customer_external_id_owner",
                violation_error_message=_("Another customer already has this external ID."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        # A masked instance carries "138****5678" in place of the real phone: never write it back.
        if getattr(self, "_masked", False):
            raise RuntimeError("refusing to save a masked customer instance")
        super().save(*args, **kwargs)

    @property
    def is_person(self) -> bool:
        return self.kind == CustomerKind.PERSON

    def clean(self) -> None:
        """The card's plausibility rules: the services' full_clean(), the forms and the importer
        all run this, so a value refused on the page is refused by the API and by an import too."""
        super().clean()
        errors: dict[str, str] = {}
        if self.birthday and self.birthday > timezone.localdate():
            errors["birthday"] = _("The birthday cannot be in the future.")
        if self.assets is not None and self.assets < 0:
            errors["assets"] = _("Assets cannot be negative.")
        errors.update(storable_digits_errors(self, "assets"))
        number = (self.id_number or "").strip()
        if number and not self.id_type:
            # Derived, not asked, when unambiguous: a valid resident ID number is one.
            self.id_type = guess_id_type(number)
        if self.id_type == IdType.RESIDENT:
            number = number.upper()  # a final "x" typed in lower case
        self.id_number = number
        if number and not self.id_type:
            errors["id_type"] = _("Choose the type of ID for this ID number.")
        elif number and self.id_type == IdType.RESIDENT:
            problem = resident_id_problem(number)
            if problem:
                errors["id_number"] = problem
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def stale_before(now: timezone.datetime | None = None) -> timezone.datetime:
        """A card verified before this moment (or never) is stale (KEHU_STALE_AFTER_DAYS)."""
        return (now or timezone.now()) - timezone.timedelta(days=settings.KEHU_STALE_AFTER_DAYS)

    @classmethod
    def stale_q(cls, now: timezone.datetime | None = None) -> models.Q:
        """The filter of stale cards, for querysets and filtered aggregates (same rule as is_stale)."""
        return models.Q(last_verified_at__isnull=True) | models.Q(last_verified_at__lt=cls.stale_before(now))

    def is_stale(self, now: timezone.datetime | None = None) -> bool:
        return self.last_verified_at is None or self.last_verified_at < self.stale_before(now)


class Contact(TimeStampedModel, SoftDeleteModel):
    """A contact person (联系人) at an organisation customer; key persons carry a 6 × 5 score."""

    _masked: bool  # set on instances whose phone was masked for a role (customers.selectors)

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    title = _char(_("position"))
    department = _char(_("department"))
    phone = _char(_("phone"), 30)
    email = models.EmailField(_("email"), blank=True, default="")
    wechat_id = _char(_("WeChat ID"), 64)
    is_key_person = models.BooleanField(_("key person"), default=False)
    traits = _text(_("personal traits"))
    score_trust = models.PositiveSmallIntegerField(_("trust"), choices=ScoreLevel.choices, null=True, blank=True)
    score_influence = models.PositiveSmallIntegerField(
        _("decision influence"), choices=ScoreLevel.choices, null=True, blank=True
    )
    score_contact = models.PositiveSmallIntegerField(
        _("contact frequency"), choices=ScoreLevel.choices, null=True, blank=True
    )
    score_attitude = models.PositiveSmallIntegerField(
        _("attitude to us"), choices=ScoreLevel.choices, null=True, blank=True
    )
    score_rapport = models.PositiveSmallIntegerField(
        _("personal rapport"), choices=ScoreLevel.choices, null=True, blank=True
    )
    score_support = models.PositiveSmallIntegerField(
        _("support for our business"), choices=ScoreLevel.choices, null=True, blank=True
    )
    # The contact's id in another system, set by imports (upsert key); not edited on the card.
    external_id = models.CharField(
        _("external ID"), max_length=64, null=True, blank=True, unique=True, editable=False
    )

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-is_key_person", "name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name

    @property
    def relationship_score(self) -> int | None:
        """Sum of the six dimension scores (6–30), or None until all six are rated."""
        values = [getattr(self, f) for f, _label in KEY_PERSON_DIMENSIONS]
        return None if any(v is None for v in values) else sum(values)


class FamilyMember(TimeStampedModel, SoftDeleteModel):
    """A member of a person customer's family (家庭成员)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="family_members")
    name = models.CharField(_("name"), max_length=100)
    relation = models.CharField(_("relation"), max_length=20, choices=FamilyRelation.choices)
    age = models.PositiveSmallIntegerField(
        _("age"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(130)]
    )
    school_or_work = _char(_("school or work"), 200)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["relation", "name", "id"]
        verbose_name = _("family member")
        verbose_name_plural = _("family members")

    def __str__(self) -> str:
        return self.name


def document_path(instance: CustomerDocument, filename: str) -> str:
    return f"documents/{instance.customer_id}/{timezone.now():%Y%m}/{filename}"


class CustomerDocument(TimeStampedModel, SoftDeleteModel):
    """A file in the customer's folder (proposals, signed forms)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("file size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = _char(_("description"), 255)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.original_name


class OwnershipTransfer(models.Model):
    """One change of a customer's owner (专人负责): who, when, why."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ownership_transfers")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("ownership transfer")
        verbose_name_plural = _("ownership transfers")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_user_id} → {self.to_user_id}"
