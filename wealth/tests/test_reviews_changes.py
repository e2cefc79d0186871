"""The change computation between two reviews and the review rules (pure, exact)."""

from datetime import date
from decimal import Decimal as D

import pytest

from wealth.review_changes import Effect, Line, Movement, line_changes, totals_change
from wealth.review_rules import add_months, next_due, risk_fit
from wealth.valuation import MissingRate, RateTable

RATES = RateTable({("USD", "CNY"): D("7.2"), ("EUR", "CNY"): D("8")})


def line(hid: int, cls: str, amount: str, currency: str = "CNY", converted: str | None = None) -> Line:
    return Line(hid, cls, D(amount), currency, D(converted if converted is not None else amount))


def by_id(changes):
    return {c.holding_id: c for c in changes}


def test_new_closed_up_down_unchanged_matched_by_holding():
    previous = [line(1, "fund", "1000"), line(2, "deposit", "500"), line(3, "stock", "200"), line(4, "bond", "300")]
    current = [line(1, "fund", "1250"), line(2, "deposit", "400"), line(3, "stock", "200"), line(5, "fund", "90")]
    out = by_id(line_changes(current, previous, currency="CNY", previous_currency="CNY", rates=RateTable({})))
    assert [(h, c.movement, c.change, c.share, c.effect) for h, c in sorted(out.items())] == [
        (1, Movement.UP, D("250.00"), D("0.2500"), Effect.BETTER),
        (2, Movement.DOWN, D("-100.00"), D("-0.2000"), Effect.WORSE),
        (3, Movement.UNCHANGED, D("0.00"), D("0.0000"), Effect.SAME),
        (4, Movement.CLOSED, D("-300.00"), D("-1.0000"), Effect.WORSE),
        (5, Movement.NEW, D("90.00"), None, Effect.BETTER),
    ]
    assert out[1].native_change == D("250.00")
    assert out[4].current is None and out[5].previous is None


def test_a_liability_going_down_or_closed_is_an_improvement():
    previous = [line(1, "loan", "100000"), line(2, "loan", "5000"), line(3, "loan", "7000")]
    current = [line(1, "loan", "95000"), line(3, "loan", "7500"), line(4, "loan", "2000")]
    out = by_id(line_changes(current, previous, currency="CNY", previous_currency="CNY", rates=RateTable({})))
    assert (out[1].movement, out[1].change, out[1].share, out[1].effect) == (
        Movement.DOWN, D("-5000.00"), D("-0.0500"), Effect.BETTER)
    assert (out[2].movement, out[2].effect) == (Movement.CLOSED, Effect.BETTER)
    assert (out[3].movement, out[3].effect) == (Movement.UP, Effect.WORSE)
    assert (out[4].movement, out[4].effect) == (Movement.NEW, Effect.WORSE)
    assert out[1].is_liability


def test_currency_lines_compare_their_converted_values_and_give_the_native_change():
    # 1000 USD at 7.0 then 1000 USD at 7.2: up in the reporting currency, unchanged in dollars.
    previous = [line(1, "deposit", "1000", "USD", "7000")]
    current = [line(1, "deposit", "1000", "USD", "7200")]
    [change] = line_changes(current, previous, currency="CNY", previous_currency="CNY", rates=RATES)
    assert (change.movement, change.change, change.share, change.native_change) == (
        Movement.UP, D("200.00"), D("0.0286"), D("0.00"))


def test_previous_review_in_another_reporting_currency_is_converted():
    # The customer's reporting currency moved from USD to CNY between the reviews.
    previous = [line(1, "fund", "100", "USD", "100")]
    current = [line(1, "fund", "100", "USD", "720")]
    [change] = line_changes(current, previous, currency="CNY", previous_currency="USD", rates=RATES)
    assert (change.movement, change.change) == (Movement.UNCHANGED, D("0.00"))
    eur = [line(1, "fund", "100", "EUR", "800")]
    [change] = line_changes(eur, [line(1, "fund", "100", "EUR", "100")], currency="CNY",
                            previous_currency="EUR", rates=RATES)
    assert change.native_change == D("0.00") and change.change == D("0.00")
    with pytest.raises(MissingRate):
        line_changes(current, previous, currency="CNY", previous_currency="GBP", rates=RATES)


def test_no_previous_review_makes_every_line_new():
    out = line_changes([line(1, "fund", "10")], [], currency="CNY", previous_currency="GBP", rates=RateTable({}))
    assert [(c.movement, c.change, c.share) for c in out] == [(Movement.NEW, D("10.00"), None)]


def test_totals_change():
    change = totals_change((D("1200"), D("300")), (D("1000"), D("400")), currency="CNY", previous_currency="CNY",
                           rates=RateTable({}))
    assert (change.assets, change.liabilities, change.net_worth, change.assets_share) == (
        D("200.00"), D("-100.00"), D("300.00"), D("0.2000"))


@pytest.mark.parametrize(("preference", "mix", "mismatch", "share"), [
    ("conservative", {"R1": D("0.6"), "R4": D("0.3"), "R5": D("0.1")}, True, D("0.4")),
    ("conservative", {"R1": D("0.9"), "R2": D("0.1")}, False, D("0.1")),
    ("conservative", {"R1": D("0.8"), "R3": D("0.2")}, True, D("0.2")),
    ("balanced", {"R3": D("0.7"), "R4": D("0.19"), "": D("0.11")}, False, D("0.19")),
    ("growth", {"R5": D("0.25"), "R2": D("0.75")}, True, D("0.25")),
    ("aggressive", {"R5": D("1")}, False, D("0")),
    ("", {"R5": D("1")}, False, D("0")),
])
def test_risk_mismatch_rule(preference, mix, mismatch, share):
    fit = risk_fit(preference, mix)
    assert (fit.mismatch, fit.above_share) == (mismatch, share)


def test_cadence_dates():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert next_due(date(2026, 3, 31), 3, scheduled_on=date(2026, 1, 1)) == date(2026, 6, 30)
    assert next_due(None, 1, scheduled_on=date(2026, 5, 4)) == date(2026, 5, 4)
