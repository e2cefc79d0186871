"""Personal API tokens: creation (hash only), revocation, authentication of API calls, the token
pages and the profile fragment."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import token_create, token_revoke

ME = "/api/v1/me"


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


# --- Services ------------------------------------------------------------------------------------

def test_token_create_stores_only_the_hash(sales_a):
    token, secret = token_create(user=sales_a, name="  export script  ")
    assert secret.startswith("kehu_") and len(secret) > 40
    token.refresh_from_db()
    assert token.name == "export script"
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    # The secret appears in no column; the hint is a short prefix that cannot reconstruct it.
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert not any(secret in value for value in stored)
    assert secret.startswith(token.hint) and len(token.hint) <= 9


def test_token_secrets_are_unique(sales_a):
    secrets = {token_create(user=sales_a, name=f"t{i}")[1] for i in range(5)}
    assert len(secrets) == 5


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_token_create_rejects_bad_names(sales_a, name):
    with pytest.raises(ValidationError) as exc:
        token_create(user=sales_a, name=name)
    assert "name" in exc.value.message_dict
    assert not ApiToken.objects.exists()


def test_token_revoke_only_own_tokens(sales_a, sales_b):
    token, _ = token_create(user=sales_a, name="mine")
    with pytest.raises(ApiToken.DoesNotExist):
        token_revoke(user=sales_b, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None
    revoked = token_revoke(user=sales_a, token_id=token.pk)
    assert revoked.revoked_at is not None
    first = revoked.revoked_at
    assert token_revoke(user=sales_a, token_id=token.pk).revoked_at == first  # idempotent


# --- Authentication ------------------------------------------------------------------------------

def test_token_authenticates_api_calls(client, sales_a):
    _, secret = token_create(user=sales_a, name="t")
    response = client.get(ME, **bearer(secret))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == "sales_a"
    assert body["role"] == "sales"
    assert body["team"]["name"] == "Team A"


def test_no_credentials_is_401(client, db):
    response = client.get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("secret", ["kehu_not-a-real-token", "someone-elses-format", ""])
def test_unknown_token_is_401(client, sales_a, secret):
    token_create(user=sales_a, name="t")
    assert client.get(ME, **bearer(secret)).status_code == 401


@pytest.mark.parametrize(("header", "status"), [
    ("bearer {secret}", 200),  # the scheme in any case
    ("BEARER {secret}", 200),
    ("Bearer  {secret}", 401),  # everything after the first space is the token
    ("Bearer", 401),
    ("Basic {secret}", 200),  # another scheme is not a token: the session answers
    ("Token {secret}", 200),
])
def test_authorization_header_forms(client_for, sales_a, header, status):
    _, secret = token_create(user=sales_a, name="t")
    response = client_for(sales_a).get(ME, HTTP_AUTHORIZATION=header.format(secret=secret))
    assert response.status_code == status
    if status == 200:
        assert response.json()["username"] == "sales_a"


def test_revoked_token_is_401(client, sales_a):
    token, secret = token_create(user=sales_a, name="t")
    assert client.get(ME, **bearer(secret)).status_code == 200
    token_revoke(user=sales_a, token_id=token.pk)
    response = client.get(ME, **bearer(secret), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert "吊销" in client.get(ME, **bearer(secret), HTTP_ACCEPT_LANGUAGE="zh-hans").json()["detail"]


def test_token_of_inactive_user_is_401(client, sales_a):
    _, secret = token_create(user=sales_a, name="t")
    sales_a.is_active = False
    sales_a.save()
    assert client.get(ME, **bearer(secret)).status_code == 401


def test_bad_token_does_not_fall_back_to_the_session(client_for, sales_a):
    client = client_for(sales_a)
    assert client.get(ME).status_code == 200
    assert client.get(ME, **bearer("kehu_wrong")).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(client, sales_a):
    token, secret = token_create(user=sales_a, name="t")
    assert token.last_used_at is None
    client.get(ME, **bearer(secret))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(ME, **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get(ME, **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(seconds=1)
    assert timezone.now() - token.last_used_at < timedelta(seconds=30)


def test_session_auth_needs_csrf_for_writes(sales_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales_a)
    assert client.get(ME).status_code == 200
    response = client.post("/api/v1/tags", {"name": "VIP"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    # With the CSRF cookie and header, as the docs page and htmx send them.
    docs = client.get(reverse("api:openapi-view"))
    assert 'data-api-csrf="true"' in docs.content.decode()
    token = client.cookies["csrftoken"].value
    response = client.post("/api/v1/tags", {"name": "VIP"}, content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content


def test_token_requests_need_no_csrf(sales_a):
    client = Client(enforce_csrf_checks=True)
    _, secret = token_create(user=sales_a, name="t")
    response = client.post("/api/v1/tags", {"name": "VIP"}, content_type="application/json", **bearer(secret))
    assert response.status_code == 201, response.content


def test_token_user_language_applies(client, make_user, team_a):
    user = make_user("sales", team_a, language="zh-hans")
    _, secret = token_create(user=user, name="t")
    response = client.post("/api/v1/customers", {}, content_type="application/json",
                           HTTP_ACCEPT_LANGUAGE="en", **bearer(secret))
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "这个字段是必填项。"


# --- Pages ---------------------------------------------------------------------------------------

def test_token_add_shows_the_secret_once(client_for, sales_a):
    client = client_for(sales_a)
    response = client.post(reverse("accounts:token_add"), {"name": "nightly export"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=sales_a)
    secret = response.context["secret"]
    assert ApiToken.hash(secret) == token.key_hash
    html = response.content.decode()
    assert secret in html
    assert "nightly export" in html
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    # The secret works, and it is not kept anywhere a later page could show it.
    assert client.get(ME, **bearer(secret)).status_code == 200
    assert secret not in str(dict(client.session))


def test_token_add_rejects_get_and_anonymous(client, client_for, sales_a):
    assert client.post(reverse("accounts:token_add"), {"name": "x"}).status_code == 302  # to login
    assert not ApiToken.objects.exists()
    assert client_for(sales_a).get(reverse("accounts:token_add")).status_code == 405


def test_token_add_without_name_creates_nothing(client_for, sales_a):
    response = client_for(sales_a).post(reverse("accounts:token_add"), {"name": " "})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    assert not ApiToken.objects.exists()


def test_token_revoke_view(client_for, sales_a, sales_b):
    mine, _ = token_create(user=sales_a, name="mine")
    theirs, _ = token_create(user=sales_b, name="theirs")
    client = client_for(sales_a)
    assert client.post(reverse("accounts:token_revoke", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("accounts:token_revoke", args=[mine.pk])).status_code == 405
    response = client.post(reverse("accounts:token_revoke", args=[mine.pk]))
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None
    assert theirs.revoked_at is None


def test_tokens_fragment_lists_tokens_with_revoke_buttons(sales_a):
    active, _ = token_create(user=sales_a, name="active one")
    revoked, _ = token_create(user=sales_a, name="old one")
    token_revoke(user=sales_a, token_id=revoked.pk)
    request = RequestFactory().get("/accounts/profile/")
    request.user = sales_a
    html = render_to_string("accounts/_tokens.html", {"tokens": sales_a.api_tokens.all()}, request=request)
    assert "active one" in html and "old one" in html
    assert reverse("accounts:token_revoke", args=[active.pk]) in html
    assert reverse("accounts:token_revoke", args=[revoked.pk]) not in html
    assert reverse("accounts:token_add") in html
    assert "csrfmiddlewaretoken" in html
    assert "<script" not in html and "style=" not in html


def test_token_create_and_revoke_are_audited(sales_a):
    from accounts.services import token_create, token_revoke
    from audit.models import ObjectChange

    token, _raw = token_create(user=sales_a, name="nightly export")
    token_revoke(user=sales_a, token_id=token.pk)
    actions = list(
        ObjectChange.objects.filter(object_type="accounts.apitoken", object_id=token.pk)
        .order_by("at", "id").values_list("action", "user_id")
    )
    assert actions == [("create", sales_a.pk), ("update", sales_a.pk)]
