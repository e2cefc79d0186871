"""The plan's daily log (locking, assembly, masking), weekly plan (contacted flags, state changes) and
who may see and set what, through the services, the pages and the API."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import override
from openpyxl import load_workbook

from commerce.models import Order
from core.testing import assert_query_baseline, logged_in
from customers.tests.test_api import ApiClient
from interactions.models import Interaction
from segmentation.models import LifecycleTransition
from work import plan_registry as reg
from work import selectors_plans as sel
from work import services_plans as services
from work.models import DailyLog, PlanEntry, Target

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with override("en"):
        yield


def today():
    return sel.business_today()


def at(day, hour):
    return datetime.combine(day, time(hour), tzinfo=reg.business_zone())


# --- Daily log -------------------------------------------------------------------------------------

def test_today_and_yesterday_can_be_written_older_logs_are_locked(sales_a):
    log = services.daily_log_save(actor=sales_a, day=today(), notes="  拜访了三家客户 \r\n")
    assert (log.notes, log.corrected_at) == ("拜访了三家客户", None)
    log = services.daily_log_save(actor=sales_a, day=today() - timedelta(days=1), notes="补记：电话回访")
    assert log.corrected_at is not None  # yesterday's is a correction
    with pytest.raises(ValidationError, match="locked"):
        services.daily_log_save(actor=sales_a, day=today() - timedelta(days=2), notes="改写历史")
    with pytest.raises(ValidationError, match="future"):
        services.daily_log_save(actor=sales_a, day=today() + timedelta(days=1), notes="明天")
    assert DailyLog.objects.count() == 2


def test_locked_log_through_the_api_and_the_page(sales_a, client):
    api = ApiClient(sales_a)
    old = (today() - timedelta(days=2)).isoformat()
    response = api.put("/daily-log", {"day": old, "notes": "x"})
    assert response.status_code == 400
    assert "locked" in response.content.decode()
    assert api.put("/daily-log", {"day": today().isoformat(), "notes": "今天"}).json()["notes"] == "今天"
    browser = logged_in(sales_a)
    response = browser.post(reverse("work:plan_day"), {"day": old, "notes": "x"}, follow=True)
    assert "locked" in response.content.decode()
    assert not DailyLog.objects.filter(day=old).exists()


def test_log_assembles_the_day_and_masks_customers_the_viewer_may_not_see(
        sales_a, manager_a, customer_a, customer_b, sales_b):
    day = today()
    Order.objects.create(customer=customer_a, salesperson=sales_a, ordered_at=at(day, 10), status="paid",
                         revenue=Decimal("880.00"), margin=Decimal("80.00"))
    Interaction.objects.create(customer=customer_a, staff=sales_a, occurred_at=at(day, 9), channel="visit",
                               subject="面谈")
    # The customer was handed to team B after the contact: sales_a's day still shows that it happened.
    Interaction.objects.create(customer=customer_b, staff=sales_a, occurred_at=at(day, 11), channel="phone",
                               subject="机密报价")
    Interaction.objects.create(customer=customer_a, staff=sales_a, occurred_at=at(day - timedelta(days=1), 9),
                               channel="phone", subject="昨天")
    services.daily_log_save(actor=sales_a, day=day, notes="备注")

    (log,) = sel.daily_logs(viewer=manager_a, users=[sales_a], day=day)
    assert [e.kind for e in log.entries] == ["interaction", "order", "interaction"]
    assert customer_a.name in log.entries[0].label and customer_a.name in log.entries[1].label
    hidden = log.entries[2]
    assert (hidden.customer_id, hidden.url) == (None, "")
    assert customer_b.name not in hidden.label and "机密报价" not in hidden.label
    assert log.notes == "备注" and not log.editable  # the manager reads, only the owner writes

    response = ApiClient(manager_a).get("/daily-log", user=sales_a.pk, day=day.isoformat())
    assert response.status_code == 200
    labels = " ".join(e["label"] for e in response.json()["entries"])
    assert customer_b.name not in labels and "机密报价" not in labels and customer_a.name in labels
    assert [e["customer"] for e in response.json()["entries"]] == [customer_a.pk, customer_a.pk, None]


# --- Weekly plan -----------------------------------------------------------------------------------

def test_weekly_plan_marks_contacted_customers_and_lists_state_changes(sales_a, make_customer, customer_a):
    week = sel.week_start(today())
    other = make_customer(sales_a, name="未联系客户")
    services.plan_entry_add(actor=sales_a, week=week, customer_id=customer_a.pk)
    services.plan_entry_add(actor=sales_a, week=week, customer_id=other.pk, source="suggested", reason="高概率")
    Interaction.objects.create(customer=customer_a, staff=sales_a, occurred_at=at(week, 10), channel="phone",
                               subject="回访")
    Interaction.objects.create(customer=other, staff=sales_a, occurred_at=at(week - timedelta(days=1), 10),
                               channel="phone", subject="上周")  # the week before: not this week's contact
    LifecycleTransition.objects.create(customer=customer_a, on=week + timedelta(days=1), from_stage="lost",
                                       to_stage="repeat", cause="won_back")
    LifecycleTransition.objects.create(customer=other, on=week - timedelta(days=1), from_stage="",
                                       to_stage="potential", cause="new_customer")

    view = sel.weekly_plan(viewer=sales_a, user=sales_a, week=week)
    assert [(r.name, r.done) for r in view.rows] == [(customer_a.name, True), ("未联系客户", False)]
    assert view.done_count == 1
    assert [(c.customer_id, c.on) for c in view.changes] == [(customer_a.pk, week + timedelta(days=1))]
    assert "Lost" in view.changes[0].what and "Repeat" in view.changes[0].what

    with pytest.raises(ValidationError):
        services.plan_entry_add(actor=sales_a, week=week - timedelta(days=7), customer_id=customer_a.pk)


def test_plan_entries_only_for_customers_one_may_see(sales_a, customer_b):
    with pytest.raises(ObjectDoesNotExist):
        services.plan_entry_add(actor=sales_a, week=today(), customer_id=customer_b.pk)
    assert not PlanEntry.objects.exists()


# --- Who sees and sets what ------------------------------------------------------------------------

def test_who_sees_whose_plan(make_user, team_a, sales_a, manager_a, sales_b, admin_user, make_team):
    colleague = make_user("sales", team_a)
    manager_b = make_user("manager", sales_b.team)
    assert set(sel.plan_users(sales_a)) == {sales_a}
    assert set(sel.plan_users(manager_a)) == {sales_a, manager_a, colleague}
    assert set(sel.plan_users(manager_b)) == {sales_b, manager_b}
    assert {sales_a, sales_b, manager_a, manager_b, colleague} <= set(sel.plan_users(admin_user))
    assert sel.plan_user(sales_a, colleague.pk) is None
    assert sel.plan_user(manager_b, sales_a.pk) is None


def test_a_salesperson_cannot_open_another_s_plan(make_user, team_a, sales_a):
    colleague = make_user("sales", team_a)
    browser = logged_in(sales_a)
    for name in ("work:plan_day", "work:plan_week"):
        assert browser.get(reverse(name), {"user": colleague.pk}).status_code == 404
        assert browser.get(reverse(name), {"user": sales_a.pk}).status_code == 200
    api = ApiClient(sales_a)
    assert api.get("/daily-log", user=colleague.pk).status_code == 404
    response = api.get("/plan-progress")
    assert [r["user"] for r in response.json()["rows"]] == [sales_a.pk]


def test_manager_of_team_b_cannot_see_or_set_team_a(make_user, team_a, sales_a, manager_a, sales_b):
    manager_b = make_user("manager", sales_b.team)
    target = services.target_set(actor=manager_a, month=today(), metric="revenue", value="100", user_id=sales_a.pk)
    with pytest.raises(ObjectDoesNotExist):
        services.target_set(actor=manager_b, month=today(), metric="revenue", value="1", user_id=sales_a.pk)
    with pytest.raises(ObjectDoesNotExist):
        services.target_set(actor=manager_b, month=today(), metric="revenue", value="1", team_id=team_a.pk)
    with pytest.raises(ObjectDoesNotExist):
        services.target_update(actor=manager_b, target_id=target.pk, value="1")
    api = ApiClient(manager_b)
    assert api.get("/plan-progress", team=team_a.pk).status_code == 404
    assert api.get("/daily-log", user=sales_a.pk).status_code == 404
    assert api.get("/targets").json() == []
    assert api.delete(f"/targets/{target.pk}").status_code == 404
    assert logged_in(manager_b).get(reverse("work:plan_month"), {"team": team_a.pk}).status_code == 404
    assert Target.objects.get().value == Decimal("100.00")


def test_only_managers_and_administrators_set_targets(sales_a, manager_a, admin_user, team_a, sales_b):
    with pytest.raises(PermissionDenied):
        services.target_set(actor=sales_a, month=today(), metric="revenue", value="1", user_id=sales_a.pk)
    assert ApiClient(sales_a).post("/targets", {"month": f"{today():%Y-%m}", "user": sales_a.pk,
                                                "metric": "revenue", "value": "1"}).status_code == 403
    with pytest.raises(ValidationError):
        services.target_set(actor=manager_a, month=today(), metric="bogus", value="1", user_id=sales_a.pk)
    with pytest.raises(ValidationError):
        services.target_set(actor=manager_a, month=today(), metric="revenue", value="-1", user_id=sales_a.pk)
    with pytest.raises(ValidationError):
        services.target_set(actor=manager_a, month=today(), metric="revenue", value="1", user_id=sales_a.pk,
                            team_id=team_a.pk)
    # Administrators set anyone's; setting again changes the one target.
    services.target_set(actor=admin_user, month=today(), metric="calls", value="30", user_id=sales_b.pk)
    services.target_set(actor=admin_user, month=today(), metric="calls", value="40", user_id=sales_b.pk)
    assert list(Target.objects.values_list("value", flat=True)) == [Decimal("40.00")]


def test_targets_api_round_trip(manager_a, sales_a, team_a):
    api = ApiClient(manager_a)
    month = f"{today():%Y-%m}"
    created = api.post("/targets", {"month": month, "team": team_a.pk, "metric": "visits", "value": "12"})
    assert created.status_code == 201, created.content
    target_id = created.json()["id"]
    assert api.put(f"/targets/{target_id}", {"value": "15"}).json()["value"] == "15.00"
    assert [t["value"] for t in api.get("/targets", month=month).json()] == ["15.00"]
    progress = api.get("/plan-progress", month=month).json()
    assert progress["rows"][0]["team"] == team_a.pk
    visits = next(c for c in progress["rows"][0]["cells"] if c["metric"] == "visits")
    assert (visits["target"], visits["actual"]) == ("15.00", "0")
    assert api.delete(f"/targets/{target_id}").status_code == 204
    assert not Target.objects.exists()


# --- Pages -----------------------------------------------------------------------------------------

def test_pages_render_for_a_team_in_both_languages(manager_a, sales_a, customer_a):
    services.target_set(actor=manager_a, month=today(), metric="revenue", value="1000", user_id=sales_a.pk)
    Order.objects.create(customer=customer_a, salesperson=sales_a, ordered_at=at(today(), 8), status="paid",
                         revenue=Decimal("250.00"), margin=Decimal("20.00"))
    for language, words in (("en", "Monthly plan"), ("zh-hans", "月计划")):
        browser = logged_in(manager_a, language)
        response = browser.get(reverse("work:plan_month"))
        assert response.status_code == 200
        html = response.content.decode()
        assert words in html and "1,000.00" in html and "25.0 %" in html
        assert browser.get(reverse("work:plan_day")).status_code == 200
        assert browser.get(reverse("work:plan_week")).status_code == 200


def test_monthly_plan_exports_to_xlsx(manager_a, sales_a):
    services.target_set(actor=manager_a, month=today(), metric="revenue", value="1000", user_id=sales_a.pk)
    response = logged_in(manager_a).get(reverse("work:plan_export"))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Month", "Person or team", "Metric")
    mine = [r for r in rows if r[1] == sales_a.username and r[2] == "Revenue"]
    assert mine and mine[0][3] == 1000


def test_bad_month_is_a_clear_error(manager_a):
    response = logged_in(manager_a).get(reverse("work:plan_month"), {"month": "2026-13"}, follow=True)
    assert "not a valid date" in response.content.decode()


def test_monthly_plan_page_query_count(manager_a, sales_a, make_user, team_a):
    for _ in range(3):
        make_user("sales", team_a)
    browser = logged_in(manager_a)
    assert_query_baseline("work.plan_month", lambda: browser.get(reverse("work:plan_month")))
    api = ApiClient(manager_a)
    assert_query_baseline("api.work.plan_progress", lambda: api.get("/plan-progress"))


def test_won_back_date_is_inclusive(sales_a, customer_a):
    first = date(2026, 3, 1)
    LifecycleTransition.objects.create(customer=customer_a, on=date(2026, 3, 31), from_stage="lost",
                                       to_stage="repeat", cause="won_back")
    won_back = reg.metric("won_back")
    assert won_back is not None
    assert won_back.actual([sales_a.pk], first, sel.month_end(first)) == {sales_a.pk: 1}


def test_team_week_side_by_side(make_user, team_a, sales_a, manager_a, customer_a, make_customer):
    colleague = make_user("sales", team_a)
    week = sel.week_start(today())
    theirs = make_customer(colleague, name="同事的客户")
    services.plan_entry_add(actor=sales_a, week=week, customer_id=customer_a.pk)
    services.plan_entry_add(actor=colleague, week=week, customer_id=theirs.pk)
    Interaction.objects.create(customer=theirs, staff=colleague, occurred_at=at(week, 10), channel="visit",
                               subject="拜访")
    LifecycleTransition.objects.create(customer=customer_a, on=week, from_stage="", to_stage="potential",
                                       cause="new_customer")
    rows = {s.user: (s.planned, s.contacted, s.changes)
            for s in sel.weekly_overview(users=list(sel.plan_users(manager_a)), week=week)}
    assert rows == {sales_a: (1, 0, 1), colleague: (1, 1, 0), manager_a: (0, 0, 0)}
    html = logged_in(manager_a).get(reverse("work:plan_week")).content.decode()
    assert "The team this week" in html
    assert "The team this week" not in logged_in(sales_a).get(reverse("work:plan_week")).content.decode()


def test_target_changes_and_log_corrections_are_audited(manager_a, sales_a, admin_user):
    from audit.models import ObjectChange

    target = services.target_set(actor=manager_a, month=today(), metric="revenue", value="100", user_id=sales_a.pk)
    services.target_set(actor=manager_a, month=today(), metric="revenue", value="150", user_id=sales_a.pk)
    services.target_delete(actor=manager_a, target_id=target.pk)
    services.daily_log_save(actor=sales_a, day=today(), notes="今天")  # today's notes: no correction
    services.daily_log_save(actor=sales_a, day=today() - timedelta(days=1), notes="补记")
    rows = list(ObjectChange.objects.order_by("pk").values_list("object_type", "action", "changes", "user_id"))
    assert rows == [
        ("work.target", "create", {"value": [None, "100.00"]}, manager_a.pk),
        ("work.target", "update", {"value": ["100.00", "150.00"]}, manager_a.pk),
        ("work.target", "delete", {"value": ["150.00", None]}, manager_a.pk),
        ("work.dailylog", "update", {"notes": ["", "补记"]}, sales_a.pk),
    ]
    page = logged_in(admin_user).get(reverse("audit:change_list"))
    assert page.status_code == 200
    assert "150.00" in page.content.decode()


def test_suggestions_come_from_the_call_list_of_one_s_own_customers(sales_a, make_customer, make_user, team_a):
    from insights.tests.scoring_data import scores_stored

    colleague = make_user("sales", team_a)
    best, second = make_customer(sales_a, name="最该联系"), make_customer(sales_a, name="其次")
    theirs = make_customer(colleague, name="同事的")
    scores_stored([theirs, best, second])  # the colleague's customer has the best score of all
    week = sel.week_start(today())
    view = sel.weekly_plan(viewer=sales_a, user=sales_a, week=week)
    assert [s.customer_id for s in view.suggestions] == [best.pk, second.pk]
    assert all(s.reason for s in view.suggestions)
    services.plan_entry_add(actor=sales_a, week=week, customer_id=best.pk, source="suggested")
    view = sel.weekly_plan(viewer=sales_a, user=sales_a, week=week)
    assert [s.customer_id for s in view.suggestions] == [second.pk]
    html = logged_in(sales_a).get(reverse("work:plan_week")).content.decode()
    assert "Suggested from the call list" in html and "其次" in html
