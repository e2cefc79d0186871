"""Coverage gaps of a household (D2 保障): pure rules over hand-built or loaded facts, no queries.

A household is the customer (a person) and their family members (D1). Each rule below is documented
in docs/wealth.md ("Insurance coverage"); the thresholds are settings (`KEHU_COVERAGE_GAPS`, see
`Thresholds`). Rules, in the order they are reported:

- ``no_critical_illness``: an earning adult has no covering policy with critical illness covered.
- ``life_cover_low``: an earning adult with a recorded annual income has less life cover (sum insured
  of covering life policies, converted into the income's currency) than `life_multiple` × income.
- ``dependant_uncovered``: a dependant (a child under `adult_age`, or of any age still at school; a
  parent aged `aged_parent_age` or more) has no covering personal policy (any type but property).
- ``premium_unpaid``: a policy's premium is unpaid (status "premium unpaid").
- ``policy_lapsed``: a policy has lapsed while its term had not ended (the cover is gone).
- ``term_ending``: a covering policy's term ends within `ending_days` days (from today, inclusive).

Earning adult: someone of working age (`adult_age` ≤ age < `retirement_age`) who works. The customer
works when the card names an occupation or an employer, or an annual income above 0 is recorded; an
unknown birthday counts as working age. A family member works when an annual income above 0 is
recorded, or when "school or work" is filled in and does not name a school (`SCHOOL_WORDS`); an
unknown age counts as working age for a spouse, sibling or other relation, never for a child or parent
(a child of unknown age is a dependant, a parent of unknown age is neither).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

from wealth.valuation import MissingRate, RateTable

SELF = "self"  # the relation of the customer themself in a household
CENT = Decimal("0.01")

RULES = ("no_critical_illness", "life_cover_low", "dependant_uncovered", "premium_unpaid", "policy_lapsed",
         "term_ending")

# Words in "school or work" that name a school (then the member studies, they do not earn).
SCHOOL_WORDS = ("学校", "小学", "中学", "高中", "初中", "大学", "学院", "幼儿园", "在读", "学生", "school",
                "university", "college", "kindergarten", "student")

# The policy types that cover a person (property insurance covers a thing).
PERSONAL_TYPES = frozenset({"life", "critical_illness", "medical", "accident", "annuity"})
COVERING = frozenset({"in_force", "premium_due"})


@dataclass(frozen=True)
class Thresholds:
    adult_age: int = 18
    retirement_age: int = 60
    aged_parent_age: int = 65
    life_multiple: Decimal = Decimal(5)
    ending_days: int = 60

    @classmethod
    def from_settings(cls) -> Thresholds:
        """The defaults, overridden by the `KEHU_COVERAGE_GAPS` setting (a dict of the same names)."""
        values: dict[str, Any] = dict(getattr(settings, "KEHU_COVERAGE_GAPS", {}) or {})
        if "life_multiple" in values:
            values["life_multiple"] = Decimal(str(values["life_multiple"]))
        return cls(**values)


@dataclass(frozen=True)
class PolicyFact:
    pk: int
    policy_type: str
    insurer: str
    status: str
    sum_insured: Decimal
    currency: str
    critical_illness_covered: bool = False
    ends_on: date | None = None
    insured_member_id: int | None = None  # None: the customer

    @property
    def covers(self) -> bool:
        return self.status in COVERING

    @property
    def covers_critical_illness(self) -> bool:
        return self.covers and (self.critical_illness_covered or self.policy_type == "critical_illness")


@dataclass(frozen=True)
class Person:
    """One person of the household. `member_id` is None for the customer."""

    name: str
    relation: str  # SELF or a customers.FamilyRelation value
    age: int | None = None
    member_id: int | None = None
    works_text: str = ""  # the customer's occupation/employer, a member's "school or work"
    annual_income: Decimal | None = None
    income_currency: str = "CNY"

    @property
    def relation_label(self) -> str:
        from customers.choices import FamilyRelation

        return str(FamilyRelation(self.relation).label) if self.relation in FamilyRelation.values else self.relation


@dataclass(frozen=True)
class Gap:
    rule: str
    person: str  # the person's name
    member_id: int | None = None
    policy_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "person": self.person, "member_id": self.member_id,
                "policy_id": self.policy_id, "params": self.params}


@dataclass
class PersonCoverage:
    """What the household view shows per person: who they are and what covers them."""

    person: Person
    earning_adult: bool
    dependant: bool
    policies: list[PolicyFact]


def names_school(text: str) -> bool:
    low = text.lower()
    return any(word in low for word in SCHOOL_WORDS)


def works(person: Person) -> bool:
    if person.annual_income is not None and person.annual_income > 0:
        return True
    text = person.works_text.strip()
    if not text:
        return False
    return person.relation == SELF or not names_school(text)


def is_earning_adult(person: Person, t: Thresholds) -> bool:
    if person.age is None:
        working_age = person.relation not in ("child", "parent")
    else:
        working_age = t.adult_age <= person.age < t.retirement_age
    return working_age and works(person)


def is_dependant(person: Person, t: Thresholds) -> bool:
    if person.relation == "child":
        if person.age is None or person.age < t.adult_age:
            return True
        return names_school(person.works_text) and not works(person)
    if person.relation == "parent":
        return person.age is not None and person.age >= t.aged_parent_age
    return False


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def household_coverage(people: Iterable[Person], policies: Iterable[PolicyFact],
                       t: Thresholds) -> list[PersonCoverage]:
    """Each person with the policies insuring them (the customer first, then members as given)."""
    by_insured: dict[int | None, list[PolicyFact]] = {}
    for policy in policies:
        by_insured.setdefault(policy.insured_member_id, []).append(policy)
    return [PersonCoverage(person=p, earning_adult=is_earning_adult(p, t), dependant=is_dependant(p, t),
                           policies=by_insured.get(p.member_id, [])) for p in people]


def household_gaps(
    people: Iterable[Person], policies: Iterable[PolicyFact], *, today: date, thresholds: Thresholds,
    rates: RateTable | None = None,
) -> list[Gap]:
    """Every gap of the household, in the order of RULES, then of the people and policies as given."""
    t = thresholds
    policies = list(policies)
    coverage = household_coverage(people, policies, t)
    rates = rates or RateTable({})
    by_rule: dict[str, list[Gap]] = {rule: [] for rule in RULES}
    names = {c.person.member_id: c.person.name for c in coverage}
    for c in coverage:
        p = c.person
        covering = [x for x in c.policies if x.covers]
        if c.earning_adult and not any(x.covers_critical_illness for x in covering):
            by_rule["no_critical_illness"].append(Gap("no_critical_illness", p.name, p.member_id))
        if c.earning_adult and p.annual_income:
            gap = _life_gap(p, [x for x in covering if x.policy_type == "life"], t, rates)
            if gap is not None:
                by_rule["life_cover_low"].append(gap)
        if c.dependant and not any(x.policy_type in PERSONAL_TYPES for x in covering):
            by_rule["dependant_uncovered"].append(Gap("dependant_uncovered", p.name, p.member_id,
                                                      params={"relation": p.relation}))
    horizon = today + timedelta(days=t.ending_days)
    for x in policies:
        person = names.get(x.insured_member_id, "")
        base = {"insurer": x.insurer, "type": x.policy_type}
        if x.status == "premium_due":
            by_rule["premium_unpaid"].append(Gap("premium_unpaid", person, x.insured_member_id, x.pk, base))
        elif x.status == "lapsed" and (x.ends_on is None or x.ends_on > today):
            by_rule["policy_lapsed"].append(Gap("policy_lapsed", person, x.insured_member_id, x.pk, base))
        if x.covers and x.ends_on is not None and today <= x.ends_on <= horizon:
            by_rule["term_ending"].append(Gap("term_ending", person, x.insured_member_id, x.pk,
                                              {**base, "ends_on": x.ends_on.isoformat(),
                                               "days": (x.ends_on - today).days}))
    return [gap for rule in RULES for gap in by_rule[rule]]


def _life_gap(p: Person, life: list[PolicyFact], t: Thresholds, rates: RateTable) -> Gap | None:
    assert p.annual_income is not None
    cover = Decimal(0)
    for x in life:
        try:
            cover += x.sum_insured * rates.rate(x.currency, p.income_currency)
        except MissingRate:
            # Without a rate the cover cannot be weighed: no gap is claimed (docs/wealth.md).
            return None
    needed = p.annual_income * t.life_multiple
    if cover >= needed:
        return None
    return Gap("life_cover_low", p.name, p.member_id, params={
        "cover": _money(cover), "needed": _money(needed), "multiple": str(t.life_multiple.normalize()),
        "currency": p.income_currency,
    })


def gap_text(gap: dict[str, Any], *, amounts_masked: bool = False) -> str:
    """A stored gap (Gap.as_json) as one line in the current language; the amounts it names grouped
    (1,500,000.00), or masked for a role that sees assets masked."""
    from django.utils.translation import gettext as _

    from wealth.models.coverage import PolicyType

    p = {"person": gap.get("person") or "", **(gap.get("params") or {})}
    if "type" in p:
        p["type"] = str(PolicyType(p["type"]).label) if p["type"] in PolicyType.values else p["type"]
    for name in ("cover", "needed"):
        if name in p:
            p[name] = "******" if amounts_masked else f"{Decimal(p[name]):,.2f}"
    rule = gap.get("rule")
    if rule == "no_critical_illness":
        return _("%(person)s earns but has no critical-illness cover") % p
    if rule == "life_cover_low":
        return _("%(person)s: life cover %(cover)s %(currency)s, below %(multiple)s× income "
                 "(%(needed)s %(currency)s)") % p
    if rule == "dependant_uncovered":
        return _("%(person)s is a dependant without any cover") % p
    if rule == "premium_unpaid":
        return _("%(person)s: premium unpaid on the %(type)s policy of %(insurer)s") % p
    if rule == "policy_lapsed":
        return _("%(person)s: the %(type)s policy of %(insurer)s has lapsed") % p
    if rule == "term_ending":
        return _("%(person)s: the %(type)s policy of %(insurer)s ends on %(ends_on)s") % p
    return str(rule)
