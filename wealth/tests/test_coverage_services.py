"""Coverage services, the household page and API, the stored gaps, the call list's reasons, the timeline
and masking of policy amounts through every door (card, household page, API, timeline)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from core.testing import logged_in
from core.timeline import card_panels, timeline_page
from customers.call_reasons import more_reasons
from customers.records.testing import ApiCaller
from customers.services import family_member_create, family_member_update
from wealth.models.coverage import CoverageGapSummary, InsurancePolicy, PolicyEvent
from wealth.services_coverage import (
    gap_summaries_refresh_all,
    income_set,
    policy_create,
    policy_delete,
    policy_update,
)

pytestmark = pytest.mark.django_db(transaction=False)

LIFE = {"insurer": "平安人寿", "policy_type": "life", "starts_on": date(2024, 1, 1),
        "sum_insured": Decimal("876543"),
        "premium": Decimal("9753.19"), "policy_number": "PA-77"}


@pytest.fixture
def household(customer_a, sales_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        child = family_member_create(actor=sales_a, customer_id=customer_a.pk,
                                     data={"name": "张小明", "relation": "child", "age": 6,
                                           "school_or_work": "实验小学"})
    return customer_a, child


def _create(actor, customer, capture, **data):
    with capture(execute=True):
        return policy_create(actor=actor, customer_id=customer.pk, data={**LIFE, **data})


def test_validation_names_the_field(household, sales_a, customer_b):
    customer, child = household
    cases = [({"ends_on": date(2023, 12, 31)}, "ends_on"), ({"ends_on": date(2024, 1, 1)}, "ends_on"),
             ({"sum_insured": Decimal("-1")}, "sum_insured"), ({"premium": Decimal("1e20")}, "premium"),
             ({"policy_type": "pet"}, "policy_type")]
    for data, field in cases:
        with pytest.raises(ValidationError) as exc:
            policy_create(actor=sales_a, customer_id=customer.pk, data={**LIFE, **data})
        assert field in exc.value.message_dict, data
    other = family_member_create(actor=customer_b.owner, customer_id=customer_b.pk,
                                 data={"name": "王芳", "relation": "spouse"})
    with pytest.raises(ValidationError) as exc:
        policy_create(actor=sales_a, customer_id=customer.pk, data={**LIFE, "insured_member": other.pk})
    assert "insured_member" in exc.value.message_dict
    assert not InsurancePolicy.objects.exists()


def test_scope_and_masked_roles_may_not_write(household, sales_b, service_a):
    customer, _child = household
    with pytest.raises(PermissionDenied):
        policy_create(actor=sales_b, customer_id=customer.pk, data=LIFE)
    with pytest.raises(PermissionDenied):
        income_set(actor=service_a, customer_id=customer.pk, family_member_id=None, annual_income=Decimal("1"))


def test_gaps_are_stored_on_each_change_and_become_call_list_reasons(
        household, sales_a, django_capture_on_commit_callbacks):
    customer, child = household
    # The customer (工程师? no occupation: not an earner) — the child is a dependant without cover.
    assert CoverageGapSummary.objects.get(customer=customer).gaps[0]["rule"] == "dependant_uncovered"
    policy = _create(sales_a, customer, django_capture_on_commit_callbacks, insured_member=child.pk,
                     policy_type="accident")
    assert not CoverageGapSummary.objects.filter(customer=customer).exists()
    with django_capture_on_commit_callbacks(execute=True):
        policy_update(actor=sales_a, policy_id=policy.pk, data={"status": "lapsed"})
    rules = [g["rule"] for g in CoverageGapSummary.objects.get(customer=customer).gaps]
    assert rules == ["dependant_uncovered", "policy_lapsed"]
    with translation.override("en"):
        reasons = more_reasons(sales_a, [customer.pk])
    assert reasons == {customer.pk: [
        "张小明 is a dependant without any cover", "张小明: the Accident policy of 平安人寿 has lapsed"]}
    # A family change refreshes too: the child grown up and working is no dependant.
    with django_capture_on_commit_callbacks(execute=True):
        family_member_update(actor=sales_a, family_member_id=child.pk, data={"age": 25, "school_or_work": "科技公司"})
    assert [g["rule"] for g in CoverageGapSummary.objects.get(customer=customer).gaps] == [
        "no_critical_illness", "policy_lapsed"]  # … but an earner now
    with django_capture_on_commit_callbacks(execute=True):
        policy_delete(actor=sales_a, policy_id=policy.pk)
    assert [g["rule"] for g in CoverageGapSummary.objects.get(customer=customer).gaps] == ["no_critical_illness"]
    assert list(PolicyEvent.objects.filter(policy=policy).values_list("kind", flat=True).order_by("id")) == [
        "created", "lapsed", "deleted"]


def test_nightly_refresh_finds_terms_that_came_close(household, sales_a, django_capture_on_commit_callbacks):
    customer, child = household
    ends = timezone.localdate() + timedelta(days=61)
    _create(sales_a, customer, django_capture_on_commit_callbacks, insured_member=child.pk, ends_on=ends)
    assert not CoverageGapSummary.objects.filter(customer=customer).exists()
    assert gap_summaries_refresh_all(today=timezone.localdate() + timedelta(days=1), batch=1) == 1
    assert CoverageGapSummary.objects.get(customer=customer).gaps[0]["rule"] == "term_ending"


def test_call_list_page_shows_coverage_reasons(household, sales_a):
    from insights.tests.scoring_data import scores_stored  # noqa: PLC0415 - the insights suite's helper

    customer, _child = household
    scores_stored([customer])
    page = logged_in(sales_a).get(reverse("insights:call_list"))
    assert "张小明 is a dependant without any cover" in page.content.decode()
    body = ApiCaller(sales_a).get("/call-list").json()
    assert body["items"][0]["more_reasons"] == ["张小明 is a dependant without any cover"]


def test_household_page_in_both_languages_and_income(household, sales_a, django_capture_on_commit_callbacks):
    customer, child = household
    _create(sales_a, customer, django_capture_on_commit_callbacks, policy_type="critical_illness")
    url = reverse("wealth:household_coverage", args=[customer.pk])
    client = logged_in(sales_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("wealth:income_save", args=[customer.pk]),
                               {"member": "", "annual_income": "300000", "currency": "CNY"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "876,543.00" in page and "张小明" in page
    assert "张伟: life cover 0.00 CNY, below 5× income (1,500,000.00 CNY)" in page
    zh = logged_in(sales_a, "zh-hans").get(url).content.decode()
    assert "家庭保障" in zh
    bad = client.post(reverse("wealth:income_save", args=[customer.pk]), {"member": "", "annual_income": "-5"})
    assert bad.status_code == 400
    api = ApiCaller(sales_a).get(f"/customers/{customer.pk}/coverage").json()
    assert [g["rule"] for g in api["gaps"]] == ["life_cover_low", "dependant_uncovered"]
    assert api["people"][0]["earning_adult"] is True and api["people"][1]["dependant"] is True


def test_amounts_are_masked_through_every_door(household, sales_a, service_a, django_capture_on_commit_callbacks):
    customer, _child = household
    policy = _create(sales_a, customer, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        income_set(actor=sales_a, customer_id=customer.pk, family_member_id=None, annual_income=Decimal("765432"))
    secrets = ("876543", "876,543", "9753", "9,753", "765432", "765,432")
    page = logged_in(service_a).get(reverse("wealth:household_coverage", args=[customer.pk])).content.decode()
    card = logged_in(service_a).get(reverse("customers:customer_detail", args=[customer.pk]),
                                    {"part": "panels"}).content.decode()
    assert "Insurance coverage" in card
    edit = logged_in(service_a).get(reverse("wealth:policy_edit", args=[policy.pk])).content.decode()
    api = ApiCaller(service_a)
    detail, listed = api.get(f"/policies/{policy.pk}").json(), api.get("/policies").json()
    timeline = " ".join(e.detail for e in timeline_page(user=service_a, customer_id=customer.pk).entries)
    panel = card_panels(user=service_a, customer_id=customer.pk)
    doors = {"page": page, "card": card, "edit": edit, "detail": str(detail), "list": str(listed),
             "timeline": timeline, "panel": str(panel[0].context if panel else "")}
    for door, text in doors.items():
        assert not [secret for secret in secrets if secret in text], door
    assert detail["sum_insured"] == "******" and listed["items"][0]["premium"] == "******"
    assert "******" in page and "******" in timeline
    assert "张伟: life cover ****** CNY, below 5× income (****** CNY)" in page
    with translation.override("en"):
        reasons = more_reasons(service_a, [customer.pk])[customer.pk]
    assert "张伟: life cover ****** CNY, below 5× income (****** CNY)" in reasons
    # The owner sees them.
    assert "876543" in " ".join(e.detail for e in timeline_page(user=sales_a, customer_id=customer.pk).entries)
    assert ApiCaller(sales_a).get(f"/policies/{policy.pk}").json()["sum_insured"] == "876543.00"
    # A masked role's edit keeps the amounts it cannot see.
    with django_capture_on_commit_callbacks(execute=True):
        policy_update(actor=service_a, policy_id=policy.pk, data={"notes": "客户来电", "sum_insured": "******"})
    assert InsurancePolicy.objects.get(pk=policy.pk).sum_insured == Decimal("876543")


def test_timeline_shows_policy_events_with_changed_fields(household, sales_a, sales_b,
                                                         django_capture_on_commit_callbacks):
    customer, _child = household
    policy = _create(sales_a, customer, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        policy_update(actor=sales_a, policy_id=policy.pk, data={"premium": Decimal("9999"), "notes": "加保"})
        policy_update(actor=sales_a, policy_id=policy.pk, data={"status": "lapsed"})
    with translation.override("en"):
        entries = timeline_page(user=sales_a, customer_id=customer.pk, kinds=["policy"]).entries
        assert [e.title for e in entries] == ["Policy lapsed", "Policy changed", "Policy recorded"]
        assert entries[1].detail.endswith("changed: notes, premium")
        assert entries[0].badge_class == "bad"
        assert "Life of 平安人寿 for the customer, sum insured 876543.00 CNY" in entries[2].detail
    assert timeline_page(user=sales_b, customer_id=customer.pk, kinds=["policy"]).entries == []
