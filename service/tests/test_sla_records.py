"""Service agreements on the records layer: the standard suite (pages and API: scope, rights, audit,
no lost update, query counts), and the agreement pages' own behaviour (SLA grid, documents, list,
export)."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.testing import assert_query_baseline
from customers.records.testing import ApiCaller, RecordSuite
from service import services_sla as services
from service.models import ServiceAgreement
from service.views_sla import AGREEMENT_PAGES

SLA_FORM = {"complaint_critical_ack": "10", "complaint_critical_resolve": "120"}


class TestAgreementRecords(RecordSuite):
    pages = AGREEMENT_PAGES
    urls = {"add": "service:agreement_add", "edit": "service:agreement_edit", "delete": "service:agreement_delete",
            "detail": "service:agreement_detail"}
    api_path = "/agreements"
    record_data = {"level": "premium", "starts_on": date(2026, 1, 1), "ends_on": date(2026, 12, 31)}
    add_form = {"number": "SA-1", "level": "standard", "starts_on": "2026-01-01", "ends_on": "2026-12-31", **SLA_FORM}
    edit_form = {"number": "SA-2", "level": "premium", "starts_on": "2026-01-01", "ends_on": "2027-06-30"}
    api_create = {"number": "SA-9", "level": "basic", "starts_on": "2026-02-01", "ends_on": "2027-01-31",
                  "sla": [{"subject": "request", "level": "urgent", "acknowledge_minutes": 20, "resolve_minutes": 200}]}
    api_change = {"terms": "7×24 电话支持"}
    queries = {"add": 5, "edit": 5, "delete": 5, "detail": 7, "api list": 4, "api detail": 4}


pytestmark = pytest.mark.django_db


def _agreement(actor, customer, **data):
    base = {"level": "standard", "starts_on": date(2026, 1, 1), "ends_on": date(2026, 12, 31)}
    return services.agreement_create(actor=actor, customer_id=customer.pk, data={**base, **data})


def test_the_form_saves_the_sla_grid_and_shows_it_again(client_for, sales_a, customer_a):
    client = client_for(sales_a)
    response = client.post(reverse("service:agreement_add", args=[customer_a.pk]), {
        "number": "SA-7", "level": "premium", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "complaint_critical_ack": "15", "complaint_critical_resolve": "240",
        "request_urgent_ack": "30", "request_urgent_resolve": "300"})
    assert response.status_code == 302
    agreement = ServiceAgreement.objects.get(number="SA-7")
    assert agreement.sla == {"complaint": {"critical": [15, 240]}, "request": {"urgent": [30, 300]}}
    page = client.get(reverse("service:agreement_edit", args=[agreement.pk])).content.decode()
    assert 'name="complaint_critical_ack" value="15"' in page
    assert 'name="request_urgent_resolve" value="300"' in page


@pytest.mark.parametrize(("fields", "field"), [
    ({"complaint_high_ack": "30"}, "complaint_high_resolve"),
    ({"complaint_high_ack": "300", "complaint_high_resolve": "30"}, "complaint_high_resolve"),
    ({"complaint_high_ack": "0", "complaint_high_resolve": "30"}, "complaint_high_ack"),
])
def test_a_bad_sla_row_is_refused_and_nothing_saved(client_for, sales_a, customer_a, fields, field):
    response = client_for(sales_a).post(reverse("service:agreement_add", args=[customer_a.pk]), {
        "level": "premium", "starts_on": "2026-01-01", "ends_on": "2026-12-31", **fields})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert not ServiceAgreement.objects.exists()


def test_an_agreement_ending_before_it_starts_is_refused(client_for, sales_a, customer_a):
    response = client_for(sales_a).post(reverse("service:agreement_add", args=[customer_a.pk]), {
        "level": "premium", "starts_on": "2026-05-01", "ends_on": "2026-04-30"})
    assert list(response.context["form"].errors) == ["ends_on"]
    assert not ServiceAgreement.objects.exists()


def test_api_refuses_a_level_the_subject_does_not_have(sales_a, customer_a):
    response = ApiCaller(sales_a).send("post", "/agreements", {
        "customer": customer_a.pk, "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "sla": [{"subject": "complaint", "level": "urgent", "acknowledge_minutes": 10, "resolve_minutes": 20}]})
    assert response.status_code == 400
    assert "is not a level of" in response.content.decode() and '"sla"' in response.content.decode()
    assert not ServiceAgreement.objects.exists()


def test_documents_are_uploaded_to_the_customer_folder_and_removed(client_for, sales_a, customer_a):
    agreement = _agreement(sales_a, customer_a)
    client = client_for(sales_a)
    upload = SimpleUploadedFile("合同.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    response = client.post(reverse("service:agreement_document_add", args=[agreement.pk]),
                           {"file": upload, "description": "signed"})
    assert response.status_code == 302
    [doc] = agreement.documents.all()
    assert doc.customer_id == customer_a.pk and doc.original_name == "合同.pdf"
    page = client.get(reverse("service:agreement_detail", args=[agreement.pk])).content.decode()
    assert reverse("customers:document_download", args=[doc.pk]) in page
    client.post(reverse("service:agreement_document_remove", args=[agreement.pk]), {"document": doc.pk})
    assert not agreement.documents.exists()
    doc.refresh_from_db()
    assert doc.deleted_at is not None


def test_a_bad_document_is_refused(client_for, sales_a, customer_a):
    agreement = _agreement(sales_a, customer_a)
    upload = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    client_for(sales_a).post(reverse("service:agreement_document_add", args=[agreement.pk]), {"file": upload})
    assert not agreement.documents.exists()


def test_another_team_cannot_attach_documents(client_for, sales_a, sales_b, customer_a):
    agreement = _agreement(sales_a, customer_a)
    upload = SimpleUploadedFile("a.pdf", b"%PDF", content_type="application/pdf")
    response = client_for(sales_b).post(reverse("service:agreement_document_add", args=[agreement.pk]),
                                        {"file": upload})
    assert response.status_code == 404
    assert not agreement.documents.exists()


def test_expired_and_expiring_agreements_are_flagged(client_for, sales_a, customer_a):
    today = timezone.localdate()
    expired = _agreement(sales_a, customer_a, number="OLD", starts_on=today - timedelta(days=400),
                         ends_on=today - timedelta(days=1))
    expiring = _agreement(sales_a, customer_a, number="SOON", starts_on=today - timedelta(days=300),
                          ends_on=today + timedelta(days=10))
    active = _agreement(sales_a, customer_a, number="LONG", starts_on=today, ends_on=today + timedelta(days=300))
    client = client_for(sales_a)
    page = client.get(reverse("service:agreement_detail", args=[expired.pk])).content.decode()
    assert 'id="agreement-expired"' in page
    page = client.get(reverse("service:agreement_detail", args=[expiring.pk])).content.decode()
    assert 'id="agreement-expiring"' in page
    listed = client.get(reverse("service:agreement_list"), {"status": "expired"}).content.decode()
    assert "OLD" in listed and "SOON" not in listed and "LONG" not in listed
    listed = client.get(reverse("service:agreement_list"), {"status": "expiring"}).content.decode()
    assert "SOON" in listed and "OLD" not in listed
    panel = client.get(reverse("customers:customer_detail", args=[customer_a.pk]), {"part": "panels"}).content.decode()
    assert "agreement-expired" in panel and "agreement-expiring" in panel and "agreement-active" in panel
    assert active.status_on(today, 30) == "active"


def test_list_hides_other_teams_agreements(client_for, sales_a, sales_b, customer_a):
    _agreement(sales_a, customer_a, number="SECRET-A")
    assert "SECRET-A" not in client_for(sales_b).get(reverse("service:agreement_list")).content.decode()
    assert "SECRET-A" in client_for(sales_a).get(reverse("service:agreement_list")).content.decode()


def test_list_query_count(client_for, sales_a, customer_a):
    for n in range(4):
        _agreement(sales_a, customer_a, number=f"SA-{n}")
    client = client_for(sales_a)
    response = assert_query_baseline("service.agreement_list", lambda: client.get(reverse("service:agreement_list")))
    assert response.status_code == 200


def test_export_is_scoped_and_audited(client_for, sales_a, sales_b, customer_a):
    from audit.models import AccessLog

    _agreement(sales_a, customer_a, number="SA-EXP", sla={"complaint": {"critical": [10, 100]}})
    body = b"".join(client_for(sales_a).get(reverse("service:agreement_export"), {"format": "csv"}).streaming_content)
    text = body.decode("utf-8-sig")
    assert "SA-EXP" in text and customer_a.name in text and "10/100" in text
    body = b"".join(client_for(sales_b).get(reverse("service:agreement_export"), {"format": "csv"}).streaming_content)
    assert "SA-EXP" not in body.decode("utf-8-sig")
    assert AccessLog.objects.filter(user=sales_a, detail__kind="service_agreements").exists()


def test_export_needs_the_export_right(client_for, service_a):
    assert client_for(service_a).get(reverse("service:agreement_export")).status_code == 403


def test_api_sla_rows_and_status_filter(sales_a, customer_a):
    api = ApiCaller(sales_a)
    today = timezone.localdate()
    created = api.send("post", "/agreements", {
        "customer": customer_a.pk, "number": "SA-API", "starts_on": str(today - timedelta(days=100)),
        "ends_on": str(today + timedelta(days=5)),
        "sla": [{"subject": "complaint", "level": "high", "acknowledge_minutes": 20, "resolve_minutes": 90}]})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "expiring"
    assert body["sla"] == [{"subject": "complaint", "level": "high", "acknowledge_minutes": 20, "resolve_minutes": 90}]
    changed = api.send("patch", f"/agreements/{body['id']}", {"sla": []})
    assert changed.status_code == 200 and changed.json()["sla"] == []
    assert ServiceAgreement.objects.get(pk=body["id"]).sla == {}
    assert [a["number"] for a in api.get("/agreements", status="expiring").json()["items"]] == ["SA-API"]
    assert api.get("/agreements", status="expired").json()["items"] == []
