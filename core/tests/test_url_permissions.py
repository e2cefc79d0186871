"""Every URL in the registry is permission-aware or explicitly public.

The test walks django.urls.get_resolver() — pages and the /api/v1 endpoints alike — fills path
parameters with the ids of real objects, and sends each URL an anonymous GET, POST, PUT, PATCH and
DELETE. Each must answer with a redirect to the login page, 401, 403, 404 or 405. Only the names in
PUBLIC may answer anything else.

It is built from whatever URLs exist when the tests are collected, so views added later are
checked without touching this file; a view added without protection makes it fail (see the last
test, which proves that with a deliberately leaky view).

The same routes asked by a logged-in user of another team, and by the owner, against team A's
records: kehu/tests/test_url_scope.py (it reuses `walk` and `PARAM` from here).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path

# URL names anyone may use without logging in, and why.
PUBLIC = {
    "accounts:login",  # the way in
    "accounts:set_language",  # language switch on the login page
    "set_language",  # django.conf.urls.i18n
    "core:health",  # load balancer probe, reveals no customer data
    "core:favicon",  # the site's icon (a static file)
    "api:openapi-json",  # API description (schemas, no data)
    "api:openapi-view",  # API docs page
}
METHODS = ["get", "post", "put", "patch", "delete"]
ALLOWED_STATUS = {401, 403, 404, 405}
PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    route: str  # "customers/<int:pk>/edit/"
    name: str  # "customers:customer_edit"

    def __str__(self) -> str:
        return f"{self.name} /{self.route}"


def walk(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> list[Route]:
    """Every URL pattern under `patterns`, with its full route and namespaced name."""
    routes: list[Route] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x) or None
            routes += walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            routes.append(Route(prefix + str(p.pattern), name or getattr(p.callback, "__name__", "?")))
    # Several API operations share one path (one pattern per operation name): test each path once,
    # public if any of its names is.
    seen: dict[str, Route] = {}
    for r in routes:
        if r.route not in seen or r.name in PUBLIC:
            seen[r.route] = r
    return list(seen.values())


ROUTES = walk(get_resolver().url_patterns)

# The path segment before a parameter names its model ("contacts/<int:pk>" → contact).
SEGMENT_OBJECT = {
    "customers": "customer", "contacts": "contact", "family": "family", "family-members": "family",
    "documents": "document", "tags": "tag", "users": "user", "teams": "team", "tokens": "token",
}
NAME_OBJECT = {
    "customer_pk": "customer", "customer_id": "customer", "contact_id": "contact", "contact_pk": "contact",
    "family_member_id": "family", "document_id": "document", "tag_id": "tag", "user_id": "user",
    "team_id": "team", "token_id": "token",
}


def fill(route: str, objects: dict[str, int]) -> str:
    """The route with each parameter replaced by a real object's id (or a sample value)."""
    out, pos = [], 0
    for m in PARAM.finditer(route):
        out.append(route[pos:m.start()])
        converter, name = m.group("converter") or "str", m.group("name")
        before = route[: m.start()].rstrip("/").rsplit("/", 1)[-1]
        kind = NAME_OBJECT.get(name) or SEGMENT_OBJECT.get(before, "customer")
        if converter == "int" or name in NAME_OBJECT or name in ("pk", "id"):
            value = str(objects[kind])
        elif converter == "uuid":
            value = str(uuid.uuid4())
        else:
            value = "x"
        out.append(value)
        pos = m.end()
    out.append(route[pos:])
    return "/" + "".join(out)


def problems(client: Client, url: str) -> list[str]:
    """What an anonymous visitor could reach at `url`: an empty list when everything is refused."""
    login = resolve_url(settings.LOGIN_URL)
    found = []
    for method in METHODS:
        response = getattr(client, method)(url)
        status = response.status_code
        if status in ALLOWED_STATUS:
            continue
        if status == 302 and response["Location"].startswith(login):
            continue
        where = f" → {response['Location']}" if status in (301, 302, 303, 307, 308) else ""
        found.append(f"{method.upper()} {url}: {status}{where}")
    return found


@pytest.fixture
def anonymous(db) -> Client:
    # A crash is reported as a 500 for that URL rather than raised, so one report lists them all.
    return Client(raise_request_exception=False)


@pytest.fixture
def objects(db, sales_a, team_a, make_customer, customer_a) -> dict[str, int]:
    """One real object of each kind a URL may name, all in team A."""
    from accounts.services import token_create
    from customers.services import contact_create, document_upload, family_member_create, tag_create

    org = make_customer(sales_a, name="杭州恒信精密机械有限公司", kind="organisation")
    contact = contact_create(actor=sales_a, customer_id=org.pk, data={"name": "王经理"})
    family = family_member_create(actor=sales_a, customer_id=customer_a.pk, data={"name": "李娜", "relation": "spouse"})
    document = document_upload(actor=sales_a, customer_id=customer_a.pk,
                               upload=SimpleUploadedFile("offer.txt", b"offer", content_type="text/plain"))
    tag = tag_create(actor=sales_a, name="VIP")
    token, _secret = token_create(user=sales_a, name="script")
    return {"customer": customer_a.pk, "contact": contact.pk, "family": family.pk, "document": document.pk,
            "tag": tag.pk, "user": sales_a.pk, "team": team_a.pk, "token": token.pk}


def test_the_walk_finds_pages_and_api_endpoints():
    names = {r.name for r in ROUTES}
    assert {"customers:customer_list", "audit:change_list", "accounts:login"} <= names
    assert any(r.route.startswith("api/v1/") and r.name not in PUBLIC for r in ROUTES)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name not in PUBLIC], ids=str)
def test_anonymous_visitors_are_refused(anonymous, objects, route):
    url = fill(route.route, objects)
    assert problems(anonymous, url) == [], f"{route} is reachable without logging in"


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name in PUBLIC], ids=str)
def test_public_urls_answer_without_login(anonymous, route):
    response = anonymous.get(fill(route.route, {}))
    assert response.status_code in (200, 301, 302, 405), route  # 301: /favicon.ico → the static icon


def _leaky(request, pk):  # a view someone forgot to protect
    return HttpResponse("customer data")


class LeakyUrls:
    urlpatterns = [path("leak/<int:pk>/", _leaky, name="leak"), path("", include("kehu.urls"))]


def test_an_unprotected_view_is_caught(anonymous, objects):
    with override_settings(ROOT_URLCONF=LeakyUrls):
        routes = walk(get_resolver(LeakyUrls).url_patterns)
        leak = next(r for r in routes if r.name == "leak")
        found = problems(anonymous, fill(leak.route, objects))
    assert f"GET /leak/{objects['customer']}/: 200" in found
