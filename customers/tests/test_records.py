"""The records layer (customers.records) on the card's records: the standard suite for contacts,
family members and documents, and the layer's own rules (one 404/403 answer, errors on the form,
pages a declaration does not have)."""

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from core.concurrency import VersionedFormMixin
from core.forms import add_errors
from customers import services
from customers.forms import FamilyMemberForm
from customers.models import Contact
from customers.records.access import customer_or_404, record_or_404
from customers.records.base import RecordKind
from customers.records.testing import RecordSuite
from customers.records.views import versioned
from customers.views import CONTACT_PAGES, DOCUMENT_PAGES, FAMILY_PAGES


class TestContactRecords(RecordSuite):
    pages = CONTACT_PAGES
    urls = {"add": "customers:contact_add", "edit": "customers:contact_edit", "delete": "customers:contact_delete"}
    record_data = {"name": "王芳", "title": "CFO"}
    add_form = {"name": "刘洋", "title": "采购经理"}
    edit_form = {"name": "刘洋", "title": "总经理"}
    queries = {"add": 5, "edit": 5, "delete": 5}


class TestFamilyMemberRecords(RecordSuite):
    pages = FAMILY_PAGES
    urls = {"add": "customers:family_add", "edit": "customers:family_edit", "delete": "customers:family_delete"}
    record_data = {"name": "李娜", "relation": "spouse"}
    add_form = {"name": "张小明", "relation": "child", "age": "8"}
    edit_form = {"name": "张小明", "relation": "child", "age": "9"}
    queries = {"add": 5, "edit": 5, "delete": 5}


class TestDocumentRecords(RecordSuite):
    """Documents are uploaded and downloaded by their own views; the layer deletes them."""

    pages = DOCUMENT_PAGES
    urls = {"delete": "customers:document_delete"}
    queries = {"delete": 5}

    def make(self, actor, customer):
        return services.document_upload(actor=actor, customer_id=customer.pk,
                                        upload=SimpleUploadedFile("offer.txt", b"offer", content_type="text/plain"))


# --- the one 404/403 answer ----------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def test_customer_or_404_hides_other_teams_and_refuses_missing_rights(customer_a, sales_a, sales_b, analyst):
    assert customer_or_404(sales_a, customer_a.pk, "change").pk == customer_a.pk
    with pytest.raises(Http404):
        customer_or_404(sales_b, customer_a.pk)
    with pytest.raises(Http404):
        customer_or_404(sales_a, customer_a.pk + 1000)
    assert customer_or_404(analyst, customer_a.pk).pk == customer_a.pk
    with pytest.raises(PermissionDenied):
        customer_or_404(analyst, customer_a.pk, "change")
    # Sales may change but not delete.
    with pytest.raises(PermissionDenied):
        customer_or_404(sales_a, customer_a.pk, "delete")


def test_customer_or_404_masks_for_the_role(customer_a, sales_a, analyst):
    assert customer_or_404(sales_a, customer_a.pk).id_number != customer_a.id_number
    assert "*" in customer_or_404(analyst, customer_a.pk).phone


def test_record_or_404_answers_as_the_customer_does(customer_a, sales_a, sales_b, analyst, django_assert_num_queries):
    contact = services.contact_create(actor=sales_a, customer_id=customer_a.pk, data={"name": "王芳"})
    with django_assert_num_queries(1):
        assert record_or_404(Contact, sales_a, contact.pk).customer.pk == customer_a.pk
    with pytest.raises(Http404):
        record_or_404(Contact, sales_b, contact.pk, "change")
    with pytest.raises(PermissionDenied) as denied:
        record_or_404(Contact, analyst, contact.pk, "change", denied="Not this contact.")
    assert str(denied.value) == "Not this contact."
    services.contact_delete(actor=sales_a, contact_id=contact.pk)
    with pytest.raises(Http404):
        record_or_404(Contact, sales_a, contact.pk)


def test_service_errors_land_next_to_their_fields(sales_a):
    form = FamilyMemberForm({"name": "李娜", "relation": "spouse"}, user=sales_a)
    assert form.is_valid()
    add_errors(form, ValidationError({"name": "Too long.", "school": "Unknown.", "years": "Bad."}),
               aliases={"years": "age"})
    assert form.errors["name"] == ["Too long."]
    assert form.errors["age"] == ["Bad."]
    assert form.non_field_errors() == ["Unknown."]
    plain = FamilyMemberForm({"name": "李娜", "relation": "spouse"}, user=sales_a)
    plain.is_valid()
    add_errors(plain, ValidationError("Not now."))
    assert plain.non_field_errors() == ["Not now."]


def test_a_kind_whose_update_cannot_check_a_version_is_refused_at_start():
    def contact_update(*, actor, contact_id, data):  # no expected_version=: lost updates
        raise AssertionError("never called")

    with pytest.raises(ImproperlyConfigured, match="expected_version"):
        RecordKind(model=Contact, id_kwarg="contact_id", create=services.contact_create, update=contact_update,
                   delete=services.contact_delete)


def test_the_edit_form_is_the_declared_form_with_a_version(sales_a):
    form_class = versioned(FamilyMemberForm)
    assert versioned(FamilyMemberForm) is form_class and versioned(form_class) is form_class  # made once
    assert issubclass(form_class, FamilyMemberForm) and issubclass(form_class, VersionedFormMixin)
    form = form_class({"name": "李娜", "relation": "spouse", "version": "17"}, user=sales_a)
    assert form.is_valid() and form.expected_version == "17" and "version" not in form.cleaned_data
    assert "version" not in FamilyMemberForm({"name": "李娜", "relation": "spouse"}, user=sales_a).fields


def test_a_page_the_declaration_does_not_have_is_refused_at_start():
    with pytest.raises(ImproperlyConfigured):
        DOCUMENT_PAGES.view("add")  # documents are uploaded, not added through the layer
    with pytest.raises(ImproperlyConfigured):
        CONTACT_PAGES.view("list")
    with pytest.raises(ValueError):
        CONTACT_PAGES.view("merge")
