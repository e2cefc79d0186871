"""`kehu demo` service agreements (service.demo_sla): organisation customers only, expiring, expired and
active ones, SLA grants that pass the model's checks, and the same seed gives the same agreements."""

import pytest
from django.db.models import Max, Min
from django.utils import timezone

from core import registry
from customers.demo import demo_load
from customers.models import Customer
from service import demo_sla
from service.models import ServiceAgreement
from service.models.sla import clean_sla_terms

pytestmark = pytest.mark.django_db


def _generate(seed):
    ids = Customer.objects.aggregate(first=Min("pk"), last=Max("pk"))
    calls = []
    demo_sla.generate(first_customer_id=ids["first"], last_customer_id=ids["last"], seed=seed,
                      progress=lambda *args: calls.append(args))
    return calls


def test_demo_agreements():
    assert demo_sla.generate in registry.get_all("demo_generators")
    demo_load(customers=300, seed=5)
    calls = _generate(5)
    assert calls[-1][1] == calls[-1][2] > 0
    agreements = list(ServiceAgreement.objects.select_related("customer"))
    assert agreements and {a.customer.kind for a in agreements} == {"organisation"}
    today = timezone.localdate()
    statuses = {a.status_on(today, 30) for a in agreements}
    # Which shapes a few dozen draws give depends on the customers' ids (the stream is seeded with them):
    # agreements in force are most of them; the others are expiring or expired ones, never "not yet".
    assert "active" in statuses and statuses <= {"active", "expiring", "expired"}
    for agreement in agreements:
        assert agreement.starts_on <= today and agreement.starts_on <= agreement.ends_on
        assert clean_sla_terms(agreement.sla) == agreement.sla
    first = sorted(ServiceAgreement.objects.values_list("customer_id", "number", "level", "ends_on"))
    ServiceAgreement.objects.all().delete()
    _generate(5)
    assert sorted(ServiceAgreement.objects.values_list("customer_id", "number", "level", "ends_on")) == first
