"""The gap rules on hand-built households (wealth.coverage_gaps): each rule, its thresholds, edge ages."""

from datetime import date
from decimal import Decimal

from django.test import override_settings

from wealth.coverage_gaps import SELF, Person, PolicyFact, Thresholds, household_gaps, is_dependant, is_earning_adult
from wealth.valuation import RateTable

TODAY = date(2026, 6, 1)
T = Thresholds()


def me(**kw):
    return Person(**{"name": "张伟", "relation": SELF, "age": 40, "works_text": "工程师", **kw})


def member(mid, name, relation, age, work="", **kw):
    return Person(name=name, relation=relation, age=age, member_id=mid, works_text=work, **kw)


def policy(pk, kind, member_id=None, **kw):
    return PolicyFact(**{"pk": pk, "policy_type": kind, "insurer": "平安", "status": "in_force",
                         "sum_insured": Decimal("100000"), "currency": "CNY", "insured_member_id": member_id, **kw})


def rules(people, policies, thresholds=T, rates=None):
    return [(g.rule, g.person) for g in household_gaps(people, policies, today=TODAY, thresholds=thresholds,
                                                        rates=rates)]


def test_a_covered_household_has_no_gaps():
    people = [me(annual_income=Decimal("200000")), member(1, "李娜", "spouse", 38, "医院护士"),
              member(2, "小明", "child", 8, "实验小学")]
    policies = [policy(1, "critical_illness"), policy(2, "life", sum_insured=Decimal("1000000")),
                policy(3, "medical", 1, critical_illness_covered=True), policy(4, "accident", 2)]
    assert rules(people, policies) == []


def test_no_critical_illness_for_each_earning_adult():
    people = [me(), member(1, "李娜", "spouse", 38, "银行柜员"), member(2, "张老", "parent", 70, "退休")]
    assert rules(people, [policy(1, "life"), policy(2, "medical", 2)]) == [
        ("no_critical_illness", "张伟"), ("no_critical_illness", "李娜")]  # the parent is no earner, and covered


def test_critical_illness_rider_on_another_policy_counts_but_not_when_lapsed():
    assert rules([me()], [policy(1, "life", critical_illness_covered=True)]) == []
    assert ("no_critical_illness", "张伟") in rules([me()], [policy(1, "life", critical_illness_covered=True,
                                                                    status="lapsed")])


def test_earning_adult_edge_ages_and_work():
    assert not is_earning_adult(me(age=17), T)
    assert is_earning_adult(me(age=18), T)
    assert is_earning_adult(me(age=59), T)
    assert not is_earning_adult(me(age=60), T)
    assert is_earning_adult(me(age=None), T)  # an unknown birthday counts as working age
    assert not is_earning_adult(me(works_text=""), T)  # no occupation, no employer, no income
    assert is_earning_adult(me(works_text="", annual_income=Decimal("1")), T)
    assert not is_earning_adult(member(1, "李娜", "spouse", 30, "北京大学在读"), T)  # studies
    assert is_earning_adult(member(1, "李娜", "spouse", None, "律所"), T)
    assert not is_earning_adult(member(2, "小明", "child", None, "公司"), T)  # a child of unknown age
    assert not is_earning_adult(member(1, "李娜", "spouse", 30, ""), T)  # a spouse at home


def test_dependants_edge_ages():
    assert is_dependant(member(2, "小明", "child", 17), T)
    assert not is_dependant(member(2, "小明", "child", 18, "科技公司"), T)
    assert is_dependant(member(2, "小明", "child", 20, "复旦大学"), T)  # an adult still at school
    assert is_dependant(member(2, "小明", "child", None), T)
    assert not is_dependant(member(3, "张老", "parent", 64), T)
    assert is_dependant(member(3, "张老", "parent", 65), T)
    assert not is_dependant(member(3, "张老", "parent", None), T)
    assert not is_dependant(member(1, "李娜", "spouse", 80), T)


def test_dependant_without_cover_and_property_cover_is_no_cover():
    people = [me(), member(2, "小明", "child", 5), member(3, "张老", "parent", 72)]
    base = [policy(1, "critical_illness")]
    assert rules(people, base) == [("dependant_uncovered", "小明"), ("dependant_uncovered", "张老")]
    assert rules(people, [*base, policy(2, "property", 2), policy(3, "medical", 3)]) == [
        ("dependant_uncovered", "小明")]


def test_life_cover_below_the_multiple_of_income():
    people = [me(annual_income=Decimal("200000"))]
    ci = policy(9, "critical_illness")
    [gap] = household_gaps(people, [ci, policy(1, "life", sum_insured=Decimal("999999.99"))], today=TODAY,
                           thresholds=T)
    assert gap.rule == "life_cover_low"
    assert gap.params == {"cover": "999999.99", "needed": "1000000.00", "multiple": "5", "currency": "CNY"}
    assert rules(people, [ci, policy(1, "life", sum_insured=Decimal("1000000"))]) == []
    # Two life policies add up; a lapsed one does not count.
    assert rules(people, [ci, policy(1, "life", sum_insured=Decimal("600000")),
                          policy(2, "life", sum_insured=Decimal("400000"))]) == []
    assert rules(people, [ci, policy(1, "life", sum_insured=Decimal("600000")),
                          policy(2, "life", sum_insured=Decimal("400000"), status="lapsed")])[0] == (
        "life_cover_low", "张伟")
    # Without a recorded income the rule cannot weigh anything: no gap.
    assert rules([me()], [ci]) == []


def test_life_cover_converts_currencies_and_claims_nothing_without_a_rate():
    people = [me(annual_income=Decimal("700000"), income_currency="CNY")]
    usd = [policy(9, "critical_illness"), policy(1, "life", sum_insured=Decimal("500000"), currency="USD")]
    assert rules(people, usd, rates=RateTable({("USD", "CNY"): Decimal("7.1")})) == []
    assert rules(people, usd, rates=RateTable({("USD", "CNY"): Decimal("6.9")})) == [("life_cover_low", "张伟")]
    assert rules(people, usd, rates=RateTable({})) == []


def test_the_multiple_is_a_setting():
    people = [me(annual_income=Decimal("100000"))]
    policies = [policy(9, "critical_illness"), policy(1, "life", sum_insured=Decimal("500000"))]
    assert rules(people, policies) == []
    with override_settings(KEHU_COVERAGE_GAPS={"life_multiple": "10", "ending_days": 30}):
        t = Thresholds.from_settings()
    assert t.life_multiple == Decimal(10) and t.ending_days == 30
    assert rules(people, policies, thresholds=t) == [("life_cover_low", "张伟")]


def test_policies_lapsing_unpaid_and_ending():
    covered = policy(9, "critical_illness")
    assert rules([me()], [covered, policy(1, "medical", status="premium_due")]) == [("premium_unpaid", "张伟")]
    assert rules([me()], [covered, policy(1, "medical", status="lapsed")]) == [("policy_lapsed", "张伟")]
    # A lapsed policy whose term has ended anyway is history, as is an ended one.
    assert rules([me()], [covered, policy(1, "medical", status="lapsed", ends_on=date(2026, 5, 31))]) == []
    assert rules([me()], [covered, policy(1, "medical", status="ended")]) == []
    # Ending within 60 days (inclusive), not on day 61; an ending already past is not "ending".
    assert rules([me()], [covered, policy(1, "medical", ends_on=date(2026, 7, 31))]) == [("term_ending", "张伟")]
    assert rules([me()], [covered, policy(1, "medical", ends_on=date(2026, 8, 1))]) == []
    assert rules([me()], [covered, policy(1, "medical", ends_on=TODAY)]) == [("term_ending", "张伟")]
    assert rules([me()], [covered, policy(1, "medical", ends_on=date(2026, 5, 31))]) == []
    [gap] = household_gaps([me()], [covered, policy(1, "medical", ends_on=date(2026, 6, 11))], today=TODAY,
                           thresholds=Thresholds(ending_days=10))
    assert gap.params["days"] == 10 and gap.policy_id == 1


def test_rule_order_is_fixed():
    people = [me(annual_income=Decimal("100000")), member(2, "小明", "child", 3)]
    got = rules(people, [policy(1, "medical", status="premium_due", ends_on=date(2026, 6, 2))])
    assert [r for r, _p in got] == ["no_critical_illness", "life_cover_low", "dependant_uncovered", "premium_unpaid",
                                    "term_ending"]
