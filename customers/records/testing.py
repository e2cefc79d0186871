"""The standard test suite of one kind of customer record, generated from its declaration.

A test module declares one class per kind::

    class TestCostRecords(RecordSuite):
        pages = COST_PAGES                     # customers.records.views.RecordPages
        urls = {"add": "commerce:cost_add", "edit": "commerce:cost_edit", "delete": "commerce:cost_delete"}
        api_path = "/costs"                    # None: the kind has no API
        record_data = {"kind": "service", "amount": "12.50"}      # a record made through the service
        add_form = {...}; edit_form = {...}    # a valid POST of the add and edit pages
        api_create = {...}; api_change = {...} # a valid body of POST (without "customer") and PATCH
        other_edit_form = {...}                # optional: a second editor's POST (default: add_form)
        other_api_change = {...}               # optional: a second client's PATCH (default: api_create)
        queries = {"add": 5, "edit": 5, ...}   # exact query counts (see `expected_queries`)

and pytest runs, for that kind (only for the pages and operations it declares):

- anonymous: every page sends to the login page, every API operation answers 401;
- out of scope (a user of another team): every page and operation answers 404 and changes
  nothing, a create naming the customer is a 400 on ``customer``, lists leave the record out;
- in scope without the right (the analyst sees every customer and may change none): 403 on every
  write, pages and API, and nothing changes;
- writes through the services: create, edit and delete from the pages and from the API each
  leave the record as asked and the audit row the service writes (action, user, customer, source
  "web" or "api");
- no lost update (core.concurrency, ADR 0009): two people open the edit page, both save — the
  page carries the record's version in one hidden field without a label, the second, stale save
  answers 409 with "Changed by <first> at …", the values it did not save, and the record exactly as
  the first left it; saved again from that page it applies. Through the API: the read's ETag is
  the record's version; after someone else's PATCH a PATCH with the old If-Match is a 409 (who and
  when, the current ETag) that changes nothing, one with the fresh ETag applies, one without
  If-Match is not checked. The second editor sends `other_edit_form` / `other_api_change`;
- exact query counts of every page and of the API list and read, so an N+1 fails a test and so
  does a dropped query (the numbers are checked, not bounded).

The fixtures it uses are core.testing's: sales_a (owner of customer_a, team A), manager_a (team A,
the other editor), sales_b (team B), analyst, customer_a.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from audit.models import ChangeAction, ObjectChange
from core.actor import Source
from core.concurrency import VERSION_FIELD, etag, version_of
from core.testing import logged_in, posted_values
from customers.records.base import RecordKind
from customers.records.views import RecordPages

API_ROOT = "/api/v1"


class ApiCaller:
    """A client that calls the API with a user's bearer token (or none) and JSON bodies."""

    def __init__(self, user: Any = None) -> None:
        self.client = Client()
        self.headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
        if user is not None:
            from accounts.services import token_create

            _token, secret = token_create(user=user, name="records suite")
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(API_ROOT + path, params, **self.headers)

    def send(self, method: str, path: str, data: Mapping[str, Any] | None = None, *,
             if_match: str | None = None) -> Any:
        headers = {**self.headers, **({"HTTP_IF_MATCH": if_match} if if_match is not None else {})}
        return getattr(self.client, method)(API_ROOT + path, dict(data or {}), content_type="application/json",
                                            **headers)


# The edit page's hidden version field as rendered (core.concurrency.VersionedFormMixin).
_VERSION_INPUT = re.compile(rf'<input\b[^>]*\bname="{VERSION_FIELD}"[^>]*>')


@pytest.mark.django_db
class RecordSuite:
    """Base of a kind's test class (see the module docstring). Not collected itself: its name does
    not start with "Test"."""

    pages: ClassVar[RecordPages | None] = None
    # The kind; by default the pages' kind (a kind with an API and no pages declares it here).
    kind: ClassVar[RecordKind | None] = None
    # URL names of the kind's pages, by page: "add", "edit", "delete", "detail", "list".
    urls: ClassVar[dict[str, str]] = {}
    api_path: ClassVar[str | None] = None
    # The data a record is made with through the kind's create service (see `make`).
    record_data: ClassVar[dict[str, Any]] = {}
    add_form: ClassVar[dict[str, Any]] = {}
    edit_form: ClassVar[dict[str, Any]] = {}
    api_create: ClassVar[dict[str, Any]] = {}
    api_change: ClassVar[dict[str, Any]] = {}
    # What a second, stale editor sends (it must differ from edit_form / api_change, so that a lost
    # update would show): a valid POST of the edit page (default: add_form) and a valid PATCH body
    # (default: api_create).
    other_edit_form: ClassVar[dict[str, Any] | None] = None
    other_api_change: ClassVar[dict[str, Any] | None] = None
    # Exact query counts by request: "add", "edit", "delete", "detail", "list" (GET of the page, with
    # `list_size` records), "api list" (with `list_size` records), "api detail".
    queries: ClassVar[dict[str, int]] = {}
    list_size: ClassVar[int] = 3

    # --- what a kind may override ----------------------------------------------------------------

    def make(self, actor: Any, customer: Any) -> Any:
        """A record of `customer`, made by `actor` through the kind's create service."""
        return self.record_kind.create_record(actor=actor, customer_id=customer.pk, data=dict(self.record_data))

    def customer(self, customer_a: Any) -> Any:
        """The customer the suite's records belong to (owned by sales_a)."""
        return customer_a

    def expected_queries(self, name: str) -> int:
        """The exact number of queries of request `name`: the one place a checked-in baseline
        file can take over from the class's `queries`."""
        return self.queries[name]

    # --- helpers ---------------------------------------------------------------------------------

    @property
    def record_kind(self) -> RecordKind:
        kind = self.kind or (self.pages.kind if self.pages is not None else None)
        assert kind is not None, "a RecordSuite declares `pages` or `kind`"
        return kind

    @property
    def model(self) -> Any:
        return self.record_kind.model

    def _page_urls(self, customer: Any, record: Any) -> dict[str, str]:
        out = {}
        for page, name in self.urls.items():
            if page == "add":
                out[page] = reverse(name, args=[customer.pk])
            elif page == "list":
                out[page] = reverse(name)
            else:
                out[page] = reverse(name, args=[record.pk])
        return out

    def _item(self, record: Any) -> str:
        return f"{self.api_path}/{record.pk}"

    def _audit(self, record_id: int, action: str) -> Any:
        return ObjectChange.objects.filter(object_type=self.model._meta.label_lower, object_id=record_id,
                                           action=action)

    def _alive(self, pk: int) -> bool:
        return self.model.objects.filter(pk=pk, deleted_at__isnull=True).exists()  # type: ignore[no-any-return]

    def _row(self, pk: int) -> dict[str, Any]:
        """Every column of the record as stored (its version included)."""
        return self.model.objects.filter(pk=pk).values().get()  # type: ignore[no-any-return]

    @staticmethod
    def _version_in_page(response: Any) -> str:
        """The version the edit page hands out: exactly one hidden input, and no label for it."""
        html = response.content.decode()
        inputs = _VERSION_INPUT.findall(html)
        assert len(inputs) == 1, f"the edit page renders the version field {len(inputs)} times"
        assert 'type="hidden"' in inputs[0], inputs[0]
        assert f'for="id_{VERSION_FIELD}"' not in html, "the hidden version field is rendered with a label"
        found = re.search(r'\bvalue="([^"]*)"', inputs[0])
        return found[1] if found else ""

    def _writes(self) -> int:
        return ObjectChange.objects.filter(object_type=self.model._meta.label_lower).count()  # type: ignore[no-any-return]

    # --- the suite -------------------------------------------------------------------------------

    def _logged_in(self, client: Client, user: Any, *, owner: Any, customer_a: Any) -> tuple[Any, Any, dict[str, str]]:
        """`user` logged in on `client`; a record of the suite's customer made by `owner`, and its pages."""
        customer = self.customer(customer_a)
        record = self.make(owner, customer)
        client.force_login(user)
        return customer, record, self._page_urls(customer, record)

    def _api_answers(self, api: ApiCaller, customer: Any, record: Any) -> dict[str, int]:
        """The status of every operation on `record` (deleting it last)."""
        item = self._item(record)
        return {
            "list": api.get(self.api_path).status_code,  # type: ignore[arg-type]
            "read": api.get(item).status_code,
            "create": api.send("post", self.api_path, {**self.api_create, "customer": customer.pk}).status_code,  # type: ignore[arg-type]
            "change": api.send("patch", item, self.api_change).status_code,
            "delete": api.send("delete", item).status_code,
        }

    def _page_answers(self, client: Client, urls: dict[str, str], pages: tuple[str, ...]) -> dict[str, int]:
        """The status of a GET and of a valid POST of each of `pages` the kind has."""
        out = {}
        for page in pages:
            if page in urls:
                out[f"GET {page}"] = client.get(urls[page]).status_code
                if page in ("add", "edit", "delete"):
                    data = self.add_form if page == "add" else self.edit_form
                    out[f"POST {page}"] = client.post(urls[page], data).status_code
        return out

    def test_anonymous_visitors_are_sent_to_log_in(self, sales_a: Any, customer_a: Any) -> None:
        customer = self.customer(customer_a)
        record = self.make(sales_a, customer)
        client, login = Client(), resolve_url(settings.LOGIN_URL)
        for page, url in self._page_urls(customer, record).items():
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                assert response.status_code in (302, 405), (page, method, response.status_code)
                if response.status_code == 302:
                    assert response["Location"].startswith(login), (page, method)
        if self.api_path:
            assert set(self._api_answers(ApiCaller(), customer, record).values()) == {401}
        assert self._alive(record.pk) and self._writes() == 1

    def test_another_teams_user_finds_nothing(self, client: Client, sales_a: Any, sales_b: Any,
                                              customer_a: Any) -> None:
        customer, record, urls = self._logged_in(client, sales_b, owner=sales_a, customer_a=customer_a)
        answers = self._page_answers(client, urls, ("add", "edit", "delete", "detail"))
        assert answers == dict.fromkeys(answers, 404)
        if "list" in urls:
            assert record.pk not in {r.pk for r in client.get(urls["list"]).context["page"].items}
        if self.api_path:
            api = ApiCaller(sales_b)
            assert record.pk not in {r["id"] for r in api.get(self.api_path).json()["items"]}
            create = api.send("post", self.api_path, {**self.api_create, "customer": customer.pk})
            assert create.json()["detail"][0]["loc"] == ["body", "customer"]
            # The body names the customer: no path was "not found", the data was refused.
            assert self._api_answers(api, customer, record) == {
                "list": 200, "read": 404, "create": 400, "change": 404, "delete": 404}
        assert self._alive(record.pk) and self._writes() == 1

    def test_a_user_who_sees_but_may_not_change_is_refused(self, client: Client, sales_a: Any, analyst: Any,
                                                           customer_a: Any) -> None:
        customer, record, urls = self._logged_in(client, analyst, owner=sales_a, customer_a=customer_a)
        answers = self._page_answers(client, urls, ("add", "edit", "delete", "detail", "list"))
        assert answers == {k: 200 if k in ("GET detail", "GET list") else 403 for k in answers}
        if self.api_path:
            assert self._api_answers(ApiCaller(analyst), customer, record) == {
                "list": 200, "read": 200, "create": 403, "change": 403, "delete": 403}
        assert self._alive(record.pk) and self._writes() == 1

    def test_pages_write_through_the_services(self, client: Client, sales_a: Any, customer_a: Any) -> None:
        customer = self.customer(customer_a)
        client.force_login(sales_a)
        if "add" in self.urls:
            before = set(self.model.objects.values_list("pk", flat=True))
            response = client.post(reverse(self.urls["add"], args=[customer.pk]), self.add_form)
            assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
            (new,) = set(self.model.objects.values_list("pk", flat=True)) - before
            row = self._audit(new, ChangeAction.CREATE).get()
            assert (row.user, row.customer_id, row.source) == (sales_a, customer.pk, Source.WEB)
            record = self.model.objects.get(pk=new)
        else:
            record = self.make(sales_a, customer)
        if "edit" in self.urls:
            response = client.post(reverse(self.urls["edit"], args=[record.pk]), self.edit_form)
            assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
            row = self._audit(record.pk, ChangeAction.UPDATE).get()
            assert (row.user, row.customer_id, row.source) == (sales_a, customer.pk, Source.WEB)
            assert row.changes
        if "delete" in self.urls:
            url = reverse(self.urls["delete"], args=[record.pk])
            assert client.get(url).status_code == 200 and self._alive(record.pk)
            assert client.post(url).status_code == 302
            assert not self._alive(record.pk)
            row = self._audit(record.pk, ChangeAction.DELETE).get()
            assert (row.user, row.customer_id, row.source) == (sales_a, customer.pk, Source.WEB)

    def test_the_api_writes_through_the_services(self, sales_a: Any, customer_a: Any) -> None:
        if not self.api_path:
            pytest.skip("no API declared for this kind")
        customer = self.customer(customer_a)
        api = ApiCaller(sales_a)
        response = api.send("post", self.api_path, {**self.api_create, "customer": customer.pk})
        assert response.status_code == 201, response.json()
        pk = response.json()["id"]
        assert api.get(f"{self.api_path}/{pk}").json() == response.json()
        row = self._audit(pk, ChangeAction.CREATE).get()
        assert (row.user, row.customer_id, row.source) == (sales_a, customer.pk, Source.API)
        response = api.send("patch", f"{self.api_path}/{pk}", self.api_change)
        assert response.status_code == 200, response.json()
        assert {k: response.json()[k] for k in self.api_change} == self.api_change
        row = self._audit(pk, ChangeAction.UPDATE).get()
        assert (row.user, row.source, row.changes != {}) == (sales_a, Source.API, True)
        assert api.send("delete", f"{self.api_path}/{pk}").status_code == 204
        assert not self._alive(pk)
        assert api.get(f"{self.api_path}/{pk}").status_code == 404
        assert self._audit(pk, ChangeAction.DELETE).get().source == Source.API

    def test_a_stale_edit_page_is_told_and_reverts_nothing(self, sales_a: Any, manager_a: Any,
                                                         customer_a: Any) -> None:
        if "edit" not in self.urls:
            pytest.skip("no edit page declared for this kind")
        other = self.other_edit_form if self.other_edit_form is not None else self.add_form
        assert other and other != self.edit_form, "declare other_edit_form: a valid edit unlike edit_form"
        record = self.make(sales_a, self.customer(customer_a))
        url = reverse(self.urls["edit"], args=[record.pk])
        first, second = logged_in(manager_a), logged_in(sales_a)
        first_page, second_page = first.get(url), second.get(url)
        assert first_page.status_code == second_page.status_code == 200
        opened = self._version_in_page(second_page)
        assert opened == version_of(self.model.objects.get(pk=record.pk)) != ""

        saved = first.post(url, {**posted_values(first_page.context["form"]), **self.edit_form})
        assert saved.status_code == 302, saved.context and saved.context["form"].errors
        as_saved = self._row(record.pk)
        answer = second.post(url, {**posted_values(second_page.context["form"]), **other})

        assert answer.status_code == 409, answer.context and answer.context["form"].errors
        form, html = answer.context["form"], answer.content.decode()
        assert form.conflict.changed_by == str(manager_a)
        assert form.conflict.message.startswith(f"Changed by {manager_a} at") and escape(form.conflict.message) in html
        assert form.unsaved, "the page lists what the user entered and was not saved"
        assert self._row(record.pk) == as_saved  # the first change kept, nothing of the stale one saved
        assert self._audit(record.pk, ChangeAction.UPDATE).count() == 1
        # The page now shows the record as saved, with its new version: saved again, it applies.
        assert self._version_in_page(answer) == version_of(self.model.objects.get(pk=record.pk)) != opened
        again = second.post(url, {**posted_values(form), **other})
        assert again.status_code == 302, again.context and again.context["form"].errors
        assert self._row(record.pk) != as_saved and self._audit(record.pk, ChangeAction.UPDATE).count() == 2

    def test_a_stale_api_write_gets_409_and_reverts_nothing(self, sales_a: Any, manager_a: Any,
                                                           customer_a: Any) -> None:
        if not self.api_path:
            pytest.skip("no API declared for this kind")
        other = dict(self.other_api_change if self.other_api_change is not None else self.api_create)
        assert other and other != self.api_change, "declare other_api_change: a valid PATCH unlike api_change"
        record = self.make(sales_a, self.customer(customer_a))
        item, mine, theirs = self._item(record), ApiCaller(sales_a), ApiCaller(manager_a)
        read = mine.get(item)
        assert read["ETag"] == etag(version_of(self.model.objects.get(pk=record.pk)))

        saved = theirs.send("patch", item, self.api_change, if_match=theirs.get(item)["ETag"])
        assert saved.status_code == 200, saved.json()
        assert saved["ETag"] != read["ETag"] and saved["ETag"] == theirs.get(item)["ETag"]
        as_saved = self._row(record.pk)
        stale = mine.send("patch", item, other, if_match=read["ETag"])

        assert stale.status_code == 409, stale.json()
        assert stale.json()["detail"].startswith(f"Changed by {manager_a} at")
        assert stale["ETag"] == saved["ETag"]  # the current version, to read again
        assert self._row(record.pk) == as_saved and self._audit(record.pk, ChangeAction.UPDATE).count() == 1
        fresh = mine.get(item)["ETag"]
        again = mine.send("patch", item, other, if_match=fresh)
        assert again.status_code == 200, again.json()
        assert {k: again.json()[k] for k in other} == other
        assert again["ETag"] == mine.get(item)["ETag"] != fresh
        # Without If-Match a write is not checked, as before.
        assert mine.send("patch", item, self.api_change).status_code == 200

    def test_exact_query_counts(self, client: Client, sales_a: Any, customer_a: Any) -> None:
        customer = self.customer(customer_a)
        records = [self.make(sales_a, customer) for _ in range(self.list_size)]
        client.force_login(sales_a)
        client.get("/")  # the session is read and its language settled before counting
        measured: dict[str, int] = {}
        for page, url in self._page_urls(customer, records[0]).items():
            measured[page] = self._count(lambda url=url: client.get(url))
        if self.api_path:
            api = ApiCaller(sales_a)
            api.get(self._item(records[0]))  # the token's first use is recorded once
            measured["api list"] = self._count(lambda: api.get(self.api_path))
            measured["api detail"] = self._count(lambda: api.get(self._item(records[0])))
        assert measured == {name: self.expected_queries(name) for name in measured}

    @staticmethod
    def _count(call: Any) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = call()
        assert response.status_code == 200, response.status_code
        return len(queries.captured_queries)
