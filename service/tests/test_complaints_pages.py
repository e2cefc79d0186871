"""Complaint pages and API: recorded from the card and the desk, worked from its page, refused
steps shown, scope, analysis, export, badges in the lists, the home panels; query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from core.testing import assert_query_baseline, logged_in
from service import services_complaints as svc
from service.complaint_workflow import ComplaintState as S
from service.models.complaints import Complaint

pytestmark = pytest.mark.django_db

FORM = {"channel": "wechat", "category": "delivery", "severity": "medium", "description": "合同寄送延误",
        "wanted": "尽快收到合同"}


def _complaint(actor, customer, **extra):
    return svc.complaint_create(actor=actor, customer_id=customer.pk, data={**FORM, **extra})


def test_card_timeline_offers_complaint_and_records_it(sales_a, customer_a):
    client = logged_in(sales_a)
    card = client.get(reverse("customers:customer_detail", args=[customer_a.pk]) + "?tab=timeline")
    add_url = reverse("service:complaint_add", args=[customer_a.pk])
    assert add_url in card.content.decode()
    response = client.post(add_url, FORM)
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("service:complaint_detail",
                                                                            args=[complaint.pk])
    timeline = client.get(reverse("customers:customer_detail", args=[customer_a.pk]) + "?tab=timeline").content.decode()
    assert "合同寄送延误" in timeline


def test_bad_form_says_why_and_saves_nothing(sales_a, customer_a):
    response = logged_in(sales_a).post(reverse("service:complaint_add", args=[customer_a.pk]),
                                       {**FORM, "description": "", "channel": "pigeon"})
    assert response.status_code == 400
    assert not Complaint.objects.exists()


def test_linked_from_an_interaction(sales_a, customer_a):
    from interactions.services import interaction_create

    interaction = interaction_create(actor=sales_a, customer_id=customer_a.pk,
                                     data={"channel": "phone", "subject": "客户来电投诉"})
    url = reverse("service:complaint_add", args=[customer_a.pk]) + f"?interaction={interaction.pk}"
    detail = logged_in(sales_a).get(reverse("interactions:interaction_detail", args=[interaction.pk]))
    assert url.replace("?", "?") in detail.content.decode()
    assert f'name="interaction" value="{interaction.pk}"' in logged_in(sales_a).get(url).content.decode()
    logged_in(sales_a).post(url, {**FORM, "interaction": interaction.pk})
    assert Complaint.objects.get().interaction_id == interaction.pk


def test_desk_finds_the_customer_and_shows_the_quick_form(sales_a, customer_a, customer_b):
    client = logged_in(sales_a)
    found = client.get(reverse("service:desk"), {"q": "张伟"}).content.decode()
    assert f"?customer={customer_a.pk}" in found
    form = client.get(reverse("service:desk"), {"customer": customer_a.pk}).content.decode()
    assert reverse("service:complaint_add", args=[customer_a.pk]) in form
    assert client.get(reverse("service:desk"), {"customer": customer_b.pk}).status_code == 404


def test_detail_walks_the_workflow_and_shows_a_refused_step(sales_a, customer_a):
    complaint = _complaint(sales_a, customer_a)
    client = logged_in(sales_a)
    url = reverse("service:complaint_advance", args=[complaint.pk])
    refused = client.post(url, {"to_state": S.CLOSED})
    assert refused.status_code == 400 and "“Acknowledged”" in refused.content.decode()
    for state, extra in ((S.ACKNOWLEDGED, {}), (S.INVESTIGATING, {}), (S.RESOLVED, {"recovery_action": "fix"}),
                         (S.INFORMED, {}), (S.FOLLOWED_UP, {"reaction": "satisfied"}),
                         (S.CLOSED, {"root_cause": "process"})):
        assert client.post(url, {"to_state": state, **extra}).status_code == 302, state
    complaint.refresh_from_db()
    assert complaint.state == S.CLOSED
    page = client.get(reverse("service:complaint_detail", args=[complaint.pk])).content.decode()
    assert "Reopen" in page


def test_refused_step_in_chinese(sales_a, customer_a):
    complaint = _complaint(sales_a, customer_a)
    response = logged_in(sales_a, "zh-hans").post(reverse("service:complaint_advance", args=[complaint.pk]),
                                                  {"to_state": S.CLOSED})
    assert response.status_code == 400 and "已确认" in response.content.decode()


def test_other_team_sees_nothing(sales_a, sales_b, customer_a):
    complaint = _complaint(sales_a, customer_a)
    client = logged_in(sales_b)
    assert client.get(reverse("service:complaint_detail", args=[complaint.pk])).status_code == 404
    assert "合同寄送延误" not in client.get(reverse("service:desk")).content.decode()
    assert client.get("/api/v1/complaints").json()["items"] == []
    assert client.get(f"/api/v1/complaints/{complaint.pk}").status_code == 404


def test_compensation_page_above_limit_asks_the_manager(service_a, manager_a, customer_a, admin_user):
    svc.compensation_limit_set(actor=admin_user, role="service", limit=Decimal("100"))
    complaint = _complaint(service_a, customer_a)
    logged_in(service_a).post(reverse("service:complaint_compensation", args=[complaint.pk]), {"amount": "500"})
    approval = complaint.approvals.get()
    desk = logged_in(manager_a).get(reverse("service:desk")).content.decode()
    assert reverse("service:approval_decide", args=[approval.pk]) in desk
    logged_in(manager_a).post(reverse("service:approval_decide", args=[approval.pk]), {"approve": "1"})
    complaint.refresh_from_db()
    assert complaint.compensation == Decimal("500")


def test_limits_page_is_for_administrators(admin_user, manager_a):
    assert logged_in(manager_a).get(reverse("service:compensation_limits")).status_code == 403
    client = logged_in(admin_user)
    assert client.post(reverse("service:compensation_limits"), {"service": "250"}).status_code == 302
    assert svc.compensation_limit(manager_a) == svc.DEFAULT_LIMITS["manager"]
    assert client.post(reverse("service:compensation_limits"), {"service": "-1"}).status_code == 400


def test_flag_on_card_customer_list_and_home_panels(sales_a, customer_a, manager_a):
    complaint = _complaint(sales_a, customer_a)
    client = logged_in(sales_a)
    panels = client.get(reverse("customers:customer_detail", args=[customer_a.pk]) + "?part=panels").content.decode()
    assert "Open or recent complaint" in panels
    listing = client.get(reverse("customers:customer_list")).content.decode()
    assert "Recent failure" in listing
    Complaint.objects.filter(pk=complaint.pk).update(acknowledge_by=complaint.received_at - timedelta(hours=1))
    home = client.get(reverse("home")).content.decode()
    assert "My complaints due" in home and "overdue" in home
    assert "Service team: complaints due" in logged_in(manager_a).get(reverse("home")).content.decode()


def test_analysis_counts_rates_and_key_customers(sales_a, customer_a, analyst):
    _complaint(sales_a, customer_a)
    _complaint(sales_a, customer_a, category="billing")
    page = logged_in(analyst).get(reverse("service:complaints_analysis")).content.decode()
    assert "complaints-chart-data" in page and "<script>" not in page.replace('<script src', '')
    from django.utils import timezone

    from service.analysis_complaints import complaints_analysis

    a = complaints_analysis(user=analyst, year=timezone.localdate().year)
    assert a.total == 2 and a.customers == 1 and a.per_1000_customers == 2000.0 and a.repeat_count == 1
    assert {r.label: r.count for r in a.by["category"]} == {"Delivery": 1, "Billing and fees": 1}


def test_export_csv(sales_a, customer_a):
    _complaint(sales_a, customer_a)
    response = logged_in(sales_a).get(reverse("service:complaints_export"))
    body = b"".join(response.streaming_content).decode()
    assert "合同寄送延误" in body and body.count("\n") == 2


def test_api_create_filter_advance(sales_a, customer_a):
    from accounts.services import token_create

    _token, secret = token_create(user=sales_a, name="t")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    from django.test import Client

    api = Client()
    created = api.post("/api/v1/complaints", {"customer": customer_a.pk, **FORM, "severity": "high"},
                       content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    listed = api.get("/api/v1/complaints?state=received&severity=high", **headers).json()["items"]
    assert [r["id"] for r in listed] == [cid]
    assert api.get("/api/v1/complaints?severity=low", **headers).json()["items"] == []
    refused = api.post(f"/api/v1/complaints/{cid}/advance", {"to_state": "closed"}, content_type="application/json",
                       **headers)
    assert refused.status_code == 400 and "已确认" in refused.json()["detail"][0]["msg"]
    moved = api.post(f"/api/v1/complaints/{cid}/advance", {"to_state": "acknowledged"},
                     content_type="application/json", **headers)
    assert moved.json()["state"] == "acknowledged"
    granted = api.post(f"/api/v1/complaints/{cid}/compensation", {"amount": "50"}, content_type="application/json",
                       **headers)
    assert granted.json() == {"granted": True, "approval": None}


def test_query_counts(sales_a, customer_a):
    from accounts.services import token_create

    for _i in range(3):
        _complaint(sales_a, customer_a)
    complaint = Complaint.objects.first()
    client = logged_in(sales_a)
    assert_query_baseline("service complaint desk", lambda: client.get(reverse("service:desk")))
    assert_query_baseline("service complaint detail",
                          lambda: client.get(reverse("service:complaint_detail", args=[complaint.pk])))
    assert_query_baseline("service complaints analysis", lambda: client.get(reverse("service:complaints_analysis")))
    _token, secret = token_create(user=sales_a, name="t")
    assert_query_baseline("service complaint api list", lambda: client.get(
        "/api/v1/complaints?state=received&severity=medium", HTTP_AUTHORIZATION=f"Bearer {secret}"))


def test_detail_suggests_knowledge_base_articles_that_match_what_happened(sales_a, customer_a):
    from service.services_knowledge import article_create

    article = article_create(actor=sales_a, publish=True, data={
        "problem": "洗衣机显示 E4 错误", "solution": "清洗排水过滤器。", "language": "zh-hans"})
    article_create(actor=sales_a, publish=True, data={
        "problem": "Invoice address wrong", "solution": "Reissue the invoice.", "language": "en"})
    c = _complaint(sales_a, customer_a, description="客户的洗衣机显示 E4 错误，第二次了")
    page = logged_in(sales_a).get(reverse("service:complaint_detail", args=[c.pk])).content.decode()
    assert f"№{article.pk} 洗衣机显示 E4 错误" in page and "Invoice address wrong" not in page
