"""Every page and every API operation, asked about team A's records by another team and by the owner.

The walk is generated, not listed: the pages come from the URLconf (`django.urls.get_resolver()`),
the API operations from the django-ninja API's own description (`kehu.api.api`, every path and
method, with its path, query and body parameters). A view or an operation added later is walked the
day it is added. Each path parameter — and each body or query field that names a record, such as an
order's `customer` — is filled from team A's records through PARAMS below, which fails loudly on a
name it does not know: whoever adds a route with a new parameter says there which record it names.

Team A (a person and an organisation with contacts, family, a document, a paid order with a line,
a cost, an interaction with a follow-up, classes, a lifecycle mark, segments, scores, match keys, a
duplicate pair, a merge, an import job) is built once per module. Then:

- **Another team** (team B's sales user and manager; pages with a session, the API with their
  tokens) asks each URL with GET, and with POST where GET is not allowed. A request that names one
  of team A's records must be refused (404, or 401/403/405) and give exactly the answer it gives
  for a record that does not exist — kehu does not confirm that team A's records exist. Any answer
  must not carry a value of team A's customers (MARKERS: names, phones, e-mail, ID number, external
  ID, also as masked). A request that names nothing of team A (a list, a form) may answer 200, but
  without those values.
- **The owner** (team A's sales user) asks the same URLs and must not get 404: the parameters name
  the right records, so the refusals above are refusals of scope, not of a wrong id.

Every request runs in a savepoint rolled back after it: a POST that deletes or changes something
(the owner's, or a leak) leaves team A's records as they were for the next request. The test client
skips the CSRF check as a browser that sends the token passes it, so POSTs reach the views.

`test_a_view_that_forgets_scope_is_caught` plants a view that reads a customer without
`restrict()` and shows that the walk reports it.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, resolve_url
from django.test import Client, override_settings
from django.urls import get_resolver, include, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.tests.test_url_permissions import PARAM, walk

pytestmark = pytest.mark.django_db

MARK = "Qorvath"  # in the name of every customer of team A and of their people (contacts, family)
PHONE, EMAIL, ID_NUMBER, EXTERNAL_ID = "13798761234", "qorvath.zelenka@example.cn", "110101199003071233", "QZX-48213"
GHOST_ID, GHOST_KEY = "2147483000", "no-such-record"


def _markers() -> dict[str, str]:
    from core.masking import mask_id_number, mask_phone

    return {
        "name": MARK, "phone": PHONE, "phone, masked": mask_phone(PHONE), "e-mail": EMAIL,
        "ID number": ID_NUMBER, "ID number, masked": mask_id_number(ID_NUMBER), "external ID": EXTERNAL_ID,
    }


# --- Which record a parameter names ---------------------------------------------------------------

# Records of team A: a request naming one must be refused to another team exactly as for a record that
# does not exist. The others (the shared catalogue, tags, schemes, users, a segment shared with
# everyone, import and export kinds, scoring runs) are not team A's: another team may read them.
PRIVATE = {"customer", "duplicate", "contact", "family", "document", "order", "cost", "interaction", "task",
           "merge", "import_job", "token", "target", "appointment"}
PRIVATE |= {"notification", "outgoing_email"}
PRIVATE |= {"service_request"}  # the service desk's requests part (knowledge-base articles are shared)
PRIVATE |= {"holding"}
PRIVATE |= {"policy"}
PRIVATE |= {"agreement"}
PRIVATE |= {"complaint", "complaint_approval"}
PRIVATE |= {"winback_campaign"}
PRIVATE |= {"asset_review"}

# A path parameter, or a body or query field that names a record → the kind of record (World.values).
PARAMS = {
    "customer_pk": "customer", "customer_id": "customer", "customer": "customer",
    "contact_id": "contact", "family_member_id": "family", "tag_id": "tag", "product_id": "product",
    "product": "product", "order_id": "order", "cost_id": "cost", "interaction_id": "interaction",
    "task_id": "task", "segment_id": "segment", "key": "scheme", "scheme_key": "manual_scheme",
    "class_key": "class",
    "to_user": "user",
    "target_id": "target",
    "appointment_id": "appointment", "attendee": "user", "record_id": "interaction",
}
PARAMS.update({"notification_id": "notification", "email_id": "outgoing_email"})
PARAMS.update({"request_id": "service_request", "article_id": "article", "column": "board_column",
               "assignee": "user"})
PARAMS.update({"holding_id": "holding"})
PARAMS.update({"policy_id": "policy", "insured_member": "family"})
PARAMS.update({"agreement_id": "agreement", "holiday_id": "holiday"})
PARAMS.update({"complaint_id": "complaint", "approval_id": "complaint_approval"})
PARAMS.update({"campaign_id": "winback_campaign", "reason": "churn_reason"})
PARAMS.update({"review_id": "asset_review"})
# "pk", "other" and "kind" name a different record on each page: the path's word before them says which.
PARAMS_AFTER = {
    ("customers", "pk"): "customer", ("contacts", "pk"): "contact", ("family", "pk"): "family",
    ("documents", "pk"): "document", ("users", "pk"): "user", ("tokens", "pk"): "token",
    ("orders", "pk"): "order", ("products", "pk"): "product", ("costs", "pk"): "cost",
    ("interactions", "pk"): "interaction", ("follow-ups", "pk"): "task", ("tasks", "pk"): "task",
    ("import", "pk"): "import_job",
    ("merges", "pk"): "merge", ("duplicates", "pk"): "customer", ("duplicates", "other"): "duplicate",
    ("merge", "pk"): "customer", ("merge", "other"): "duplicate", ("segments", "pk"): "segment",
    ("runs", "pk"): "score_run", ("template", "kind"): "import_kind", ("export", "kind"): "export_kind",
    ("appointments", "pk"): "appointment", ("requests", "pk"): "service_request",
    ("holdings", "pk"): "holding", ("fx-rates", "pk"): "fx_rate", ("policies", "pk"): "policy",
    ("agreements", "pk"): "agreement",
    # The calendar feed's token is the credential itself (like an API token's secret, which the walk
    # does not hand around either): the walk asks with a token that opens nothing, so everyone gets 404;
    # work/tests/test_calendar_pages.py checks the feed with the owner's real token.
    ("feed", "token"): "feed_token",
    ("complaints", "pk"): "complaint", ("approvals", "pk"): "complaint_approval",
}


class UnknownParameter(LookupError):
    pass


def record_kind(name: str, after: str = "") -> str:
    """The kind of record the parameter `name` (following the path word `after`) names."""
    kind = PARAMS.get(name) or PARAMS_AFTER.get((after, name))
    if kind is None:
        raise UnknownParameter(
            f"the parameter {name!r} (after {after!r}) names no known record: add it to PARAMS or PARAMS_AFTER "
            f"in {__name__} with the team-A record it names (and build that record in build_world)")
    return kind


# --- Team A's records -----------------------------------------------------------------------------

@dataclass
class World:
    values: dict[str, list[str]]  # kind of record → the values that name it in a URL
    owner: Any
    outsiders: list[Any]
    secrets: dict[int, str]  # user id → API token
    markers: dict[str, str] = field(default_factory=_markers)


def build_world(make_user: Callable[..., Any]) -> World:
    """Team A's records, each made through its service as a user would; team B's two users."""
    from accounts.models import Team
    from accounts.services import token_create
    from commerce import services as commerce
    from customers import services as customers
    from dataio.exports import exports
    from dataio.services import import_job_create, importable_kinds
    from governance.services import customer_merge, match_keys_refresh, not_duplicate_mark
    from insights.tests.scoring_data import scores_stored
    from interactions.services import follow_up_create, interaction_create
    from segmentation.manual import scheme_assign
    from segmentation.refresh import business_today
    from segmentation.rules import rule_scheme_save
    from segmentation.saved import saved_segment_create
    from segmentation.services import lifecycle_mark, segments_refresh
    from work.services_calendar import appointment_create
    from work.services_plans import plan_entry_add, target_set

    team_a, team_b = Team.objects.create(name="Team A"), Team.objects.create(name="Team B")
    owner, manager_a = make_user("sales", team_a), make_user("manager", team_a)
    outsiders = [make_user("sales", team_b), make_user("manager", team_b)]

    taken: set[int] = set()

    def fresh(make: Callable[[int], Any]) -> Any:
        """make(0), make(1), … until the record's id is one no other record of the walk has: a route
        that names the wrong kind of record then finds nothing, and the owner's 404 shows it."""
        for n in itertools.count():
            obj = make(n)
            if obj.pk not in taken:
                taken.add(obj.pk)
                return obj
        raise AssertionError  # pragma: no cover - count() never ends

    def customer(name: str, **data: Any) -> Any:
        return fresh(lambda _n: customers.customer_create(actor=owner, owner=owner, data={"name": name, **data}))

    person = customer(f"{MARK} Zelenka", kind="person", phone=PHONE, email=EMAIL, id_number=ID_NUMBER,
                      external_id=EXTERNAL_ID, city="Hangzhou")
    duplicate = customer(f"{MARK} Zelenka", kind="person", phone=PHONE, city="Hangzhou")
    org = customer(f"{MARK} Precision Works", kind="organisation", city="Hangzhou")
    for user in outsiders:  # team B has customers of its own: its lists are not empty
        customers.customer_create(actor=user, owner=user, data={"name": "Beta Trading", "kind": "organisation"})

    contact = fresh(lambda _n: customers.contact_create(
        actor=owner, customer_id=org.pk, data={"name": f"Ilsabet {MARK}", "phone": "13611112222"}))
    family = fresh(lambda _n: customers.family_member_create(
        actor=owner, customer_id=person.pk, data={"name": f"Miraleth {MARK}", "relation": "spouse"}))
    document = fresh(lambda _n: customers.document_upload(actor=owner, customer_id=person.pk, upload=SimpleUploadedFile(
        f"{MARK}-offer.txt", f"Offer for {MARK} Zelenka".encode(), content_type="text/plain")))
    tag = fresh(lambda n: customers.tag_create(actor=owner, name=f"VIP {n}"))
    customers.customers_bulk_add_tag(actor=owner, customer_ids=[person.pk], tag=tag)

    product = fresh(lambda n: commerce.product_create(actor=manager_a, data={
        "code": f"QF-{n}", "name": "Growth fund", "category": "fund", "price": Decimal("100"),
        "unit_cost": Decimal("60")}))
    order = fresh(lambda _n: commerce.order_create(
        actor=owner, customer_id=person.pk, status="paid", data={"note": f"Delivered to {MARK}"},
        lines=[{"product": product, "quantity": 2}]))
    cost = fresh(lambda _n: commerce.cost_create(actor=owner, customer_id=person.pk, data={
        "kind": "service", "amount": Decimal("12"), "description": f"Visit to {MARK}"}))
    interaction = fresh(lambda _n: interaction_create(
        actor=owner, customer_id=person.pk, data={"channel": "phone", "subject": f"Call with {MARK}"}))
    task = fresh(lambda _n: follow_up_create(actor=owner, customer_id=person.pk, interaction_id=interaction.pk,
                                             data={"title": f"Call {MARK} back", "due_on": "2030-01-01"}))

    scheme_assign(actor=owner, customer_id=person.pk, scheme_key="relationship_level", class_key="partner",
                  note=f"{MARK} buys every quarter")
    lifecycle_mark(actor=owner, customer_id=org.pk, kind="target", marked_on=business_today() - timedelta(days=1),
                   note=f"{MARK} is worth a visit")
    customers.customer_transfer_owner(actor=manager_a, customer_id=org.pk, to_user=manager_a,
                                      reason="Key account: the team lead takes it")
    rules = rule_scheme_save(actor=manager_a, name="Where they are", catch_all_name="Elsewhere", classes=[
        {"name": "Hangzhou", "rules": [{"field": "city", "op": "eq", "value": "Hangzhou"}]}])
    segments_refresh()
    run = scores_stored([person])
    # The churn part's rows: the person marked churned today (after the segments: their segment before the loss
    # is kept), then the churn refresh records the loss.
    from retention.services_churn import churn_refresh

    lifecycle_mark(actor=owner, customer_id=person.pk, kind="churned", marked_on=business_today(),
                   churn_reason="price", note=f"{MARK} went to a competitor")
    churn_refresh()
    segment = fresh(lambda n: saved_segment_create(
        actor=owner, name=f"Our people {n}", rules=[{"field": "kind", "op": "eq", "value": "person"}],
        shared_with_all=True))
    match_keys_refresh(full=True)
    not_duplicate_mark(actor=manager_a, first_id=org.pk, second_id=person.pk)
    merge = fresh(lambda n: customer_merge(
        actor=manager_a, survivor_id=duplicate.pk, merged_id=customers.customer_create(
            actor=owner, owner=owner, data={"name": f"{MARK} Zelenka (old card {n})", "kind": "person"}).pk))
    job = fresh(lambda _n: import_job_create(actor=owner, kind="customers", upload=SimpleUploadedFile(
        "people.csv", f"name,phone\n{MARK} Importee,13700001111\n".encode())))
    token = fresh(lambda n: token_create(user=owner, name=f"script {n}")[0])
    target = fresh(lambda n: target_set(actor=manager_a, month=date(2030 + n, 1, 1), metric="revenue", value=100,
                                        user_id=owner.pk))
    plan_entry_add(actor=owner, week=business_today(), customer_id=person.pk, reason=f"Call {MARK}")
    appointment = fresh(lambda n: appointment_create(actor=owner, save_anyway=True, data={
        "title": f"Visit {MARK} Zelenka", "customer": person.pk, "location": f"{MARK} tower",
        "starts_at": timezone.now() + timedelta(days=1, hours=n),
        "ends_at": timezone.now() + timedelta(days=1, hours=n + 1)}))

    from work.models import OutgoingEmail
    from work.services_notifications import notify

    notification = fresh(lambda _n: notify(recipients=[owner], event="work.reminder", obj=person,
                                           context={"item": {"title": f"Call {MARK} back"}})[0])
    outgoing_email = fresh(lambda _n: OutgoingEmail.objects.create(
        to=EMAIL, subject=f"About {MARK} Zelenka", body_text=f"Call {MARK}", language="en"))

    from service.services_knowledge import article_create
    from service.services_requests import request_create

    service_request = fresh(lambda _n: request_create(actor=owner, customer_id=person.pk, data={
        "subject": f"{MARK} asks for a repair", "order": order.pk}))
    article = fresh(lambda n: article_create(actor=owner, publish=True, data={
        "problem": f"Washer error E4 ({n})", "solution": "Clean the filter.", "language": "en"}))
    from wealth.models import FxRate
    from wealth.services_holdings import holding_create
    holding = fresh(lambda _n: holding_create(actor=owner, customer_id=person.pk, data={
        "asset_class": "fund", "product_name": f"{MARK} growth fund", "amount": Decimal("250000"),
        "matures_on": timezone.localdate() + timedelta(days=5)}))
    # Reference data (not team A's): every signed-in user reads the rates, administrators change them.
    fx_rate = fresh(lambda n: FxRate.objects.create(base="USD", quote="CNY", rate=Decimal("7.1"),
                                                    valid_from=date(2020, 1, 1) + timedelta(days=n)))
    from wealth.services_coverage import gap_summaries_refresh, income_set, policy_create
    policy = fresh(lambda n: policy_create(actor=owner, customer_id=person.pk, data={
        "insurer": f"{MARK} Life", "policy_type": "life", "policy_number": f"QP-{n}", "insured_member": family.pk,
        "starts_on": date(2024, 1, 1), "sum_insured": Decimal("500000"), "premium": Decimal("3000"),
        "status": "premium_due"}))
    income_set(actor=owner, customer_id=person.pk, family_member_id=None, annual_income=Decimal("200000"))
    gap_summaries_refresh([person.pk])  # the premium unpaid is a gap (refreshes on commit, which never comes here)
    from service.models import Holiday
    from service.services_sla import agreement_create, agreement_document_attach

    agreement = fresh(lambda n: agreement_create(actor=owner, customer_id=person.pk, data={
        "number": f"SA-{MARK}-{n}", "level": "premium", "starts_on": date(2026, 1, 1), "ends_on": date(2030, 12, 31),
        "terms": f"Support for {MARK}", "sla": {"complaint": {"critical": [10, 60]}}}))
    agreement_document_attach(actor=owner, agreement_id=agreement.pk, upload=SimpleUploadedFile(
        f"{MARK}-agreement.txt", f"Signed by {MARK} Zelenka".encode(), content_type="text/plain"))
    holiday = Holiday.objects.order_by("date").first()
    from service.services_complaints import compensation_grant, complaint_create

    def new_complaint(_n: int) -> Any:
        return complaint_create(actor=owner, customer_id=person.pk, data={
            "channel": "phone", "category": "billing", "severity": "high", "description": f"{MARK} was overcharged"})

    complaint = fresh(new_complaint)
    complaint_approval = fresh(lambda n: compensation_grant(actor=owner, complaint_id=new_complaint(n).pk,
                                                            amount=Decimal("100000")))
    from retention.models import ChurnRiskSnapshot
    from retention.services_winback import campaign_create, campaign_execute, customer_mark_lost

    customer_mark_lost(actor=owner, customer_id=person.pk, reason="price", competitor=f"{MARK} Rival Ltd")
    winback_campaign = fresh(lambda n: campaign_create(actor=owner, data={"name": f"Win back {n}", "by_task": True}))
    campaign_execute(campaign_id=winback_campaign.pk)
    ChurnRiskSnapshot.objects.create(customer=person, week=business_today(), churn_risk=0.4)
    from wealth.services_reviews import review_start

    asset_review = fresh(lambda _n: review_start(actor=owner, customer_id=person.pk, notes=f"Talked with {MARK}"))

    secrets = {u.pk: token_create(user=u, name="walker")[1] for u in (owner, *outsiders)}
    values = {
        "customer": [person.pk], "duplicate": [duplicate.pk], "contact": [contact.pk], "family": [family.pk],
        "document": [document.pk], "tag": [tag.pk], "product": [product.pk], "order": [order.pk],
        "cost": [cost.pk], "interaction": [interaction.pk], "task": [task.pk], "segment": [segment.pk],
        "scheme": ["relationship_level", rules.key], "manual_scheme": ["relationship_level"],
        "class": ["partner", rules.classes.get(is_catch_all=False).key], "user": [owner.pk], "token": [token.pk],
        "merge": [merge.pk], "import_job": [job.pk], "score_run": [run.pk], "target": [target.pk],
        "notification": [notification.pk], "outgoing_email": [outgoing_email.pk],
        "appointment": [appointment.pk], "feed_token": ["no-such-feed-token"],
        "service_request": [service_request.pk], "article": [article.pk], "board_column": ["unassigned"],
        "holding": [holding.pk], "fx_rate": [fx_rate.pk], "policy": [policy.pk],
        "agreement": [agreement.pk], "holiday": [holiday.pk],
        "complaint": [complaint.pk], "complaint_approval": [complaint_approval.pk],
        "asset_review": [asset_review.pk],
        "import_kind": [k for k, _label in importable_kinds(owner)], "export_kind": sorted(exports()),
        "winback_campaign": [winback_campaign.pk], "churn_reason": ["price"],
    }
    return World(values={k: [str(v) for v in vs] for k, vs in values.items()}, owner=owner, outsiders=outsiders,
                 secrets=secrets)


# --- The requests -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    route: str  # what the report names: "customers:customer_edit /customers/<int:pk>/edit/"
    method: str
    url: str
    api: bool
    body: Any = None
    ghost_url: str | None = None  # the same request naming records that do not exist (team A's only)
    ghost_body: Any = None

    @property
    def names_team_a(self) -> bool:
        return self.ghost_url is not None

    def __str__(self) -> str:
        return f"{self.method} {self.url}" + (f" {json.dumps(self.body)}" if self.body is not None else "")


def _fillings(params: list[tuple[str, str, str]], world: World) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """For (name, word before, int|str) parameters: every combination of team A's values, with its ghost."""
    kinds = [record_kind(name, after) for name, after, _type in params]
    for combo in itertools.product(*(world.values[k] for k in kinds)):
        real = {name: v for (name, _a, _t), v in zip(params, combo, strict=True)}
        ghost = {name: ((GHOST_ID if typ == "int" else GHOST_KEY) if kind in PRIVATE else v)
                 for (name, _a, typ), kind, v in zip(params, kinds, combo, strict=True)}
        yield real, ghost


def page_requests(patterns: list[Any], world: World) -> list[Request]:
    """A GET of every page of the URLconf `patterns` (the API's are walked from its description)."""
    out = []
    for route in walk(patterns):
        if route.name.startswith("api:"):
            continue
        if "(?P<" in route.route:
            raise UnknownParameter(f"{route}: a regular-expression route cannot be filled; write it with path()")
        params = []
        for m in PARAM.finditer(route.route):
            words = [w for w in route.route[: m.start()].split("/") if w and not PARAM.search(w)]
            params.append((m["name"], words[-1] if words else "", "int" if m["converter"] == "int" else "str"))

        def fill(values: dict[str, str], template: str = route.route) -> str:
            return "/" + PARAM.sub(lambda m: values[m["name"]], template)

        for real, ghost in _fillings(params, world):
            names_a = real != ghost
            out.append(Request(route=str(route), method="GET", url=fill(real), api=False,
                               ghost_url=fill(ghost) if names_a else None))
    return out


def _schema(node: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return _schema(components[node["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            return _schema(next(n for n in node[key] if n.get("type") != "null"), components)
    return node


def _sample(name: str, node: dict[str, Any], components: dict[str, Any], world: World, ghost: bool) -> Any:
    """A value the schema accepts; a record's id when the field names one (PARAMS), team A's or a ghost.
    An integer field that says it is an id ("…_id", "Customer id.") must be in PARAMS."""
    says_id = name.endswith("_id") or re.search(r"\bid\b", node.get("description", ""), re.IGNORECASE)
    node = _schema(node, components)
    typ = node.get("type")
    if typ == "object":
        return {k: _sample(k, v, components, world, ghost) for k, v in node.get("properties", {}).items()
                if k in node.get("required", [])}
    if typ == "array":
        return [_sample(name, node.get("items", {}), components, world, ghost)]
    if name in PARAMS or (typ == "integer" and says_id):
        kind = record_kind(name)
        value = world.values[kind][0]
        return (int(GHOST_ID) if kind in PRIVATE and ghost else int(value)) if typ == "integer" else value
    if "enum" in node:
        return node["enum"][0]
    if typ in ("integer", "number", "boolean"):
        return False if typ == "boolean" else 1
    return {"date": "2030-01-01", "date-time": "2030-01-01T10:00:00+08:00",
            "email": "walker@example.cn"}.get(node.get("format", ""), "walker")


def api_requests(api: Any, world: World) -> list[Request]:
    """Every operation of the django-ninja `api`, from its OpenAPI description: path parameters and
    the query and body fields that name records filled from team A's (PARAMS), other required body
    fields with values their schema accepts."""
    root = reverse(f"{api.urls_namespace}:api-root")
    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    out = []
    for api_path, operations in schema["paths"].items():
        for method, op in operations.items():
            params = op.get("parameters", [])
            in_path = [(p["name"], "", "int" if _schema(p["schema"], components).get("type") == "integer" else "str")
                       for p in params if p["in"] == "path"]
            in_query = [p["name"] for p in params if p["in"] == "query" and p["name"] in PARAMS]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            for real, ghost in _fillings(in_path, world):
                def url(values: dict[str, str], ghost_ids: bool) -> str:
                    filled = re.sub(r"\{(\w+)\}", lambda m: values[m[1]], api_path)
                    query = "&".join(f"{q}={_sample(q, {}, components, world, ghost_ids)}" for q in in_query)
                    return filled + (f"?{query}" if query else "")

                real_body = _sample("", body, components, world, False) if body else None
                ghost_body = _sample("", body, components, world, True) if body else None
                names_a = real != ghost or real_body != ghost_body or url(real, False) != url(ghost, True)
                out.append(Request(route=f"{op.get('operationId', api_path)} {method.upper()} {api_path}",
                                   method=method.upper(), url=url(real, False), api=True, body=real_body,
                                   ghost_url=url(ghost, True) if names_a else None,
                                   ghost_body=ghost_body if names_a else None))
    assert all(r.url.startswith(root) for r in out), root
    return out


# --- Asking ------------------------------------------------------------------------------------

def _send(client: Client, request: Request, *, url: str, body: Any, headers: dict[str, str]) -> HttpResponse:
    """One request in a savepoint rolled back after it (the client's cookies kept as they were)."""
    cookies = client.cookies.__class__(client.cookies)  # a copy: logging out must not end the walk's session
    with transaction.atomic():
        if request.api:
            response = client.generic(request.method, url, json.dumps(body) if body is not None else "",
                                      content_type="application/json", **headers)
        else:
            response = getattr(client, request.method.lower())(url, **headers)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        response.walked_text = content.decode("utf-8", "replace") + " " + response.get("Location", "")
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def ask(client: Client, request: Request, world: World, user: Any, *, ghost: bool = False,
        htmx: bool = False) -> tuple[Request, Any]:
    """Send `request` (its ghost with ghost=True, as htmx asks for a fragment with htmx=True) as `user`;
    a page answering 405 to GET is POSTed."""
    headers = {"HTTP_ACCEPT_LANGUAGE": "en", **({"HTTP_HX_REQUEST": "true"} if htmx else {})}
    if request.api:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.secrets[user.pk]}"
    url, body = (request.ghost_url, request.ghost_body) if ghost else (request.url, request.body)
    response = _send(client, request, url=url, body=body, headers=headers)
    if response.status_code == 405 and not request.api and request.method == "GET":
        request = replace(request, method="POST")
        response = _send(client, request, url=url, body=body, headers=headers)
    return request, response


def _leaked(response: Any, world: World) -> list[str]:
    return [label for label, value in world.markers.items() if value in response.walked_text]


def _same_answer(request: Request, response: Any, ghost: Any) -> bool:
    """The answer to the ghost is the answer to team A's record: same status, and for the API the same
    body once the ids in the two URLs are set aside (pages carry a CSRF token that differs anyway)."""
    if response.status_code != ghost.status_code:
        return False
    if not request.api:
        return True

    named = [(a, b) for a, b in zip(re.findall(r"[\w-]+", request.url), re.findall(r"[\w-]+", request.ghost_url),
                                    strict=False) if a != b]

    def plain(text: str, values: list[str]) -> str:
        for value in values:
            text = re.sub(rf"\b{re.escape(value)}\b", "…", text)
        return text

    return (plain(response.walked_text, [a for a, _b in named])
            == plain(ghost.walked_text, [b for _a, b in named]))


def outsider_problems(client: Client, request: Request, world: World, user: Any) -> list[str]:
    """What another team's `user` learns from `request` about team A: [] when nothing. A page that
    names team A's records is also POSTed (empty form): a view must not scope its GET only; a page
that answers is also asked as htmx asks for its fragments."""
    sent, response = ask(client, request, world, user)
    status, found = response.status_code, []
    where = f"{user.get_role_display()} of team B: {sent} ({sent.route})"
    if status >= 500:
        found.append(f"{where} → {status}")
    leaked = _leaked(response, world)
    if leaked:
        found.append(f"{where} → {status} showing team A's {', '.join(leaked)}")
    if sent.names_team_a and status != 404 and status < 500:
        if status in (301, 302, 303) and response["Location"].startswith(resolve_url(settings.LOGIN_URL)):
            found.append(f"{where} → sent to log in although logged in")
        sent_ghost, ghost = ask(client, request, world, user, ghost=True)
        if not _same_answer(sent, response, ghost):
            found.append(f"{where} → {status}, but {ghost.status_code} for a record that does not exist "
                         f"({sent_ghost.ghost_url}): tells that team A's record exists")
    if sent.names_team_a and not sent.api and sent.method == "GET":
        found += outsider_problems(client, replace(sent, method="POST"), world, user)
    if status == 200 and not sent.api and sent.method == "GET":  # the page's htmx fragments (list rows …)
        _sent, fragment = ask(client, sent, world, user, htmx=True)
        leaked = _leaked(fragment, world)
        if fragment.status_code >= 500 or leaked:
            found.append(f"{where} as htmx → {fragment.status_code}"
                         + (f" showing team A's {', '.join(leaked)}" if leaked else ""))
    return found


def owner_problems(client: Client, request: Request, world: World) -> list[str]:
    """404 (or a crash) for the owner: the parameters did not name team A's records."""
    sent, response = ask(client, request, world, world.owner)
    status = response.status_code
    if status >= 500 or (status == 404 and sent.names_team_a):
        return [f"owner: {sent} ({sent.route}) → {status}"]
    return []


# --- The tests ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:  # noqa: ANN001
    """Team A's records, built once for the module in a transaction rolled back at its end."""
    from accounts.models import User
    from core.testing import PASSWORD

    numbers = itertools.count(1)

    def make_user(role: str, team: Any) -> Any:
        return User.objects.create_user(username=f"walker_{role}{next(numbers)}", password=PASSWORD, role=role,
                                        team=team)

    with django_db_blocker.unblock(), override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ), transaction.atomic():
        yield build_world(make_user)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def isolated_test_settings(world, settings):  # noqa: ANN001
    """core.testing's fixture of that name, except that the module's uploads stay where `world` put
    them (the root conftest gives each test its own media folder)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KEHU_COMPILED_VERIFY = True


@pytest.fixture(scope="module")
def requests(world) -> list[Request]:  # noqa: ANN001
    from kehu.api import api

    return page_requests(get_resolver().url_patterns, world) + api_requests(api, world)


def _client(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_the_walk_covers_every_page_and_every_api_operation(world, requests):
    from kehu.api import api

    pages = {r.route for r in requests if not r.api}
    assert {str(r) for r in walk(get_resolver().url_patterns) if not r.name.startswith("api:")} == pages
    operations = {(m.upper(), p) for p, ops in api.get_openapi_schema()["paths"].items() for m in ops}
    assert {(r.method, r.route.rsplit(" ", 1)[-1]) for r in requests if r.api} == operations
    # Every API URL is described (an operation left out of the description would be left out here).
    described = {re.sub(r"\{(\w+)\}", r"<\1>", p) for _m, p in operations}
    api_urls = {"/" + re.sub(r"<\w+:(\w+)>", r"<\1>", r.route) for r in walk(get_resolver().url_patterns)
                if r.name.startswith("api:") and r.name not in {"api:openapi-json", "api:openapi-view", "api:api-root"}}
    assert api_urls <= described
    # Each record has an id no other record of the walk has, so a wrong entry in PARAMS is a 404 for the owner.
    ids = [v for kind, vs in world.values.items() if kind in PRIVATE | {"product", "tag", "segment"}
           for v in vs]
    assert len(ids) == len(set(ids)), world.values
    # The card and its API twin name team A's customer (and are compared with a customer that does not exist).
    named = {r.route.split(" ")[0] for r in requests if r.names_team_a}
    assert {"customers:customer_detail", "customers_api_customer_detail"} <= named, named


@pytest.mark.parametrize("role", [0, 1], ids=["sales", "manager"])
def test_another_team_learns_nothing_about_team_a(world, requests, role):
    user = world.outsiders[role]
    client = _client(user)
    found = [p for r in requests for p in outsider_problems(client, r, world, user)]
    assert found == [], "\n".join(found)


def test_the_owner_reaches_every_record_the_walk_names(world, requests):
    client = _client(world.owner)
    found = [p for r in requests for p in owner_problems(client, r, world)]
    assert found == [], "\n".join(found)


def test_every_record_of_a_customer_is_scoped_through_it(world):
    """Team A's rows of every model that belongs to a customer (customers.owned finds them, so a model
    added later is included): another team's restrict() finds none of them. The walk's records must
    include a row of each, so that the pages and operations that show them are walked with data."""
    from customers.models import Customer
    from customers.owned import customer_owned

    team_a = Customer.objects.filter(team_id=world.owner.team_id)  # merged (deleted) ones too
    missing, seen_by_b = [], []
    for owned in customer_owned():
        rows = owned.model._base_manager.filter(**{f"{owned.field}__in": team_a.values("pk")}).values("pk")
        if not rows.exists():
            missing.append(owned.label)
        for user in world.outsiders:
            if owned.model.objects.restrict(user, "view").filter(pk__in=rows).exists():
                seen_by_b.append(f"{owned.label} by {user.get_role_display()} of team B")
    assert missing == [], f"build_world makes no row of {missing}: add one"
    assert seen_by_b == []


def test_a_parameter_nobody_mapped_fails_loudly(world):
    class NewUrls:
        urlpatterns = [path("surveys/<int:survey_id>/", lambda request, survey_id: HttpResponse())]

    with pytest.raises(UnknownParameter, match="survey_id"):
        page_requests(NewUrls.urlpatterns, world)


@require_GET
def _forgets_scope(request, pk):  # noqa: ANN001, ANN202 - a view someone wrote without restrict()
    from customers.models import Customer

    return HttpResponse(get_object_or_404(Customer, pk=pk).name)


class PlantedUrls:
    urlpatterns = [path("planted/customers/<int:pk>/", _forgets_scope, name="planted"),
                   path("", include("kehu.urls"))]


def test_a_view_that_forgets_scope_is_caught(world):
    user = world.outsiders[0]
    with override_settings(ROOT_URLCONF=PlantedUrls):
        planted = [r for r in page_requests(get_resolver(PlantedUrls).url_patterns, world) if "planted" in r.route]
        found = [p for r in planted for p in outsider_problems(_client(user), r, world, user)]
    assert len(planted) == 1, planted
    assert found == [
        f"Sales of team B: {planted[0]} ({planted[0].route}) → 200 showing team A's name",
        f"Sales of team B: {planted[0]} ({planted[0].route}) → 200, but 404 for a record that does not exist "
        f"({planted[0].ghost_url}): tells that team A's record exists",
        f"Sales of team B: {planted[0]} ({planted[0].route}) as htmx → 200 showing team A's name",
    ]
