"""Reads of insurance coverage: a customer's policies, the household coverage view, the gap lines
the call list shows. Every user-facing read starts from a restricted queryset."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core import masking
from core.models import concrete_field
from core.pagination import KeysetPage, keyset_page
from core.timeline import (
    CardPanel,
    TimelineCursor,
    TimelineEntry,
    before_q,
    choice_labels,
    person_fields,
    timeline_provider,
    url_of,
    wants,
)
from customers.choices import CustomerKind
from customers.models import Customer, FamilyMember
from customers.querysets import customer_permits
from wealth.coverage_gaps import (
    SELF,
    Gap,
    Person,
    PersonCoverage,
    PolicyFact,
    Thresholds,
    gap_text,
    household_coverage,
    household_gaps,
)
from wealth.fx import rate_table_on
from wealth.models.coverage import CoverageGapSummary, InsurancePolicy, MemberIncome, PolicyEvent
from wealth.valuation import RateTable

POLICY_ORDERING = ["policy_type", "id"]
CARD_POLICIES = 10
# The policy fields a change event may name (the services' POLICY_FIELDS, without importing them).
POLICY_FIELD_NAMES = frozenset(f.name for f in InsurancePolicy._meta.concrete_fields)


def policies_visible(user: User) -> QuerySet[InsurancePolicy]:
    return InsurancePolicy.objects.restrict(user, "view").filter(deleted_at__isnull=True)


def policy_list(*, user: User, filters: Mapping[str, Any] | None = None, cursor: str | None = None,
                size: int = 50) -> KeysetPage:
    """A keyset page of the policies the user sees (API list), masked for the user's role."""
    f = dict(filters or {})
    qs = policies_visible(user).select_related("insured_member")
    if f.get("customer"):
        qs = qs.filter(customer_id=f["customer"])
    if f.get("policy_type"):
        qs = qs.filter(policy_type=f["policy_type"])
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    page = keyset_page(qs, ordering=["-id"], cursor=cursor, size=size)
    page.items = [masking.mask_instance(user, p) for p in page.items]
    return page


def policy_read(user: User, pk: int) -> InsurancePolicy:
    """One visible policy with its customer and insured person (DoesNotExist otherwise), masked."""
    policy = policies_visible(user).select_related("customer", "insured_member").get(pk=pk)
    return masking.mask_instance(user, policy)


# --- household facts, for many customers at once (the nightly refresh) or one (the view) -------------

def _age_on(birthday: date | None, today: date) -> int | None:
    if birthday is None:
        return None
    return today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))


def _fact(row: Mapping[str, Any]) -> PolicyFact:
    return PolicyFact(pk=row["id"], policy_type=row["policy_type"], insurer=row["insurer"], status=row["status"],
                      sum_insured=row["sum_insured"], currency=row["currency"],
                      critical_illness_covered=row["critical_illness_covered"], ends_on=row["ends_on"],
                      insured_member_id=row["insured_member_id"])


@dataclass
class Household:
    customer_id: int
    people: list[Person]
    policies: list[PolicyFact]


def households(customer_ids: Sequence[int], today: date) -> list[Household]:
    """The households of these person customers (organisations have none), in four queries whatever
    their number. No scope: for the gap refresh, which stores a summary per customer."""
    customers = list(Customer.objects.filter(pk__in=customer_ids, kind=CustomerKind.PERSON, deleted_at__isnull=True)
                     .values("id", "name", "birthday", "occupation", "employer"))
    ids = [c["id"] for c in customers]
    incomes: dict[tuple[int, int | None], tuple[Any, str]] = {
        (r["customer_id"], r["family_member_id"]): (r["annual_income"], r["currency"])
        for r in MemberIncome.objects.filter(customer_id__in=ids).values(
            "customer_id", "family_member_id", "annual_income", "currency")
    }
    members: dict[int, list[Person]] = {}
    for m in (FamilyMember.objects.filter(customer_id__in=ids, deleted_at__isnull=True)
              .order_by("customer_id", "relation", "name", "id")
              .values("id", "customer_id", "name", "relation", "age", "school_or_work")):
        income = incomes.get((m["customer_id"], m["id"]), (None, "CNY"))
        members.setdefault(m["customer_id"], []).append(Person(
            name=m["name"], relation=m["relation"], age=m["age"], member_id=m["id"], works_text=m["school_or_work"],
            annual_income=income[0], income_currency=income[1]))
    policies: dict[int, list[PolicyFact]] = {}
    for row in (InsurancePolicy.objects.filter(customer_id__in=ids, deleted_at__isnull=True).order_by("id")
                .values("id", "customer_id", "policy_type", "insurer", "status", "sum_insured", "currency",
                        "critical_illness_covered", "ends_on", "insured_member_id")):
        policies.setdefault(row["customer_id"], []).append(_fact(row))
    out = []
    for c in customers:
        income = incomes.get((c["id"], None), (None, "CNY"))
        me = Person(name=c["name"], relation=SELF, age=_age_on(c["birthday"], today),
                    works_text=" ".join(x for x in (c["occupation"], c["employer"]) if x),
                    annual_income=income[0], income_currency=income[1])
        out.append(Household(c["id"], [me, *members.get(c["id"], [])], policies.get(c["id"], [])))
    return out


def gaps_of(household: Household, *, today: date, thresholds: Thresholds, rates: RateTable) -> list[Gap]:
    return household_gaps(household.people, household.policies, today=today, thresholds=thresholds, rates=rates)


@dataclass
class CoverageView:
    """The household coverage page: each person with their policies (masked), and the gaps."""

    customer: Customer
    people: list[PersonCoverage]
    policies_by_id: dict[int, InsurancePolicy]
    gaps: list[dict[str, Any]]
    incomes: dict[int | None, MemberIncome]
    thresholds: Thresholds
    total_premium_by_currency: list[tuple[str, Any]]

    amounts_masked: bool = False

    def gap_lines(self) -> list[str]:
        return [gap_text(g, amounts_masked=self.amounts_masked) for g in self.gaps]


def household_view(*, user: User, customer: Customer, today: date | None = None) -> CoverageView:
    """The household coverage of a customer the caller has already read in scope (customer_or_404):
    the gaps are computed live (the same rules as the stored summary)."""
    today = today or timezone.localdate()
    thresholds = Thresholds.from_settings()
    found = households([customer.pk], today)
    household = found[0] if found else Household(customer.pk, [], [])
    gaps = gaps_of(household, today=today, thresholds=thresholds, rates=rate_table_on(today))
    rows = list(policies_visible(user).filter(customer_id=customer.pk).order_by(*POLICY_ORDERING))
    masked = {p.pk: masking.mask_instance(user, p) for p in rows}
    incomes = {i.family_member_id: masking.mask_instance(user, i)
               for i in MemberIncome.objects.restrict(user, "view").filter(customer_id=customer.pk)}
    premiums: dict[str, Any] = {}
    if not masking.masks(user, InsurancePolicy, "premium"):
        for p in rows:
            if p.status in ("in_force", "premium_due"):
                premiums[p.currency] = premiums.get(p.currency, 0) + p.annual_premium
    return CoverageView(customer=customer, people=household_coverage(household.people, household.policies, thresholds),
                        policies_by_id=masked, gaps=[g.as_json() for g in gaps], incomes=incomes,
                        thresholds=thresholds, total_premium_by_currency=sorted(premiums.items()),
                        amounts_masked=amounts_masked(user))


def amounts_masked(user: User) -> bool:
    """Whether `user`'s role sees policy amounts (and so the figures a gap names) masked."""
    return masking.masks(user, InsurancePolicy, "sum_insured")


def gap_lines_for(user: User, customer_ids: Iterable[int]) -> dict[int, list[str]]:
    """The stored gaps of these customers (already scoped by the caller) as lines in the current
    language, masked for `user`, in one query (the call list's reason source: customers.call_reasons)."""
    rows = CoverageGapSummary.objects.filter(customer_id__in=list(customer_ids)).values_list("customer_id", "gaps")
    masked = amounts_masked(user)
    return {cid: [gap_text(g, amounts_masked=masked) for g in gaps] for cid, gaps in rows}


def card_panels(user: User, customer_id: int) -> list[CardPanel]:
    """The card's "Insurance coverage" panel: the customer's policies and the number of gaps."""
    customer = Customer.objects.restrict(user, "view").filter(pk=customer_id).only("id", "kind").first()
    if customer is None or customer.kind != CustomerKind.PERSON:
        return []
    can_change = Customer.objects.restrict(user, "change").filter(pk=customer_id).exists()
    rows = list(policies_visible(user).filter(customer_id=customer_id).select_related("insured_member")
                .order_by(*POLICY_ORDERING)[:CARD_POLICIES + 1])
    summary = CoverageGapSummary.objects.filter(customer_id=customer_id).values_list("gaps", flat=True).first() or []
    masked = amounts_masked(user)
    return [CardPanel(key="coverage", title=_("Insurance coverage"), template="wealth/coverage/card_panel.html",
                      context={"policies": [masking.mask_instance(user, p) for p in rows[:CARD_POLICIES]],
                               "more": len(rows) > CARD_POLICIES,
                               "gap_lines": [gap_text(g, amounts_masked=masked) for g in summary],
                               "can_change": can_change, "customer_id": customer_id})]


@timeline_provider(kinds={"policy": gettext_lazy("Insurance policies")})
def policy_timeline(user: Any, customer_id: int, kinds: Collection[str] | None, before: TimelineCursor | None,
                    limit: int) -> list[TimelineEntry]:
    """The customer's policy events (recorded, changed, lapsed, deleted), newest first, one query on
    the (customer, at) index. The sum insured is shown as the user's role may see it (masked)."""
    if not wants(["policy"], kinds):
        return []
    rows = (
        PolicyEvent.objects.restrict(user, "view").filter(customer_id=customer_id)
        .filter(before_q(field_name="at", kind="policy", before=before))
        .select_related("policy", "policy__insured_member", "actor").order_by("-at", "-id")
        .only("id", "at", "kind", "fields", "policy__id", "policy__insurer", "policy__policy_type",
              "policy__sum_insured", "policy__currency", "policy__deleted_at", "policy__insured_member__name",
              *person_fields("actor"))[:limit]
    )
    label = _("Insurance policy")
    kind, policy_type = choice_labels(PolicyEvent, "kind"), choice_labels(InsurancePolicy, "policy_type")
    sum_shown = masking.masker(user, InsurancePolicy, "sum_insured") or (lambda value: value)
    editable = customer_permits(user, "change")
    url = url_of("wealth:policy_edit")
    out = []
    for e in rows:
        p = e.policy
        insured = p.insured_member.name if p.insured_member_id else _("the customer")
        detail = _("%(type)s of %(insurer)s for %(insured)s, sum insured %(sum)s %(currency)s") % {
            "type": policy_type(p.policy_type), "insurer": p.insurer, "insured": insured,
            "sum": sum_shown(p.sum_insured), "currency": p.currency}
        if e.fields:
            fields = ", ".join(str(concrete_field(InsurancePolicy, f).verbose_name) for f in e.fields
                               if f in POLICY_FIELD_NAMES)
            detail += " · " + _("changed: %(fields)s") % {"fields": fields}
        out.append(TimelineEntry(
            kind="policy", kind_label=label, at=e.at, pk=e.pk, title=kind(e.kind), detail=detail,
            url=url(p.pk) if editable and p.deleted_at is None else "", actor=str(e.actor or ""),
            badge=kind(e.kind) if e.kind == "lapsed" else "", badge_class="bad" if e.kind == "lapsed" else "",
        ))
    return out
