"""scores_refresh end to end on a generated order history: what is stored, that the figures agree
with the models, that a rerun replaces the scores, that failures leave them intact, and that the
settings are used."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from audit.models import ObjectChange
from commerce.choices import OrderStatus
from insights import services
from insights.history import purchase_history
from insights.math.bgnbd import BGNBDParams, bgnbd_p_alive
from insights.models import CustomerScore, InsightSettings, RunStatus, ScoreRun
from insights.tests.scoring_data import customers_bulk, generated_history, moment, orders_bulk

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _without_churn_and_products(request, monkeypatch):
    """Training the churn classifier takes most of a run's time on small data; the tests of the
    scoring itself leave it and the product model out (the one slow test keeps both)."""
    if request.node.get_closest_marker("slow"):
        return

    def unavailable(**kwargs):
        raise ImportError("left out in this test")

    monkeypatch.setattr(services, "_churn_add", unavailable)
    monkeypatch.setattr(services, "_products_add", unavailable)


@pytest.fixture
def history(sales_a, sales_b):
    """300 customers in two teams with a BG/NBD-shaped history, and 5 who never bought."""
    customers = customers_bulk(sales_a, 200, "甲") + customers_bulk(sales_b, 100, "乙")
    customers_bulk(sales_a, 5, "未购")
    generated_history(customers, as_of=AS_OF)
    return customers


def test_refresh_scores_every_buyer_once(history):
    phases = []
    run = services.scores_refresh(as_of=AS_OF, progress=lambda phase, done, total: phases.append(phase))
    assert run.status == RunStatus.DONE and run.error == ""
    assert run.customers_scored == 300 == CustomerScore.objects.count()
    assert set(CustomerScore.objects.values_list("run_id", flat=True)) == {run.pk}
    assert {"history", "fit", "write", "done"} <= set(phases)
    assert run.duration_seconds is not None and run.finished_at is not None

    # The fit recovers the generating parameters roughly (300 customers: loose bounds).
    assert 0.3 < run.bgnbd["r"] < 2.0 and 3 < run.bgnbd["alpha"] < 20
    assert run.bgnbd["converged"] and run.gamma_gamma["converged"]
    assert run.gamma_gamma["q"] > 1 and abs(run.gamma_gamma["spend_frequency_correlation"]) < 0.5

    scores = list(CustomerScore.objects.all())
    for s in scores:
        assert 0 <= s.p_alive <= 1 and 0 <= s.purchase_likelihood <= 1
        assert s.expected_purchases_90 >= s.expected_purchases_30 >= 0
        assert s.clv >= 0 and s.expected_order_value > 0
        assert s.call_score == pytest.approx(s.purchase_likelihood * s.expected_order_value * s.margin_share)
        assert s.reason_key and s.reason_params["silent"] == (AS_OF - s.last_purchase).days
    # BG/NBD: P(alive) is 1 for everyone without a repeat purchase.
    assert all(s.p_alive == 1.0 for s in scores if s.frequency == 0)
    # The stored P(alive) is the model's, for the stored history.
    s = max(scores, key=lambda s: s.frequency)
    params = BGNBDParams(run.bgnbd["r"], run.bgnbd["alpha"], run.bgnbd["a"], run.bgnbd["b"])
    assert s.p_alive == pytest.approx(float(bgnbd_p_alive(params, s.frequency, s.recency_weeks, s.age_weeks)[0]))
    # The call list's order puts a likely, valuable customer above a one-time buyer gone quiet.
    best = CustomerScore.objects.order_by("-call_score").first()
    assert best.purchase_likelihood > np.median([x.purchase_likelihood for x in scores])


def test_holdout_check_compares_forecast_with_what_happened(history):
    run = services.scores_refresh(as_of=AS_OF)
    holdout = run.holdout
    assert holdout["calibration_end"] == str(AS_OF - timedelta(days=90)) and holdout["days"] == 90
    groups = holdout["groups"]
    assert [g["frequency"] for g in groups][0] == "0" and groups[-1]["frequency"] == "7+"
    h = purchase_history(as_of=AS_OF)
    mask = h.cal_days > 0
    assert sum(g["customers"] for g in groups) == int(mask.sum())
    assert holdout["total"]["actual"] == float(h.holdout_days[mask].sum())
    # Data drawn from the model itself: the forecast is within 30 % of what happened.
    assert holdout["total"]["predicted"] == pytest.approx(holdout["total"]["actual"], rel=0.3)


def test_rerun_replaces_the_scores_and_uses_the_settings(history, admin_user):
    first = services.scores_refresh(as_of=AS_OF)
    clv_12 = dict(CustomerScore.objects.values_list("customer_id", "clv"))
    services.insight_settings_update(actor=admin_user, data={"horizon_months": 24,
                                                             "monthly_discount_rate": Decimal("0.02")})
    second = services.scores_refresh(as_of=AS_OF)
    assert second.pk != first.pk and second.horizon_months == 24 and second.monthly_discount_rate == 0.02
    assert CustomerScore.objects.count() == 300
    assert set(CustomerScore.objects.values_list("run_id", flat=True)) == {second.pk}
    clv_24 = dict(CustomerScore.objects.values_list("customer_id", "clv"))
    # A longer horizon adds margin for every customer with any future purchases expected.
    assert all(clv_24[c] >= clv_12[c] - 1e-9 for c in clv_12)
    assert sum(clv_24.values()) > 1.3 * sum(clv_12.values())


def test_too_little_data_fails_the_run_and_keeps_the_old_scores(history, make_customer, sales_a):
    services.scores_refresh(as_of=AS_OF)
    before = CustomerScore.objects.count()
    # As of a date before nearly anyone bought, there is too little to fit.
    early = AS_OF - timedelta(weeks=103)
    with translation.override("en"), pytest.raises(ValidationError):
        services.scores_refresh(as_of=early)
    failed = ScoreRun.objects.order_by("-id").first()
    assert failed.status == RunStatus.FAILED and "Too little purchase history" in failed.error
    assert CustomerScore.objects.count() == before


def test_repeat_purchases_without_revenue_get_no_value(history, make_customer, sales_a):
    free = make_customer(sales_a)
    orders_bulk([(free.pk, moment(AS_OF - timedelta(days=d)), "0", "0", OrderStatus.PAID) for d in (10, 40, 70)])
    services.scores_refresh(as_of=AS_OF)
    s = CustomerScore.objects.get(customer=free)
    assert s.frequency == 2 and s.expected_order_value == 0 and s.clv == 0 and s.call_score == 0


def test_settings_are_validated_audited_and_administrators_only(admin_user, manager_a):
    with pytest.raises(PermissionDenied):
        services.insight_settings_update(actor=manager_a, data={"horizon_months": 6})
    with pytest.raises(ValidationError) as err:
        services.insight_settings_update(actor=admin_user, data={"horizon_months": 0})
    assert "horizon_months" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.insight_settings_update(actor=admin_user, data={"monthly_discount_rate": Decimal("0.5")})
    with pytest.raises(ValidationError):
        services.insight_settings_update(actor=admin_user, data={"colour": "red"})
    assert not InsightSettings.objects.exists()  # nothing half-applied
    services.insight_settings_update(actor=admin_user, data={"horizon_months": 6, "period_days": 14})
    current = services.insight_settings_current()
    assert (current.horizon_months, current.period_days, current.monthly_discount_rate) == (6, 14, Decimal("0.01"))
    change = ObjectChange.objects.get(object_type="insights.insightsettings")
    assert change.changes["horizon_months"] == [None, 6] and change.user_id == admin_user.pk


def test_enqueue_is_for_managers_admins_and_analysts_and_runs_one_at_a_time(
    settings, sales_a, manager_a, analyst, django_capture_on_commit_callbacks,
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with pytest.raises(PermissionDenied):
        services.scores_refresh_enqueue(actor=sales_a)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.scores_refresh_enqueue(actor=manager_a)
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.requested_by == manager_a and run.task_id
    with pytest.raises(ValidationError):
        services.scores_refresh_enqueue(actor=analyst)
    # The task carries the queued run out (here: too little data, so it fails and says why).
    with pytest.raises(ValidationError):
        services.score_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.error
    assert services.scores_refresh_enqueue(actor=analyst).status == RunStatus.QUEUED


@pytest.mark.slow
def test_refresh_stores_churn_risk_and_next_best_products(history):
    from commerce.models import Order, OrderLine, Product

    fund, deposit, gold = (
        Product.objects.create(code=code, name=name, category="基金", price=Decimal("100"), unit_cost=Decimal("90"))
        for code, name in (("F1", "稳健基金"), ("D1", "定期存款"), ("G1", "积存金"))
    )
    # Most buyers hold the fund and the deposit together; some hold only the fund.
    lines = []
    for i, order in enumerate(Order.objects.order_by("customer_id", "ordered_at")):
        product = (fund, deposit)[i % 2] if order.customer_id % 4 else fund
        lines.append(OrderLine(order=order, product=product, quantity=1, unit_price=100, unit_cost=90,
                               revenue=100, cost=90, margin=10))
    OrderLine.objects.bulk_create(lines, batch_size=2000)
    run = services.scores_refresh(as_of=AS_OF)
    assert run.churn["status"] == "done" and (run.churn.get("auc") is not None or run.churn.get("fallback"))
    assert run.products["status"] == "done"
    scores = list(CustomerScore.objects.all())
    assert all(s.churn_risk is not None and 0 <= s.churn_risk <= 1 for s in scores)
    assert all(s.value_at_risk == pytest.approx(s.churn_risk * s.clv) for s in scores)
    only_fund = [s for s in scores if {p["product_id"] for p in s.next_products} and s.customer_id % 4 == 0]
    assert only_fund
    for s in only_fund:
        offered = [p["product_id"] for p in s.next_products]
        assert fund.pk not in offered  # never what the customer already holds
        assert {p["name"] for p in s.next_products} <= {"定期存款", "积存金"}


def test_nightly_job_scores_once_a_day(history):
    from django.utils import timezone

    from core import registry
    from insights.tasks import scores_refresh_nightly_task

    job = next(j for j in registry.get_all("periodic_jobs") if j.name == "scores_refresh")
    assert job.task == "insights.tasks.scores_refresh_nightly_task" and job.hour == 3
    scores_refresh_nightly_task.call()
    run = ScoreRun.objects.get()
    assert run.status == RunStatus.DONE and run.as_of == timezone.localdate() and run.customers_scored == 300
    scores_refresh_nightly_task.call()  # delivered twice: no second run
    assert ScoreRun.objects.count() == 1
