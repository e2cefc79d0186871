"""The audit pages: who may read them, what each role sees, filters, diffs, paging, query counts."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import MASKED, Role, Sensitive
from audit.models import AccessLog, ObjectChange
from audit.services import access_record
from core.actor import Source, acting_as
from core.testing import assert_query_baseline
from customers.services import customer_transfer_owner, customer_update

CHANGES = reverse("audit:change_list")
ACCESSES = reverse("audit:access_list")


def rows(response):
    return response.context["rows"]


def reprs(response):
    # Change rows (audit.presentation.ChangeEntry) hold .change, access rows .entry.
    return [getattr(r, "change", getattr(r, "entry", None)).object_repr for r in rows(response)]


@pytest.mark.parametrize("url", [CHANGES, ACCESSES])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
@pytest.mark.parametrize("url", [CHANGES, ACCESSES])
def test_roles_without_the_audit_capability_are_refused(client_for, make_user, team_a, role, url):
    user = make_user(role, team_a)
    assert client_for(user).get(url).status_code == 403


def test_post_is_not_allowed(client_for, admin_user):
    assert client_for(admin_user).post(CHANGES).status_code == 405


def test_administrator_sees_every_change_newest_first(client_for, admin_user, customer_a, customer_b):
    response = client_for(admin_user).get(CHANGES)
    assert response.status_code == 200
    assert reprs(response) == ["李娜", "张伟"]  # customer_b was created last
    assert response.context["tab"] == "changes"
    content = response.content.decode()
    assert reverse("customers:customer_detail", args=[customer_a.pk]) in content
    assert 'aria-selected="true"' in content and ACCESSES in content


def test_manager_sees_only_entries_about_customers_in_scope(client_for, manager_a, customer_a, customer_b):
    response = client_for(manager_a).get(CHANGES)
    assert response.status_code == 200
    assert reprs(response) == ["张伟"]
    # Asking for the other team's customer by id does not reveal it.
    response = client_for(manager_a).get(CHANGES, {"customer": customer_b.pk})
    assert reprs(response) == []


def test_changed_fields_show_before_and_after(client_for, admin_user, sales_a, customer_a):
    customer_update(actor=sales_a, customer_id=customer_a.pk, data={"city": "上海", "occupation": "律师"})
    response = client_for(admin_user).get(CHANGES, {"action": "update"})
    [row] = rows(response)
    by_name = {c.name: c for c in row.fields}
    assert (by_name["city"].before, by_name["city"].after) == ("北京", "上海")
    html = response.content.decode()
    assert re.search(r'class="diff-before">北京</span>\s*→\s*<span class="diff-after">上海<', html)
    assert 'class="diff-after">律师<' in html


def test_choice_values_show_their_labels(client_for, admin_user, sales_a, customer_a):
    customer_update(actor=sales_a, customer_id=customer_a.pk, data={"risk_preference": "aggressive"})
    response = client_for(admin_user).get(CHANGES, {"action": "update"}, headers={"Accept-Language": "en"})
    [change] = rows(response)[0].fields
    assert (change.name, change.before, change.after) == ("risk_preference", None, "Aggressive")


def test_transfer_within_a_team_shows_owners_by_name(client_for, admin_user, manager_a, sales_a, service_a, customer_a):
    customer_transfer_owner(actor=manager_a, customer_id=customer_a.pk, to_user=service_a, reason="holiday cover")
    response = client_for(admin_user).get(CHANGES, {"action": "transfer"})
    [row] = rows(response)
    owner = next(c for c in row.fields if c.name == "owner")
    assert (owner.before, owner.after) == (str(sales_a), str(service_a))
    # Both are in team A: the recorded team did not change and is not listed as a change.
    assert "team" not in {c.name for c in row.fields}
    assert "holiday cover" in response.content.decode()


def test_transfer_to_another_team_shows_both_team_names(client_for, admin_user, sales_b, customer_a):
    customer_transfer_owner(actor=admin_user, customer_id=customer_a.pk, to_user=sales_b, reason="moved")
    [row] = rows(client_for(admin_user).get(CHANGES, {"action": "transfer"}))
    team = next(c for c in row.fields if c.name == "team")
    assert (team.before, team.after) == ("Team A", "Team B")


def test_filters(client_for, admin_user, manager_a, sales_a, sales_b, customer_a, customer_b):
    customer_update(actor=sales_a, customer_id=customer_a.pk, data={"city": "杭州"})
    with acting_as(sales_b, Source.WEB):
        customer_update(actor=sales_b, customer_id=customer_b.pk, data={"city": "深圳"})
    client = client_for(admin_user)
    assert reprs(client.get(CHANGES, {"user": sales_b.pk})) == ["李娜", "李娜"]
    assert reprs(client.get(CHANGES, {"action": "update"})) == ["李娜", "张伟"]
    assert reprs(client.get(CHANGES, {"source": "web"})) == ["李娜"]
    assert reprs(client.get(CHANGES, {"customer": customer_a.pk})) == ["张伟", "张伟"]
    assert reprs(client.get(CHANGES, {"q": "娜"})) == ["李娜", "李娜"]
    today = timezone.localdate()
    assert len(rows(client.get(CHANGES, {"since": today, "until": today}))) == 4
    assert rows(client.get(CHANGES, {"since": today + timedelta(days=1)})) == []
    assert rows(client.get(CHANGES, {"until": today - timedelta(days=1)})) == []


def test_invalid_filters_are_reported_and_ignored(client_for, admin_user, customer_a):
    today = timezone.localdate()
    response = client_for(admin_user).get(CHANGES, {"since": today, "until": today - timedelta(days=3),
                                                    "customer": "abc"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "until" in form.errors and "customer" in form.errors
    assert reprs(response) == ["张伟"]


def test_pages_are_keyset_cursors_and_a_bad_cursor_restarts(client_for, admin_user, sales_a, customer_a):
    for i in range(54):
        customer_update(actor=sales_a, customer_id=customer_a.pk, data={"occupation": f"job {i}"})
    client = client_for(admin_user)
    first = client.get(CHANGES)
    assert len(rows(first)) == 50 and first.context["page"].has_next
    ids = [r.change.pk for r in rows(first)]
    assert ids == sorted(ids, reverse=True)
    second = client.get(CHANGES, {"cursor": first.context["page"].next_cursor})
    assert len(rows(second)) == 5  # 1 create + 54 updates
    assert not set(ids) & {r.change.pk for r in rows(second)}
    assert 'rel="prev"' in second.content.decode()
    bad = client.get(CHANGES, {"cursor": "nonsense"}, headers={"Accept-Language": "en"})
    assert bad.status_code == 200 and len(rows(bad)) == 50
    assert "invalid" in str(list(bad.context["messages"])[0]).lower()


def test_query_count_does_not_grow_with_rows(client_for, admin_user, manager_a, sales_a, service_a, customer_a):
    for i in range(30):
        customer_update(actor=sales_a, customer_id=customer_a.pk, data={"occupation": f"job {i}"})
        customer_transfer_owner(actor=manager_a, customer_id=customer_a.pk,
                                to_user=service_a if i % 2 == 0 else sales_a, reason=f"r{i}")
        access_record(user=sales_a, action="view", customer_id=customer_a.pk, object_repr="张伟")
    for user in (admin_user, manager_a):
        client = client_for(user)
        assert len(rows(assert_query_baseline(f"audit.changes.list.{user.role}",
                                              lambda c=client: c.get(CHANGES)))) == 50
        assert len(rows(assert_query_baseline(f"audit.access.list.{user.role}",
                                              lambda c=client: c.get(ACCESSES)))) == 30


def test_access_log_shows_views_and_exports_with_rows_and_filters(client_for, admin_user, manager_a, sales_a,
                                                                  customer_a, customer_b):
    access_record(user=sales_a, action="view", customer_id=customer_a.pk, object_repr="张伟", detail={"tab": "card"})
    access_record(user=sales_a, action="export", object_repr="customers.csv",
                  detail={"filters": {"city": "北京", "kind": "person"}, "rows": 1234, "format": "csv"})
    access_record(user=admin_user, action="view", customer_id=customer_b.pk, object_repr="李娜")
    response = client_for(admin_user).get(ACCESSES)
    assert response.status_code == 200 and response.context["tab"] == "accesses"
    assert reprs(response) == ["李娜", "customers.csv", "张伟"]
    html = response.content.decode()
    assert "1234" in html and "city=北京" in html and "kind=person" in html
    assert reprs(client_for(admin_user).get(ACCESSES, {"action": "export"})) == ["customers.csv"]
    # A manager sees the views of the team's customers, and the exports the team's members made,
    # not what the administrator viewed of another team's customer.
    assert reprs(client_for(manager_a).get(ACCESSES)) == ["customers.csv", "张伟"]


def test_manager_does_not_see_exports_of_another_team(client_for, manager_a, sales_b):
    access_record(user=sales_b, action="export", object_repr="customers.xlsx", detail={"rows": 3})
    assert reprs(client_for(manager_a).get(ACCESSES)) == []


def test_sensitive_values_are_masked_for_roles_that_mask_them(client_for, manager_a, sales_a, customer_a,
                                                              monkeypatch):
    customer_update(actor=sales_a, customer_id=customer_a.pk, data={"phone": "13900001111"})
    client = client_for(manager_a)
    assert "13900001111" in client.get(CHANGES).content.decode()
    monkeypatch.setitem(MASKED, Role.MANAGER, frozenset({Sensitive.PHONES, Sensitive.ID_NUMBER}))
    html = client.get(CHANGES).content.decode()
    assert "13900001111" not in html and "139****1111" in html
    assert "110101199003071233" not in html


def test_entries_without_a_customer_are_for_administrators_only(client_for, admin_user, manager_a):
    ObjectChange.objects.create(source="cli", action="create", object_type="accounts.team", object_id=1,
                                object_repr="Team X", changes={"name": [None, "Team X"]})
    AccessLog.objects.create(source="web", action="export", object_repr="all.csv")
    assert reprs(client_for(admin_user).get(CHANGES)) == ["Team X"]
    assert reprs(client_for(manager_a).get(CHANGES)) == []
    assert reprs(client_for(manager_a).get(ACCESSES)) == []
