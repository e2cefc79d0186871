"""The customer pages: list, card, forms, bulk actions, documents, trash — scoping, masking, audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AccessLog, ObjectChange
from core.testing import assert_query_baseline
from customers import services, views
from customers.models import Contact, Customer, CustomerDocument, FamilyMember, OwnershipTransfer, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client):
    """Pages in English, so assertions can name messages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _url(name, *args):
    return reverse(f"customers:{name}", args=args)


def _names_in(html: str) -> list[str]:
    """Customer names linked from the list, in page order."""
    return re.findall(r'<td class="name"><a href="/customers/\d+/">([^<]+)</a>', html)


def _org(owner, name="华为技术有限公司", **data):
    return services.customer_create(actor=owner, owner=owner, data={"kind": "organisation", "name": name, **data})


# --- list ------------------------------------------------------------------------------------------

def test_list_shows_only_the_users_scope(client_for, customer_a, customer_b, sales_a, sales_b, analyst):
    html = client_for(sales_a).get(_url("customer_list")).content.decode()
    assert "张伟" in html and "李娜" not in html
    html = client_for(sales_b).get(_url("customer_list")).content.decode()
    assert "李娜" in html and "张伟" not in html
    html = client_for(analyst).get(_url("customer_list")).content.decode()
    assert "张伟" in html and "李娜" in html


def test_list_requires_login(client, customer_a):
    response = client.get(_url("customer_list"))
    assert response.status_code == 302
    assert "张伟" not in response.content.decode()


def test_list_filters(client_for, make_customer, sales_a):
    vip = services.tag_create(actor=sales_a, name="VIP")
    a = make_customer(sales_a, name="王芳", city="北京", risk_preference="aggressive")
    make_customer(sales_a, name="刘洋", city="上海", risk_preference="conservative")
    _org(sales_a, name="阿里巴巴", city="杭州", industry="互联网")
    services.customers_bulk_add_tag(actor=sales_a, customer_ids=[a.pk], tag=vip)
    client = client_for(sales_a)

    def names(**params):
        return sorted(_names_in(client.get(_url("customer_list"), params).content.decode()))

    assert names() == sorted(["王芳", "刘洋", "阿里巴巴"])
    assert names(kind="organisation") == ["阿里巴巴"]
    assert names(kind="person") == sorted(["王芳", "刘洋"])
    assert names(city="上海") == ["刘洋"]
    assert names(industry="互联网") == ["阿里巴巴"]
    assert names(risk_preference="aggressive") == ["王芳"]
    assert names(tag=vip.pk) == ["王芳"]
    assert names(owner=sales_a.pk) == sorted(["王芳", "刘洋", "阿里巴巴"])
    assert names(team=sales_a.team_id) == sorted(["王芳", "刘洋", "阿里巴巴"])


def test_list_sort(client_for, make_customer, sales_a):
    for name in ["Bob", "Alice", "Carol"]:
        make_customer(sales_a, name=name)
    client = client_for(sales_a)
    assert _names_in(client.get(_url("customer_list"), {"sort": "name"}).content.decode()) == ["Alice", "Bob", "Carol"]
    assert _names_in(client.get(_url("customer_list"), {"sort": "-name"}).content.decode()) == ["Carol", "Bob", "Alice"]
    assert _names_in(client.get(_url("customer_list"), {"sort": "-created"}).content.decode()) == [
        "Carol", "Alice", "Bob"]


def test_list_keyset_pages_forward_and_back(client_for, make_customer, sales_a, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 10)
    for i in range(25):
        make_customer(sales_a, name=f"客户{i:02d}")
    client = client_for(sales_a)
    seen = []
    url = _url("customer_list") + "?sort=name"
    pages = []
    while url:
        html = client.get(url).content.decode()
        page = _names_in(html)
        pages.append(page)
        seen += page
        nxt = re.search(r'rel="next" href="([^"]+)"', html)
        url = _url("customer_list") + nxt.group(1).replace("&amp;", "&") if nxt else None
    assert [len(p) for p in pages] == [10, 10, 5]
    assert seen == [f"客户{i:02d}" for i in range(25)]
    prev = re.search(r'rel="prev" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert _names_in(client.get(_url("customer_list") + prev).content.decode()) == pages[1]


def test_list_bad_cursor_falls_back_to_first_page(client_for, customer_a, sales_a):
    response = client_for(sales_a).get(_url("customer_list"), {"cursor": "garbage!"})
    assert response.status_code == 200
    assert "张伟" in response.content.decode()


def test_list_query_count_and_never_counts_the_table(client_for, make_customer, sales_a):
    """The same queries for a page of 3 rows and of 30 (nothing is read per row), and no count."""
    tag = services.tag_create(actor=sales_a, name="重点")
    client = client_for(sales_a)
    for n in (3, 30):
        ids = [make_customer(sales_a, phone=f"1380000{i:04d}").pk for i in range(n - Customer.objects.count())]
        services.customers_bulk_add_tag(actor=sales_a, customer_ids=ids, tag=tag)
        with CaptureQueriesContext(connection) as ctx:
            response = assert_query_baseline("customers.list", lambda: client.get(_url("customer_list")))
        assert response.status_code == 200
        assert len(_names_in(response.content.decode())) == n
        assert not [q for q in ctx.captured_queries  # the bell counts notifications, not customers
                    if "COUNT(" in q["sql"].upper() and "work_notification" not in q["sql"]]


def test_list_selects_show_the_forms_own_options_read_once(
    en, client_for, customer_a, manager_a, sales_a, make_user, team_a
):
    """The owners and tags of the filter and bulk forms are read once for the page; the selects are
    the ones the forms render themselves (labels, the empty choice, the selected value)."""
    from django.utils import translation

    from customers.forms import BulkActionForm, CustomerFilterForm

    make_user("sales", team_a, username="sales_x", first_name="晓", last_name="李")
    tag = services.tag_create(actor=manager_a, name="<VIP>")
    client = client_for(manager_a)
    params = {"owner": sales_a.pk, "tag": tag.pk}
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(_url("customer_list"), params).content.decode()
    with translation.override("en"):
        filter_form = CustomerFilterForm(params, user=manager_a)
        bulk_form = BulkActionForm(user=manager_a)
        for field in (filter_form["owner"], filter_form["team"], filter_form["tag"], bulk_form["to_user"],
                      bulk_form["tag"]):
            assert str(field) in html, field.name
    assert "&lt;VIP&gt;" in html and "<VIP>" not in html
    owner_lists = [q for q in ctx.captured_queries if q["sql"].endswith('"accounts_user"."username" ASC')]
    tag_lists = [q for q in ctx.captured_queries if q["sql"].endswith('ORDER BY "customers_tag"."name" ASC')
                 and "customers_customer_tags" not in q["sql"]]
    assert len(owner_lists) == 1 and len(tag_lists) == 1


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_list_filter_labels_are_the_forms_own(client_for, customer_a, sales_a, language):
    """The filter labels, rendered once per language, are the ones each bound field renders."""
    from django.utils import translation

    from customers.forms import CustomerFilterForm

    client = client_for(sales_a)
    for params in ({}, {"city": "北京", "owner": "x"}):
        html = client.get(_url("customer_list"), params, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        with translation.override(language):
            for field in CustomerFilterForm(params or None, user=sales_a):
                assert f'">{field.label_tag()}{field}' in html, field.name


def test_list_rows_escape_and_show_owner_team_tags_dates(en, client_for, make_customer, sales_a):
    customer = make_customer(sales_a, name="<b>张</b>", industry="A&B", city="北京")
    services.customers_bulk_add_tag(actor=sales_a, customer_ids=[customer.pk],
                                    tag=services.tag_create(actor=sales_a, name="x<y"))
    html = client_for(sales_a).get(_url("customer_list")).content.decode()
    assert "&lt;b&gt;张&lt;/b&gt;" in html and "<b>张</b>" not in html
    assert '<div class="muted small">A&amp;B</div>' in html and '<span class="tag">x&lt;y</span>' in html
    assert f"<td>{sales_a}</td><td>{sales_a.team.name}</td>" in html
    assert 'aria-label="Select &lt;b&gt;张&lt;/b&gt;"' in html
    assert '<span class="badge warn">stale</span>' not in html  # verified at creation
    Customer.objects.filter(pk=customer.pk).update(last_verified_at=Customer.stale_before() - timedelta(days=1))
    html = client_for(sales_a).get(_url("customer_list")).content.decode()
    assert '<span class="badge warn">stale</span>' in html
    services.customer_mark_verified(actor=sales_a, customer_id=customer.pk)
    html = client_for(sales_a).get(_url("customer_list")).content.decode()
    assert '<span class="badge warn">stale</span>' not in html


def test_list_masks_phones_for_analyst(client_for, customer_a, analyst, sales_a):
    html = client_for(analyst).get(_url("customer_list")).content.decode()
    assert "138****5678" in html
    assert "138-1234-5678" not in html
    html = client_for(sales_a).get(_url("customer_list")).content.decode()
    assert "138-1234-5678" in html


def test_list_bulk_controls_follow_permissions(en, client_for, customer_a, sales_a, manager_a, analyst):
    html = client_for(sales_a).get(_url("customer_list")).content.decode()
    assert 'value="tag"' in html and 'value="transfer"' not in html
    html = client_for(manager_a).get(_url("customer_list")).content.decode()
    assert 'value="tag"' in html and 'value="transfer"' in html
    html = client_for(analyst).get(_url("customer_list")).content.decode()
    assert 'name="ids"' not in html
    assert _url("customer_export") in html


# --- card ------------------------------------------------------------------------------------------

def test_person_card_shows_its_blocks_and_masks_id_number_for_sales(en, client_for, customer_a, sales_a):
    client = client_for(sales_a)
    response = assert_query_baseline("customers.detail", lambda: client.get(_url("customer_detail", customer_a.pk)))
    html = response.content.decode()
    for legend in ["Basic data", "Personal details", "Transaction status"]:
        assert legend in html
    # A person has no legal form, sales capacity or staff quality: the organisation's blocks stay off.
    for legend in ["Organisation details", "Characteristics", "Business status"]:
        assert legend not in html
    assert "**************1233" in html
    assert "110101199003071233" not in html
    assert "138-1234-5678" in html  # sales may see phones


def test_card_masks_phone_for_analyst_and_hides_buttons(en, client_for, customer_a, analyst):
    html = client_for(analyst).get(_url("customer_detail", customer_a.pk)).content.decode()
    assert "138****5678" in html and "138-1234-5678" not in html
    assert "**************1233" in html
    for name in ("customer_edit", "customer_verify", "customer_delete", "customer_transfer"):
        assert _url(name, customer_a.pk) not in html


def test_card_buttons_for_manager(en, client_for, customer_a, manager_a):
    html = client_for(manager_a).get(_url("customer_detail", customer_a.pk)).content.decode()
    for name in ("customer_edit", "customer_verify", "customer_delete", "customer_transfer"):
        assert _url(name, customer_a.pk) in html
    assert "110101199003071233" in html  # managers see everything


def test_card_shows_stale_badge_until_verified(en, client_for, customer_a, sales_a):
    client = client_for(sales_a)
    Customer.objects.filter(pk=customer_a.pk).update(last_verified_at=Customer.stale_before() - timedelta(days=1))
    assert ">stale<" in client.get(_url("customer_detail", customer_a.pk)).content.decode()
    response = client.post(_url("customer_verify", customer_a.pk), follow=True)
    assert "Marked as verified today." in response.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.last_verified_at is not None
    assert ObjectChange.objects.filter(object_id=customer_a.pk, action="verify", user=sales_a).exists()
    assert ">stale<" not in client.get(_url("customer_detail", customer_a.pk)).content.decode()


def test_verify_returns_to_a_safe_next_page(client_for, customer_a, sales_a):
    client = client_for(sales_a)
    assert client.post(_url("customer_verify", customer_a.pk), {"next": "/"})["Location"] == "/"
    elsewhere = client.post(_url("customer_verify", customer_a.pk), {"next": "https://evil.example/"})
    assert elsewhere["Location"] == _url("customer_detail", customer_a.pk)


def test_card_view_writes_one_access_row(client_for, customer_a, sales_a):
    client_for(sales_a).get(_url("customer_detail", customer_a.pk))
    logs = list(AccessLog.objects.filter(customer_id=customer_a.pk))
    assert len(logs) == 1
    assert (logs[0].action, logs[0].user, logs[0].source) == ("view", sales_a, "web")


@pytest.mark.parametrize("tab", ["profile", "family", "documents", "history"])
def test_card_tabs_render(client_for, customer_a, sales_a, tab):
    client = client_for(sales_a)
    response = assert_query_baseline(f"customers.detail.{tab}",
                                     lambda: client.get(_url("customer_detail", customer_a.pk), {"tab": tab}))
    assert response.status_code == 200


# The loop the card's profile tab rendered its blocks with before customer_blocks_html.
_BLOCKS_LOOP = """{% load customer_tags %}{% customer_blocks customer as blocks %}{% for block in blocks %}
    <div class="card block block-{{ block.key }}">
      <h2>{{ block.legend }}</h2>
      <dl class="facts">
        {% for label, value in block.rows %}
        <dt>{{ label|capfirst }}</dt><dd>{% if value %}{{ value }}{% else %}<span class="muted">—</span>{% endif %}</dd>
        {% endfor %}
      </dl>
    </div>
  {% endfor %}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_card_blocks_markup_is_the_template_loops(customer_a, sales_a, analyst, language):
    from django.template import engines
    from django.utils import translation

    from customers import selectors
    from customers.templatetags.customer_tags import customer_blocks_html

    org = _org(sales_a, name="<A&B> 公司", assets="1234567.8", special_notes="x < y", industry="金融")
    shown = []
    for user, customer in ((sales_a, customer_a), (analyst, customer_a), (sales_a, org), (analyst, org)):
        card = selectors.customer_card_instances(user=user, customer_id=customer.pk)
        with translation.override(language):
            expected = engines["django"].from_string(_BLOCKS_LOOP).render({"customer": card.customer})
            assert customer_blocks_html(card.customer) == expected
        shown.append(expected)
    assert "<dd>x &lt; y</dd>" in shown[2] and "138****5678" in shown[1]  # escaped; masked for the analyst


def test_card_counts_documents_without_reading_them(client_for, customer_a, sales_a):
    _upload(client_for(sales_a), customer_a)
    with CaptureQueriesContext(connection) as ctx:
        html = client_for(sales_a).get(_url("customer_detail", customer_a.pk)).content.decode()
    documents = [q["sql"] for q in ctx.captured_queries if "customers_customerdocument" in q["sql"]]
    assert len(documents) == 1 and "COUNT(" in documents[0].upper()
    assert re.search(r'\?tab=documents" role="tab" aria-selected="false">[^<]+ <span class="count">1</span>', html)
    html = client_for(sales_a).get(_url("customer_detail", customer_a.pk), {"tab": "documents"}).content.decode()
    assert "proposal.pdf" in html and '<span class="count">1</span>' in html


@pytest.mark.parametrize("name", ["customer_detail", "customer_edit", "customer_transfer", "customer_delete",
                                  "contact_add", "family_add", "document_upload"])
def test_other_team_gets_404(client_for, customer_a, sales_b, name):
    response = client_for(sales_b).get(_url(name, customer_a.pk))
    assert response.status_code == 404
    assert not AccessLog.objects.filter(customer_id=customer_a.pk).exists()


def test_other_team_gets_404_on_posts(client_for, customer_a, sales_b):
    client = client_for(sales_b)
    assert client.post(_url("customer_verify", customer_a.pk)).status_code == 404
    assert client.post(_url("customer_delete", customer_a.pk)).status_code == 404
    assert client.post(_url("customer_edit", customer_a.pk), {"name": "X", "kind": "person"}).status_code == 404
    customer_a.refresh_from_db()
    assert customer_a.name == "张伟" and customer_a.deleted_at is None


def test_unknown_customer_is_404(client_for, sales_a):
    assert client_for(sales_a).get(_url("customer_detail", 999999)).status_code == 404


def test_history_tab_shows_before_and_after_masked(en, client_for, customer_a, sales_a, manager_a):
    services.customer_update(actor=manager_a, customer_id=customer_a.pk,
                             data={"city": "深圳", "id_number": "110101199003075672"})
    html = client_for(sales_a).get(_url("customer_detail", customer_a.pk), {"tab": "history"}).content.decode()
    assert "北京" in html and "深圳" in html
    assert "manager_a" in html
    assert "110101199003075672" not in html and "110101199003071233" not in html
    assert "**************5672" in html
    html = client_for(manager_a).get(_url("customer_detail", customer_a.pk), {"tab": "history"}).content.decode()
    assert "110101199003075672" in html


# --- create and edit -------------------------------------------------------------------------------

def _card_post(**extra):
    data = {"kind": "person", "name": "陈静", "assets_currency": "CNY", "email": "chenjing@example.cn",
            "phone": "137 0000 1111"}
    data.update(extra)
    return data


def test_create_with_invalid_email_shows_error_and_saves_nothing(en, client_for, sales_a):
    before = Customer.objects.count()
    response = client_for(sales_a).post(_url("customer_add"), _card_post(email="not-an-email"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "Nothing was saved" in html
    assert Customer.objects.count() == before
    assert not ObjectChange.objects.filter(object_type="customers.customer").exists()


def test_create_requires_name_and_valid_phone(en, client_for, sales_a):
    response = client_for(sales_a).post(_url("customer_add"), _card_post(name="", phone="call me"))
    html = response.content.decode()
    assert "This field is required." in html
    assert "A phone number may contain only digits" in html
    assert not Customer.objects.exists()


def test_create_through_the_service(en, client_for, sales_a):
    tag = services.tag_create(actor=sales_a, name="VIP")
    response = client_for(sales_a).post(
        _url("customer_add"), _card_post(tags=[tag.pk], hobbies="围棋", birthday="1985-03-02"), follow=True
    )
    customer = Customer.objects.get(name="陈静")
    assert response.redirect_chain[-1][0] == _url("customer_detail", customer.pk)
    assert "Customer saved." in response.content.decode()
    assert customer.owner == sales_a and customer.team == sales_a.team
    assert customer.name_initials == "cj"
    assert list(customer.tags.all()) == [tag]
    assert str(customer.birthday) == "1985-03-02"
    created = ObjectChange.objects.get(object_type="customers.customer", object_id=customer.pk, action="create")
    assert created.user == sales_a


def test_create_organisation_with_owner_chosen_by_manager(en, client_for, manager_a, sales_a):
    data = _card_post(kind="organisation", name="腾讯", industry="互联网", assets="1234567.5", owner=sales_a.pk)
    client_for(manager_a).post(_url("customer_add"), data)
    customer = Customer.objects.get(name="腾讯")
    assert customer.owner == sales_a and customer.kind == "organisation"
    html = client_for(manager_a).get(_url("customer_detail", customer.pk)).content.decode()
    assert "CNY 1,234,567.50" in html
    assert "Organisation details" in html


def test_sales_cannot_choose_another_owner(client_for, sales_a, manager_a):
    html = client_for(sales_a).get(_url("customer_add")).content.decode()
    assert 'name="owner"' not in html
    client_for(sales_a).post(_url("customer_add"), _card_post(owner=manager_a.pk))
    assert Customer.objects.get(name="陈静").owner == sales_a


def test_analyst_may_not_create_or_edit(client_for, analyst, customer_a):
    client = client_for(analyst)
    assert client.get(_url("customer_add")).status_code == 403
    assert client.get(_url("customer_edit", customer_a.pk)).status_code == 403
    assert client.post(_url("customer_verify", customer_a.pk)).status_code == 403


def test_edit_shows_current_values_and_records_the_change(en, client_for, customer_a, sales_a):
    client = client_for(sales_a)
    html = client.get(_url("customer_edit", customer_a.pk)).content.decode()
    assert 'value="张伟"' in html and 'value="北京"' in html
    assert 'name="id_number"' not in html  # sales sees it masked, so may not overwrite it
    assert "**************1233" in html
    response = client.post(_url("customer_edit", customer_a.pk), _card_post(name="张伟", city="天津"))
    assert response.status_code == 302
    customer_a.refresh_from_db()
    assert customer_a.city == "天津"
    assert customer_a.id_number == "110101199003071233"
    change = ObjectChange.objects.get(object_id=customer_a.pk, action="update")
    assert change.changes["city"] == ["北京", "天津"]
    assert "id_number" not in change.changes


def test_edit_invalid_saves_nothing(en, client_for, customer_a, sales_a):
    response = client_for(sales_a).post(_url("customer_edit", customer_a.pk), _card_post(email="bad@", city="天津"))
    assert "Enter a valid email address." in response.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.city == "北京"


def test_edit_keeps_a_unique_external_id(client_for, sales_a, make_customer):
    customer = make_customer(sales_a, name="Ext", external_id="CRM-1")
    response = client_for(sales_a).post(_url("customer_edit", customer.pk), _card_post(name="Ext", external_id="CRM-1"))
    assert response.status_code == 302


# --- delete, transfer, trash -----------------------------------------------------------------------

def test_delete_requires_the_capability(client_for, customer_a, sales_a, manager_a):
    assert client_for(sales_a).post(_url("customer_delete", customer_a.pk)).status_code == 403
    response = client_for(manager_a).post(_url("customer_delete", customer_a.pk))
    assert response.status_code == 302
    customer_a.refresh_from_db()
    assert customer_a.deleted_at is not None
    assert client_for(manager_a).get(_url("customer_detail", customer_a.pk)).status_code == 404


def test_transfer_records_who_when_why(en, client_for, customer_a, manager_a, make_user, team_a, sales_a):
    colleague = make_user("sales", team_a, username="colleague")
    client = client_for(manager_a)
    response = client.post(_url("customer_transfer", customer_a.pk), {"to_user": colleague.pk, "reason": ""})
    assert "This field is required." in response.content.decode()
    client.post(_url("customer_transfer", customer_a.pk), {"to_user": colleague.pk, "reason": "休假"})
    transfer = OwnershipTransfer.objects.get(customer=customer_a)
    assert (transfer.from_user, transfer.to_user, transfer.actor, transfer.reason) == (
        sales_a, colleague, manager_a, "休假")
    html = client.get(_url("customer_detail", customer_a.pk), {"tab": "history"}).content.decode()
    assert "休假" in html and "colleague" in html


def test_sales_may_not_transfer(client_for, customer_a, sales_a):
    assert client_for(sales_a).get(_url("customer_transfer", customer_a.pk)).status_code == 403


def test_trash_and_restore_are_for_administrators(en, client_for, customer_a, admin_user, manager_a, sales_a):
    services.customer_delete(actor=manager_a, customer_id=customer_a.pk)
    assert client_for(manager_a).get(_url("customer_trash")).status_code == 403
    assert client_for(sales_a).get(_url("customer_trash")).status_code == 403
    assert client_for(manager_a).post(_url("customer_restore", customer_a.pk)).status_code == 403
    client = client_for(admin_user)
    html = client.get(_url("customer_trash")).content.decode()
    assert "张伟" in html
    response = client.post(_url("customer_restore", customer_a.pk), follow=True)
    assert "restored" in response.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.deleted_at is None
    assert ObjectChange.objects.filter(object_id=customer_a.pk, action="restore", user=admin_user).exists()
    assert client.post(_url("customer_restore", customer_a.pk)).status_code == 404  # not deleted any more


# --- bulk actions ----------------------------------------------------------------------------------

def test_bulk_transfer_is_recorded(en, client_for, make_customer, sales_a, manager_a, make_user, team_a):
    colleague = make_user("sales", team_a, username="colleague")
    ids = [make_customer(sales_a, name=f"客户{i}").pk for i in range(3)]
    response = client_for(manager_a).post(
        _url("customer_bulk"),
        {"action": "transfer", "ids": ids, "to_user": colleague.pk, "reason": "重新分配", "next": "/customers/?city=x",
         "confirmed": "1"},
        follow=True,
    )
    assert response.redirect_chain[0][0] == "/customers/?city=x"
    assert "3 customers now belong to colleague." in response.content.decode()
    assert set(Customer.objects.filter(pk__in=ids).values_list("owner_id", flat=True)) == {colleague.pk}
    assert OwnershipTransfer.objects.filter(customer_id__in=ids, reason="重新分配", actor=manager_a).count() == 3
    assert ObjectChange.objects.filter(object_id__in=ids, action="transfer").count() == 3


def test_bulk_transfer_is_all_or_nothing(en, client_for, customer_a, customer_b, manager_a, make_user, team_a):
    colleague = make_user("sales", team_a, username="colleague")
    response = client_for(manager_a).post(
        _url("customer_bulk"),
        {"action": "transfer", "ids": [customer_a.pk, customer_b.pk], "to_user": colleague.pk, "reason": "x",
         "confirmed": "1"},
        follow=True,
    )
    assert "not yours to transfer" in response.content.decode()
    assert not OwnershipTransfer.objects.exists()
    customer_a.refresh_from_db()
    assert customer_a.owner != colleague


def test_bulk_transfer_asks_for_confirmation_first(en, client_for, make_customer, sales_a, manager_a, make_user,
                                                  team_a):
    """Like delete, refund and merge: the first post only asks; nothing moves until confirmed."""
    colleague = make_user("sales", team_a, username="colleague")
    ids = [make_customer(sales_a, name=f"客户{i}").pk for i in range(2)]
    client = client_for(manager_a)
    post = {"action": "transfer", "ids": ids, "to_user": colleague.pk, "reason": "重新分配", "next": "/customers/?q=x"}
    response = client.post(_url("customer_bulk"), post)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Transfer 2 customers to colleague?" in html and "重新分配" in html
    assert 'name="confirmed" value="1"' in html and html.count('name="ids"') == 2
    assert 'href="/customers/?q=x"' in html  # cancel goes back to the list as it was
    assert not OwnershipTransfer.objects.exists()
    assert set(Customer.objects.filter(pk__in=ids).values_list("owner_id", flat=True)) == {sales_a.pk}
    response = client.post(_url("customer_bulk"), {**post, "confirmed": "1"}, follow=True)
    assert "2 customers now belong to colleague." in response.content.decode()
    assert OwnershipTransfer.objects.count() == 2


def test_bulk_transfer_needs_a_reason(en, client_for, customer_a, manager_a):
    response = client_for(manager_a).post(
        _url("customer_bulk"), {"action": "transfer", "ids": [customer_a.pk], "to_user": manager_a.pk}, follow=True
    )
    assert "Say why the owner changes." in response.content.decode()
    assert not OwnershipTransfer.objects.exists()


def test_bulk_add_existing_and_new_tag(en, client_for, make_customer, sales_a):
    ids = [make_customer(sales_a, name=f"客户{i}").pk for i in range(2)]
    client = client_for(sales_a)
    response = client.post(_url("customer_bulk"), {"action": "tag", "ids": ids, "new_tag": "展会2026"}, follow=True)
    assert "added to 2 customers" in response.content.decode()
    tag = Tag.objects.get(name="展会2026")
    assert set(tag.customers.values_list("pk", flat=True)) == set(ids)
    tagged = ObjectChange.objects.filter(object_id__in=ids, action="update", changes__tags=[None, "+展会2026"])
    assert tagged.count() == 2
    # the same tag picked from the list: nobody gains it twice
    response = client.post(_url("customer_bulk"), {"action": "tag", "ids": ids, "tag": tag.pk}, follow=True)
    assert "added to 0 customers" in response.content.decode()


def test_bulk_new_tag_too_long_is_refused_not_cut(en, client_for, customer_a, sales_a):
    page = client_for(sales_a).get(_url("customer_list")).content.decode()
    new_tag_input = page[page.index('name="new_tag"') - 200:page.index('name="new_tag"') + 200]
    assert "maxlength" not in new_tag_input  # the browser cut a pasted tag at 50 without a word
    response = client_for(sales_a).post(
        _url("customer_bulk"), {"action": "tag", "ids": [customer_a.pk], "new_tag": "长" * 300}, follow=True)
    html = response.content.decode()
    assert "A tag may have at most 50 characters" in html and "has 300" in html
    assert not Tag.objects.exists()
    assert not customer_a.tags.exists()


def test_bulk_tag_is_all_or_nothing(en, client_for, customer_a, customer_b, sales_a):
    response = client_for(sales_a).post(
        _url("customer_bulk"), {"action": "tag", "ids": [customer_a.pk, customer_b.pk], "new_tag": "新标签"},
        follow=True,
    )
    assert "not yours to change" in response.content.decode()
    assert not Tag.objects.filter(name="新标签").exists()  # the new tag is rolled back too
    assert not customer_a.tags.exists()


def test_bulk_requires_a_selection(en, client_for, sales_a):
    response = client_for(sales_a).post(_url("customer_bulk"), {"action": "tag", "new_tag": "x"}, follow=True)
    assert "Select at least one customer." in response.content.decode()


def test_bulk_ignores_foreign_next_url(client_for, customer_a, sales_a):
    response = client_for(sales_a).post(
        _url("customer_bulk"), {"action": "tag", "ids": [customer_a.pk], "new_tag": "x", "next": "https://evil.example/"}
    )
    assert response["Location"] == _url("customer_list")


# --- contacts and family ---------------------------------------------------------------------------

SCORES = {"score_trust": 5, "score_influence": 4, "score_contact": 3, "score_attitude": 5, "score_rapport": 4,
          "score_support": 5}


def test_contacts_key_persons_first_with_total(en, client_for, sales_a):
    org = _org(sales_a)
    client = client_for(sales_a)
    client.post(_url("contact_add", org.pk), {"name": "普通联系人", "email": "a@example.cn"})
    response = client.post(_url("contact_add", org.pk), {"name": "关键人甲", "is_key_person": "on", **SCORES})
    assert response.status_code == 302
    html = client.get(_url("customer_detail", org.pk), {"tab": "contacts"}).content.decode()
    assert html.index("关键人甲") < html.index("普通联系人")
    assert "<strong>26</strong>/30" in html
    assert ObjectChange.objects.filter(object_type="customers.contact", customer_id=org.pk).count() == 2


def test_key_person_needs_all_six_scores(en, client_for, sales_a):
    org = _org(sales_a)
    response = client_for(sales_a).post(
        _url("contact_add", org.pk), {"name": "甲", "is_key_person": "on", "score_trust": 5}
    )
    assert "Rate every dimension of a key person." in response.content.decode()
    assert not Contact.objects.exists()


def test_contact_edit_and_delete(en, client_for, sales_a, sales_b):
    org = _org(sales_a)
    contact = services.contact_create(actor=sales_a, customer_id=org.pk, data={"name": "甲", "phone": "13900001111"})
    for name in ("contact_edit", "contact_delete"):
        assert client_for(sales_b).get(_url(name, contact.pk)).status_code == 404
        assert client_for(sales_b).post(_url(name, contact.pk), {"name": "乙"}).status_code == 404
    client = client_for(sales_a)
    assert 'value="13900001111"' in client.get(_url("contact_edit", contact.pk)).content.decode()
    client.post(_url("contact_edit", contact.pk), {"name": "乙", "phone": "13900001111"})
    contact.refresh_from_db()
    assert contact.name == "乙"
    client.post(_url("contact_delete", contact.pk))
    contact.refresh_from_db()
    assert contact.deleted_at is not None


def test_family_add_edit_delete(en, client_for, customer_a, sales_a, sales_b):
    client = client_for(sales_a)
    response = client.post(_url("family_add", customer_a.pk), {"name": "张小明", "relation": "child", "age": "200"})
    assert "Ensure this value is less than or equal to 130." in response.content.decode()
    client.post(_url("family_add", customer_a.pk), {"name": "张小明", "relation": "child", "age": "8",
                                                     "school_or_work": "实验小学"})
    member = FamilyMember.objects.get()
    html = client.get(_url("customer_detail", customer_a.pk), {"tab": "family"}).content.decode()
    assert "张小明" in html and "实验小学" in html
    assert client_for(sales_b).get(_url("family_edit", member.pk)).status_code == 404
    client = client_for(sales_a)
    client.post(_url("family_edit", member.pk), {"name": "张小明", "relation": "child", "age": "9"})
    member.refresh_from_db()
    assert member.age == 9
    client.post(_url("family_delete", member.pk))
    member.refresh_from_db()
    assert member.deleted_at is not None


# --- documents -------------------------------------------------------------------------------------

def _upload(client, customer, name="proposal.pdf", content=b"%PDF-1.4 test", content_type="application/pdf"):
    return client.post(
        _url("document_upload", customer.pk),
        {"file": SimpleUploadedFile(name, content, content_type=content_type), "description": "方案"},
    )


def test_document_upload_list_download(en, client_for, customer_a, sales_a):
    client = client_for(sales_a)
    html = client.get(_url("customer_detail", customer_a.pk), {"tab": "documents"}).content.decode()
    assert "Up to 10 MB" in html and "pdf" in html
    assert _upload(client, customer_a).status_code == 302
    doc = CustomerDocument.objects.get()
    html = client.get(_url("customer_detail", customer_a.pk), {"tab": "documents"}).content.decode()
    assert "proposal.pdf" in html and "方案" in html and "13\xa0bytes" in html
    response = client.get(_url("document_download", doc.pk))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"] and "proposal.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    log = AccessLog.objects.get(action="download")
    assert (log.customer_id, log.user, log.object_repr) == (customer_a.pk, sales_a, "proposal.pdf")


def test_document_type_limit(en, client_for, customer_a, sales_a):
    response = _upload(client_for(sales_a), customer_a, name="run.exe", content=b"MZ", content_type="application/x")
    assert response.status_code == 400
    assert "Files of type “exe” are not accepted." in response.content.decode()
    assert not CustomerDocument.objects.exists()


def test_document_size_limit(en, client_for, customer_a, sales_a, settings):
    settings.KEHU_DOCUMENT_MAX_BYTES = 1024
    response = _upload(client_for(sales_a), customer_a, content=b"x" * 2048)
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()
    assert not CustomerDocument.objects.exists()


@pytest.mark.parametrize(("name", "content_type"), [("offer.pdf", "application/pdf"), ("logo.png", "image/png")])
def test_html_renamed_to_a_document_type_is_refused(en, client_for, customer_a, sales_a, settings, tmp_path,
                                                   name, content_type):
    settings.MEDIA_ROOT = tmp_path
    html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
    response = _upload(client_for(sales_a), customer_a, name=name, content=html, content_type=content_type)
    assert response.status_code == 400
    assert f"The content of “{name}” is not a real .{name[-3:]} file." in response.content.decode()
    assert not CustomerDocument.objects.exists()
    assert not ObjectChange.objects.filter(object_repr=name).exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_html_in_a_text_document_is_refused_in_chinese(client_for, customer_a, sales_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(sales_a)
    response = client.post(
        _url("document_upload", customer_a.pk),
        {"file": SimpleUploadedFile("notes.txt", b"<html><script>x()</script></html>", content_type="text/plain")},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "网页或脚本" in response.content.decode()
    assert not CustomerDocument.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_documents_are_scoped(client_for, customer_a, sales_a, sales_b):
    _upload(client_for(sales_a), customer_a)
    doc = CustomerDocument.objects.get()
    client = client_for(sales_b)
    assert client.get(_url("document_download", doc.pk)).status_code == 404
    assert client.post(_url("document_delete", doc.pk)).status_code == 404
    assert _upload(client, customer_a, name="x.pdf").status_code == 404
    assert not AccessLog.objects.filter(action="download").exists()
    assert CustomerDocument.objects.count() == 1


def test_document_delete(client_for, customer_a, sales_a):
    client = client_for(sales_a)
    _upload(client, customer_a)
    doc = CustomerDocument.objects.get()
    client.post(_url("document_delete", doc.pk))
    doc.refresh_from_db()
    assert doc.deleted_at is not None
    assert client.get(_url("document_download", doc.pk)).status_code == 404


def test_bulk_actions_refused_for_roles_without_the_capability(en, client_for, customer_a, sales_a, analyst):
    response = client_for(sales_a).post(
        _url("customer_bulk"),
        {"action": "transfer", "ids": [customer_a.pk], "to_user": sales_a.pk, "reason": "x"}, follow=True,
    )
    assert response.status_code == 200 and "msg-error" in response.content.decode()
    response = client_for(analyst).post(
        _url("customer_bulk"), {"action": "tag", "ids": [customer_a.pk], "new_tag": "分析"}, follow=True
    )
    assert "msg-error" in response.content.decode()
    assert not Tag.objects.filter(name="分析").exists()
    assert not OwnershipTransfer.objects.exists()


# --- person and organisation parts of the card (issue 12, item 16) ---------------------------------

def test_person_card_and_form_leave_out_the_organisation_blocks(en, client_for, customer_a, sales_a):
    client = client_for(sales_a)
    html = client.get(_url("customer_detail", customer_a.pk)).content.decode()
    assert "block-person" in html
    for block in ("block-organisation", "block-characteristics", "block-business"):
        assert block not in html, block
    assert "block-transaction" in html  # credit standing, problems, plans: a person has them too
    assert "<dt>Mobile phone</dt>" in html
    form = client.get(_url("customer_edit", customer_a.pk)).content.decode()
    # The form keeps every block (the type may change), the organisation's marked so that it is hidden.
    for block in ("characteristics", "business"):
        assert f'class="form-block block-{block}" data-kind="organisation"' in form, block


def test_person_card_shows_an_organisation_block_that_holds_data(en, client_for, sales_a, make_customer):
    person = make_customer(sales_a, name="张三", service_area="华东地区")
    html = client_for(sales_a).get(_url("customer_detail", person.pk)).content.decode()
    assert "block-characteristics" in html and "华东地区" in html
    assert "block-business" not in html


def test_organisation_card_labels_its_landline_phone(en, client_for, sales_a):
    org = _org(sales_a, phone="010-6275 1234")
    client = client_for(sales_a)
    html = client.get(_url("customer_detail", org.pk)).content.decode()
    assert "block-organisation" in html and "block-characteristics" in html and "block-person" not in html
    assert "Mobile phone" not in html
    assert "<dt>Phone</dt><dd>010-6275 1234</dd>" in html
    form = client.get(_url("customer_edit", org.pk)).content.decode()
    assert re.search(r"<label for=\"id_phone\"[^>]*>Phone:</label>", form)
    zh = client.get(_url("customer_detail", org.pk), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<dt>电话</dt><dd>010-6275 1234</dd>" in zh and "<dt>手机</dt>" not in zh


def test_person_card_never_shows_the_organisation_details_block(en, client_for, sales_a, make_customer):
    person = make_customer(sales_a, name="李四", assets="185000", legal_representative="x")
    html = client_for(sales_a).get(_url("customer_detail", person.pk)).content.decode()
    assert "block-organisation" not in html and "block-person" in html
