"""The HTML card's read (customers.selectors.customer_card_instances): the instances the plain-ORM
reference customer_card() (customers/tests/reference.py) gives, from compiled SQL, for every role;
the page's queries."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import selectors, services
from customers.choices import KEY_PERSON_DIMENSIONS
from customers.models import Customer
from customers.selectors import CARD_CONTACT_FIELDS, CARD_FAMILY_FIELDS
from customers.tests import reference

_SCORES = {f: 4 for f, _label in KEY_PERSON_DIMENSIONS}


@pytest.fixture
def filled(make_customer, sales_a, sales_b):
    """A person and an organisation of team A with contacts, family, tags and sensitive values."""
    person = make_customer(sales_a, name="张伟", phone="138-1234-5678", phone_alt="139-0000-1111",
                           id_number="110101199003071233", city="北京")
    org = make_customer(sales_a, name="华为技术有限公司", kind="organisation")
    sales_a.first_name, sales_a.last_name = "敏", "张"
    sales_a.save()
    for customer in (person, org):
        services.contact_create(actor=sales_a, customer_id=customer.pk,
                                data={"name": "王芳", "phone": "137-1111-2222", **_SCORES})
        services.contact_create(actor=sales_a, customer_id=customer.pk, data={"name": "刘洋", "phone": ""})
    services.family_member_create(actor=sales_a, customer_id=person.pk, data={"name": "张小", "relation": "child"})
    for name in ("a.txt", "b.txt"):
        services.document_upload(actor=sales_a, customer_id=person.pk,
                                 upload=SimpleUploadedFile(name, b"x", content_type="text/plain"))
    for name in ("VIP", "老客户"):
        services.customers_bulk_add_tag(actor=sales_a, customer_ids=[person.pk, org.pk],
                                        tag=services.tag_create(actor=sales_a, name=name))
    return [person, org]


def _card_facts(card):
    c = card.customer
    return {
        "customer": {f.attname: getattr(c, f.attname) for f in Customer._meta.concrete_fields},
        "masked": c._masked,
        "owner": (c.owner.pk, str(c.owner)),
        "team": (c.team.pk, str(c.team)) if c.team else None,
        "contacts": [({f: getattr(x, f) for f in CARD_CONTACT_FIELDS}, x.relationship_score, x._masked)
                     for x in card.contacts],
        "family": [({f: getattr(x, f) for f in CARD_FAMILY_FIELDS}, x.get_relation_display())
                   for x in card.family_members],
        "can": (card.can_change, card.can_delete, card.can_transfer),
    }


@pytest.mark.parametrize("role", ["sales_a", "manager_a", "admin_user", "analyst", "service_a"])
def test_card_read_is_customer_card(request, filled, role):
    user = request.getfixturevalue(role)
    for customer in filled:
        expected = reference.customer_card(user=user, customer_id=customer.pk)
        card = selectors.customer_card_instances(user=user, customer_id=customer.pk)
        assert _card_facts(card) == _card_facts(expected)
        assert [t.name for t in card.tags] == [t.name for t in expected.customer.tags.all()]
        assert card.documents_count is None
        counted = selectors.customer_card_instances(user=user, customer_id=customer.pk, count_documents=True)
        assert _card_facts(counted) == _card_facts(expected)
        assert counted.documents_count == len(expected.documents) == (2 if customer is filled[0] else 0)


def test_card_read_masks_for_the_analyst(filled, analyst):
    card = selectors.customer_card_instances(user=analyst, customer_id=filled[0].pk)
    assert card.customer.phone == "138****5678" and card.customer.phone_alt == "139****1111"
    assert "110101199003071233" not in card.customer.id_number
    assert all("1111-2222" not in c.phone for c in card.contacts)


def test_card_read_keeps_the_scope(filled, sales_b):
    with pytest.raises(Customer.DoesNotExist):
        selectors.customer_card_instances(user=sales_b, customer_id=filled[0].pk)


def test_card_page_queries_are_compiled_once(filled, client_for, sales_a, monkeypatch, settings):
    """The profile tab: session, user, customer (with owner, team and permissions), tags, contacts,
    family, documents count, the bell's unread notifications and the access row; on PostgreSQL the
    five reads of the card are one round trip. After the first request none of the card's reads is
    turned into SQL by the ORM again."""
    settings.KEHU_COMPILED_VERIFY = False  # the tests' check compiles every call: production does not
    client = client_for(sales_a)
    url = reverse("customers:customer_detail", args=[filled[0].pk])
    assert client.get(url).status_code == 200
    compiled_tables: list[str] = []
    as_sql = SQLCompiler.as_sql

    def spy(self, *args, **kwargs):
        compiled_tables.append(self.query.model._meta.db_table)
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", spy)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(reads) == (4 if connection.vendor == "postgresql" else 8), reads
    assert not [t for t in compiled_tables if t.startswith("customers_")], compiled_tables
