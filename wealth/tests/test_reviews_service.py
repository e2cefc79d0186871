"""Asset reviews through the services and the pages: the snapshot, the changes, the cadence, the
reminders, the sheet, the access log and masking through every door."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AccessLog, ObjectChange
from core import registry
from core.concurrency import StaleWrite
from core.testing import assert_query_baseline, logged_in
from customers.models import Tag
from wealth import services_reviews as services
from wealth.models import AssetReview, FxRate, Holding, ReviewSchedule
from wealth.selectors_reviews import review_page, reviews_due
from work.models import Appointment, Notification

pytestmark = pytest.mark.django_db


def holding(customer, cls, amount, currency="CNY", risk="R2", **extra) -> Holding:
    """Holdings are the holdings part's records: the tests make them directly (fixtures only)."""
    return Holding.objects.create(customer=customer, asset_class=cls, product_name=extra.pop("name", f"{cls} {amount}"),
                                  amount=D(amount), currency=currency, risk_level=risk, **extra)


@pytest.fixture
def usd_rate(db):
    return FxRate.objects.create(base="USD", quote="CNY", rate=D("7"), valid_from=date(2020, 1, 1))


@pytest.fixture
def wealthy(customer_a, usd_rate):
    customer_a.risk_preference = "conservative"
    customer_a.save(update_fields=["risk_preference"])
    return customer_a, [holding(customer_a, "deposit", "100000", risk="R1"),
                        holding(customer_a, "fund", "1000", "USD", risk="R4"),
                        holding(customer_a, "loan", "50000", risk="")]


def test_start_snapshots_every_holding_converted_with_totals_and_audit(sales_a, wealthy):
    customer, holdings = wealthy
    review = services.review_start(actor=sales_a, customer_id=customer.pk)
    lines = {line.holding_id: line for line in review.lines.all()}
    assert set(lines) == {h.pk for h in holdings}
    assert lines[holdings[1].pk].converted_amount == D("7000.00") and lines[holdings[1].pk].currency == "USD"
    assert (review.assets, review.liabilities, review.net_worth) == (D("107000.00"), D("50000.00"), D("57000.00"))
    assert review.by_class == {"deposit": "100000.00", "fund": "7000.00", "loan": "50000.00"}
    assert ObjectChange.objects.filter(object_type="wealth.assetreview", object_id=review.pk, action="create").exists()
    # A later rate or holding change does not change the review.
    FxRate.objects.create(base="USD", quote="CNY", rate=D("8"), valid_from=timezone.localdate())
    Holding.objects.filter(pk=holdings[0].pk).update(amount=D("1"))
    review.refresh_from_db()
    assert review.assets == D("107000.00") and review.lines.get(holding_id=holdings[0].pk).amount == D("100000.00")


def test_start_without_a_rate_saves_nothing(sales_a, customer_a):
    holding(customer_a, "fund", "10", "GBP")
    with pytest.raises(ValidationError) as exc:
        services.review_start(actor=sales_a, customer_id=customer_a.pk)
    assert "GBP" in str(exc.value) and not AssetReview.objects.exists()


def test_start_out_of_scope_or_without_change_right(sales_b, analyst, wealthy):
    customer, _holdings = wealthy
    for user in (sales_b, analyst):
        with pytest.raises(PermissionDenied):
            services.review_start(actor=user, customer_id=customer.pk)


def test_second_review_shows_changes_and_the_risk_mismatch(sales_a, wealthy):
    customer, (deposit, fund, loan) = wealthy
    first = services.review_start(actor=sales_a, customer_id=customer.pk,
                                  reviewed_on=timezone.localdate() - timedelta(days=90))
    Holding.objects.filter(pk=loan.pk).update(amount=D("45000"))
    Holding.objects.filter(pk=fund.pk).update(amount=D("20000"))
    deposit.deleted_at = timezone.now()
    deposit.save(update_fields=["deleted_at"])
    new = holding(customer, "stock", "3000", risk="R5")
    second = services.review_start(actor=sales_a, customer_id=customer.pk)
    page = review_page(user=sales_a, review=second)
    assert page.previous == first
    changes = {c.holding_id: (str(c.movement), c.change, str(c.effect)) for _line, c in page.rows}
    assert changes == {
        fund.pk: ("up", D("133000.00"), "better"), loan.pk: ("down", D("-5000.00"), "better"),
        new.pk: ("new", D("3000.00"), "better"), deposit.pk: ("closed", D("-100000.00"), "worse"),
    }
    # 143,000 of 143,000 assets are in R4–R5 for a conservative customer: flagged.
    assert page.risk.mismatch and page.risk.above_share == D("1")
    assert [h["assets"] for h in page.history] == [D("107000.00"), D("143000.00")]
    assert page.totals.net_worth == D("41000.00")


def test_review_page_sheet_and_xlsx_are_logged_and_in_the_customers_language(sales_a, wealthy):
    customer, _holdings = wealthy
    review = services.review_start(actor=sales_a, customer_id=customer.pk)
    services.schedule_update(actor=sales_a, customer_id=customer.pk, language="en")
    client = logged_in(sales_a, "zh-hans")
    page = client.get(reverse("wealth:review_detail", args=[review.pk]))
    assert page.status_code == 200 and "review-chart-data" in page.content.decode()
    assert "资产回顾" in page.content.decode()  # the page in the user's language
    sheet = client.get(reverse("wealth:review_sheet", args=[review.pk])).content.decode()
    assert 'lang="en"' in sheet and "Asset review of" in sheet and "review-print.css" in sheet
    xlsx = client.get(reverse("wealth:review_xlsx", args=[review.pk]))
    book = load_workbook(BytesIO(xlsx.content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == f"Asset review of {customer.name}" and ("Total assets", 107000) in [r[:2] for r in rows]
    logged = list(AccessLog.objects.filter(customer_id=customer.pk).values_list("action", "detail__what"))
    assert sorted(logged) == [("export", "print"), ("export", "xlsx"), ("view", "page")]


def test_masked_roles_see_no_amounts_on_page_xlsx_api_timeline(sales_a, service_a, wealthy):
    customer, _holdings = wealthy
    review = services.review_start(actor=sales_a, customer_id=customer.pk)
    client = logged_in(service_a)
    page = client.get(reverse("wealth:review_detail", args=[review.pk])).content.decode()
    assert "107,000" not in page and "107000" not in page and "******" in page
    rows = list(load_workbook(BytesIO(client.get(reverse("wealth:review_xlsx", args=[review.pk])).content))
                .active.iter_rows(values_only=True))
    # The sheet is in the customer's language: the default, Chinese, here.
    assert ("总资产", "******") in [r[:2] for r in rows] and not any(7000 in r for r in rows)
    api = client.get(f"/api/v1/reviews/{review.pk}").json()
    assert api["assets"] == "******" and {line["amount"] for line in api["lines"]} == {"******"}
    assert api["allocation"] == {}
    timeline = client.get(reverse("customers:customer_detail", args=[customer.pk]) + "?tab=timeline").content.decode()
    assert "107,000" not in timeline and "107000" not in timeline
    # The owner sees them.
    assert logged_in(sales_a).get(f"/api/v1/reviews/{review.pk}").json()["assets"] == "107000.00"


def test_other_team_gets_404(sales_a, sales_b, wealthy):
    customer, _holdings = wealthy
    review = services.review_start(actor=sales_a, customer_id=customer.pk)
    client = logged_in(sales_b)
    for name in ("review_detail", "review_sheet", "review_xlsx"):
        assert client.get(reverse(f"wealth:{name}", args=[review.pk])).status_code == 404
    assert client.get(f"/api/v1/reviews/{review.pk}").status_code == 404
    assert client.get(f"/api/v1/customers/{customer.pk}/reviews").status_code == 404


def test_notes_update_and_stale_edit(sales_a, manager_a, wealthy):
    customer, _holdings = wealthy
    review = services.review_start(actor=sales_a, customer_id=customer.pk)
    from core.concurrency import version_of

    seen = version_of(review)
    day = timezone.localdate() + timedelta(days=20)
    services.review_update(actor=manager_a, review_id=review.pk, expected_version=seen,
                           data={"notes": "讨论了养老规划", "next_review_on": day})
    with pytest.raises(StaleWrite):
        services.review_update(actor=sales_a, review_id=review.pk, data={"notes": "x"}, expected_version=seen)
    assert ReviewSchedule.objects.get(pk=customer.pk).next_review_due == day
    with pytest.raises(ValidationError):
        services.review_update(actor=sales_a, review_id=review.pk,
                               data={"next_review_on": review.reviewed_on - timedelta(days=1)})


def test_cadence_by_manual_flag_tag_and_tier(sales_a, admin_user, make_customer, usd_rate):
    today = timezone.localdate()
    customers = [make_customer(sales_a) for _ in range(4)]
    for c in customers:
        holding(c, "deposit", "10")
    last = today - timedelta(days=10)
    for c in customers:
        services.review_start(actor=sales_a, customer_id=c.pk, reviewed_on=last)
    vip = Tag.objects.create(name="VIP")
    customers[1].tags.add(vip)
    services.cadence_update(actor=admin_user, data={"important_months": 1, "other_months": 3, "important_tiers": "a"},
                            tag_ids=[vip.pk])
    services.schedule_update(actor=sales_a, customer_id=customers[0].pk, important_flag=True)
    registry.register("abc_tiers", lambda ids: {customers[2].pk: "A", customers[3].pk: "C"})
    services.schedule_refresh(customer_ids=None)
    from wealth.review_rules import add_months

    due = {s.pk: (s.important, s.next_review_due) for s in ReviewSchedule.objects.all()}
    assert due == {customers[0].pk: (True, add_months(last, 1)), customers[1].pk: (True, add_months(last, 1)),
                   customers[2].pk: (True, add_months(last, 1)), customers[3].pk: (False, add_months(last, 3))}
    with pytest.raises(PermissionDenied):
        services.cadence_update(actor=sales_a, data={"other_months": 2})
    with pytest.raises(ValidationError):
        services.cadence_update(actor=admin_user, data={"important_tiers": "AZ"})


def test_reviews_due_on_home_reminders_and_appointments_idempotent(sales_a, sales_b, make_customer, usd_rate):
    today = timezone.localdate()
    late, soon, later = (make_customer(sales_a, name=n) for n in ("王芳", "赵磊", "孙丽"))
    for c in (late, soon, later):
        holding(c, "fund", "10")
    services.review_start(actor=sales_a, customer_id=late.pk, reviewed_on=today - timedelta(days=200))
    services.review_start(actor=sales_a, customer_id=soon.pk, reviewed_on=today - timedelta(days=88))
    services.review_start(actor=sales_a, customer_id=later.pk, reviewed_on=today - timedelta(days=5))
    rows, due, overdue = reviews_due(owner=sales_a)
    assert [r.customer_name for r in rows] == ["王芳", "赵磊"] and (due, overdue) == (2, 1)
    assert reviews_due(owner=sales_b)[1] == 0
    home = logged_in(sales_a).get("/").content.decode()
    panel = home[home.index('panel-reviews-due'):].split("</section>")[0]
    assert "王芳" in panel and "赵磊" in panel and "孙丽" not in panel
    assert services.reviews_remind() == 2
    assert services.reviews_remind() == 0
    assert Appointment.objects.filter(kind="asset_review", organiser=sales_a).count() == 2
    assert Notification.objects.filter(recipient=sales_a, event="wealth.review_due").count() == 2


def test_review_page_query_count(sales_a, wealthy):
    customer, _holdings = wealthy
    services.review_start(actor=sales_a, customer_id=customer.pk, reviewed_on=timezone.localdate() - timedelta(days=30))
    review = services.review_start(actor=sales_a, customer_id=customer.pk)
    client = logged_in(sales_a)
    url = reverse("wealth:review_detail", args=[review.pk])
    assert assert_query_baseline("wealth review page", lambda: client.get(url)).status_code == 200
    assert assert_query_baseline("wealth reviews api detail",
                                 lambda: client.get(f"/api/v1/reviews/{review.pk}")).status_code == 200


def test_demo_generator_writes_a_history_and_schedules(sales_a, make_customer, usd_rate):
    from wealth.demo_reviews import generate

    customers = [make_customer(sales_a) for _ in range(6)]
    for c in customers[:4]:
        holding(c, "deposit", "50000")
        holding(c, "fund", "2000", "USD", risk="R4", started_on=timezone.localdate() - timedelta(days=60))
    phases = generate(first_customer_id=customers[0].pk, last_customer_id=customers[-1].pk, seed=3,
                      progress=lambda *args: None)
    assert "asset reviews" in phases
    per_customer = {c.pk: AssetReview.objects.filter(customer=c).count() for c in customers}
    assert all(2 <= per_customer[c.pk] <= 8 for c in customers[:4]) and per_customer[customers[5].pk] == 0
    oldest = AssetReview.objects.filter(customer=customers[0]).order_by("reviewed_on").first()
    # The fund started two months ago: the oldest review (two months or more back) may not hold it.
    assert oldest.reviewed_on < timezone.localdate()
    assert all(line.holding_id for line in oldest.lines.all())
    assert ReviewSchedule.objects.filter(customer_id__in=[c.pk for c in customers[:4]]).count() == 4


def test_plan_suggestions_and_timeline(sales_a, sales_b, wealthy):
    from wealth.selectors_reviews import due_review_suggestions
    from wealth.timeline_reviews import review_timeline

    customer, _holdings = wealthy
    review = services.review_start(actor=sales_a, customer_id=customer.pk,
                                   reviewed_on=timezone.localdate() - timedelta(days=120))
    [suggestion] = due_review_suggestions(user=sales_a, owner_id=sales_a.pk, limit=10)
    assert suggestion.customer_id == customer.pk and "overdue" in suggestion.reason
    assert due_review_suggestions(user=sales_b, owner_id=sales_a.pk, limit=10) == []
    [entry] = review_timeline(sales_a, customer.pk, None, None, 10)
    assert (entry.pk, entry.amount, entry.kind) == (review.pk, D("107000.00"), "asset_review")
    assert review_timeline(sales_b, customer.pk, None, None, 10) == []


def test_pages_start_settings_notes_and_cadence(sales_a, admin_user, analyst, customer_a):
    client = logged_in(sales_a)
    holding(customer_a, "fund", "10", "GBP")
    start = reverse("wealth:review_start", args=[customer_a.pk])
    # No GBP rate: refused with the reason, nothing saved.
    page = client.post(start, follow=True).content.decode()
    assert "No FX rate from GBP to CNY" in page and not AssetReview.objects.exists()
    FxRate.objects.create(base="GBP", quote="CNY", rate=D("9"), valid_from=date(2020, 1, 1))
    response = client.post(start)
    review = AssetReview.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("wealth:review_detail", args=[review.pk])
    client.post(reverse("wealth:review_schedule", args=[customer_a.pk]), {"important_flag": "on", "language": "en"})
    schedule = ReviewSchedule.objects.get(pk=customer_a.pk)
    assert schedule.important_flag and schedule.language == "en" and schedule.interval_months == 1
    detail = reverse("wealth:review_detail", args=[review.pk])
    bad = client.post(detail, {"notes": "x", "next_review_on": "2000-01-01"})
    assert bad.status_code == 422 and "cannot be before this one" in bad.content.decode()
    assert logged_in(analyst).post(detail, {"notes": "x"}).status_code == 403
    client.post(detail, {"notes": "讨论了教育金", "next_steps": "下周发方案", "next_review_on": ""})
    review.refresh_from_db()
    assert (review.notes, review.next_steps) == ("讨论了教育金", "下周发方案")
    cadence = reverse("wealth:review_cadence")
    assert client.get(cadence).status_code == 403
    admin = logged_in(admin_user)
    bad_rule = {"important_months": "0", "other_months": "3", "important_tiers": "A"}
    assert admin.post(cadence, bad_rule).status_code == 422
    admin.post(cadence, {"important_months": "2", "other_months": "6", "important_tiers": "AB"})
    rule = services.cadence()
    assert (rule.important_months, rule.other_months, rule.important_tiers) == (2, 6, "AB")
