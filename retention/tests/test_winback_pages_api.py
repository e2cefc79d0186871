"""The win-back pages and API: scoped (404 outside), bad input answered in the user's language,
query counts fixed (query_counts.json), the home page's count of losses awaiting a reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.testing import assert_query_baseline, logged_in
from customers.tests.test_api import ApiClient
from retention.models import LossRecord, WinbackCampaign
from retention.services_winback import campaign_create, campaign_execute, customer_mark_lost
from retention.tests.winback_data import lost_customer, refresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_customer, sales_a, sales_b, manager_a):
    lost = [lost_customer(make_customer, sales_a, f"流失{i}") for i in range(6)]
    lost_customer(make_customer, sales_b, "乙方流失")
    refresh()
    for c in lost[:3]:
        customer_mark_lost(actor=sales_a, customer_id=c.pk, reason="price",
                           contact={"channel": "phone", "subject": "问"})
    campaign = campaign_create(actor=manager_a, data={"name": "价格挽回", "by_task": True})
    campaign_execute(campaign_id=campaign.pk)
    return {"lost": lost, "campaign": campaign}


def test_winback_page_campaign_and_queue(world, sales_a, sales_b):
    client = logged_in(sales_a)
    page = assert_query_baseline("retention.winback.page", lambda: client.get(reverse("retention:winback")))
    assert page.status_code == 200
    body = page.content.decode()
    assert "价格挽回" in body and "1 in 4 lost customers won back (25 %)" in body and 'id="winback-rate"' in body
    detail = assert_query_baseline("retention.winback.campaign", lambda: client.get(
        reverse("retention:winback_campaign", args=[world["campaign"].pk])))
    assert detail.status_code == 200 and "流失0" in detail.content.decode()
    queue = assert_query_baseline("retention.winback.unknown", lambda: client.get(reverse("retention:winback_unknown")))
    text = queue.content.decode()
    assert all(f"流失{i}" in text for i in (3, 4, 5)) and "流失0" not in text and "乙方流失" not in text
    home = client.get(reverse("home")).content.decode()
    assert "Lost, reason unknown" in home
    # Team B: the campaign does not exist for them, and their queue holds only their own.
    other = logged_in(sales_b)
    assert other.get(reverse("retention:winback_campaign", args=[world["campaign"].pk])).status_code == 404
    assert "流失3" not in other.get(reverse("retention:winback_unknown")).content.decode()


def test_mark_lost_page_in_both_languages(world, make_customer, sales_a):
    from retention.tests.winback_data import paid_orders

    customer = make_customer(sales_a, name="新流失")
    paid_orders(customer, 30)
    url = reverse("retention:winback_mark_lost", args=[customer.pk])
    zh = logged_in(sales_a, "zh-hans").post(url, {"reason": "", "marked_on": "2026-01-01"})
    assert zh.status_code == 200 and "必填项" in zh.content.decode()
    en = logged_in(sales_a)
    done = en.post(url, {"reason": "service", "note": "late deliveries", "competitor": "Rival Co",
                         "marked_on": "2026-11-01"})
    assert done.status_code == 302
    assert LossRecord.objects.get(customer=customer).competitor == "Rival Co"
    # A queued customer: the contact is required, then recorded with the reason.
    queued = world["lost"][4]
    url = reverse("retention:winback_mark_lost", args=[queued.pk])
    refused = en.post(url, {"reason": "price"})
    assert refused.status_code == 200 and "Choose the contact that told you why" in refused.content.decode()
    ok = en.post(url, {"reason": "price", "contact_channel": "phone", "contact_subject": "Called back"})
    assert ok.status_code == 302 and LossRecord.objects.get(customer=queued).interaction.subject == "Called back"


def test_campaign_form_creates_and_refuses(world, manager_a, analyst):
    client = logged_in(manager_a)
    bad = client.post(reverse("retention:winback_campaign_new"), {"name": "x", "language": "en", "task_due_days": 7,
                                                                "value_basis": "clv"})
    assert bad.status_code == 200 and "Choose at least one channel" in bad.content.decode()
    good = client.post(reverse("retention:winback_campaign_new"), {
        "name": "服务挽回", "reasons": ["service"], "value_basis": "clv", "by_task": "on", "language": "zh-hans",
        "task_due_days": 5})
    campaign = WinbackCampaign.objects.get(name="服务挽回")
    assert good.status_code == 302 and good["Location"] == reverse("retention:winback_campaign", args=[campaign.pk])
    assert campaign.reasons == ["service"] and campaign.status == "queued"
    assert logged_in(analyst).get(reverse("retention:winback_campaign_new")).status_code == 403


def test_scripts_are_edited_by_administrators_only(world, admin_user, manager_a):
    url = reverse("retention:winback_script_edit", args=["price"])
    assert logged_in(manager_a).get(url).status_code == 403
    client = logged_in(admin_user)
    done = client.post(url, {"subject_zh": "优惠", "body_zh": "{{ customer }} 专享八折", "subject_en": "Offer",
                             "body_en": "20% off for {{ customer }}"})
    assert done.status_code == 302
    assert "20% off for {{ customer }}" in client.get(reverse("retention:winback_scripts")).content.decode()


def test_api(world, sales_a, sales_b, manager_a):
    api = ApiClient(sales_a)
    rates = assert_query_baseline("retention.api.rates", lambda: api.get("/retention/winback/rates", days=365))
    body = rates.json()
    assert body["winback"] == {"numerator": 0, "denominator": 6, "rate": 0.0}
    assert body["reference_winback"] == 0.25 and body["reference_prospect"] == 0.0625
    assert [r["reason"] for r in body["by_reason"]] == ["price", "unknown"]
    listed = assert_query_baseline("retention.api.campaigns", lambda: api.get("/retention/winback/campaigns"))
    assert [c["name"] for c in listed.json()["items"]] == ["价格挽回"]
    detail = assert_query_baseline("retention.api.campaign", lambda: api.get(
        f"/retention/winback/campaigns/{world['campaign'].pk}"))
    assert len(detail.json()["attempts"]) == 6 and detail.json()["attempted"] == 6
    queue = assert_query_baseline("retention.api.unknown", lambda: api.get("/retention/reason-unknown", limit=2))
    first = queue.json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get("/retention/reason-unknown", limit=2, cursor=first["next_cursor"]).json()
    assert len(rest["items"]) == 1
    # Scope: team B gets 404 for team A's campaign and customer.
    other = ApiClient(sales_b)
    assert other.get(f"/retention/winback/campaigns/{world['campaign'].pk}").status_code == 404
    lost = world["lost"][5]
    assert other.post(f"/retention/customers/{lost.pk}/lost", {"reason": "price"}).status_code == 404
    # Bad input: 422 by the schema, 400 by the service's rule.
    assert api.post(f"/retention/customers/{lost.pk}/lost", {"reason": "weather"}).status_code == 422
    needs_contact = api.post(f"/retention/customers/{lost.pk}/lost", {"reason": "price"})
    assert needs_contact.status_code == 400 and needs_contact.json()["detail"][0]["loc"] == ["body", "interaction"]
    made = api.post(f"/retention/customers/{lost.pk}/lost", {
        "reason": "benefit", "competitor": "X", "contact": {"channel": "phone", "subject": "回访"}})
    assert made.status_code == 201 and made.json()["reason"] == "benefit"
    created = ApiClient(manager_a).post("/retention/winback/campaigns", {"name": "API", "reasons": ["benefit"]})
    assert created.status_code == 201 and created.json()["status"] == "queued"
    assert api.post("/retention/winback/campaigns", {"name": "x", "by_task": False}).status_code == 400


def test_progress_box_polls_while_the_campaign_runs(world, manager_a):
    client = logged_in(manager_a)
    queued = campaign_create(actor=manager_a, data={"name": "排队中", "by_task": True})
    url = reverse("retention:winback_campaign_progress", args=[queued.pk])
    WinbackCampaign.objects.filter(pk=queued.pk).update(status="running", total=40, done=10)
    box = client.get(url, HTTP_HX_REQUEST="true")
    text = box.content.decode()
    assert box.status_code == 200 and 'value="25"' in text and "10 of 40 customers" in text
    campaign_execute(campaign_id=queued.pk)
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
