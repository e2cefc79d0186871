"""The error pages as users see them with DEBUG off (what `make run` serves): 403, 404, 413, 500 and the
CSRF failure in the site's layout and the user's language, never Django's debug or bare pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import path, reverse

from core import views
from kehu.urls import handler400, handler403, handler404, handler500  # noqa: F401 (this module is a URLconf too)
from kehu.urls import urlpatterns as kehu_urlpatterns

pytestmark = pytest.mark.django_db


def _boom(request):  # noqa: ANN001, ANN202
    raise RuntimeError("secret local detail")


def _forbidden(request):  # noqa: ANN001, ANN202
    raise PermissionDenied


urlpatterns = [path("test-boom/", _boom), path("test-forbidden/", _forbidden), *kehu_urlpatterns]


@pytest.fixture(autouse=True)
def debug_off(settings):  # noqa: ANN001, ANN201
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


LANGUAGES = [("zh-hans", "页面不存在", "返回首页"), ("en", "Page not found", "Go to the home page")]


@pytest.mark.parametrize(("language", "title", "home"), LANGUAGES)
def test_404_is_friendly_and_translated(client, language, title, home):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)
    body = response.content.decode()
    assert response.status_code == 404
    assert title in body and home in body
    assert "URLconf" not in body and "urlpatterns" not in body and "customers/&lt;int:pk&gt;" not in body
    assert 'href="/"' in body
    assert '<link rel="stylesheet" href="/static/kehu/kehu.css">' in body  # the site's layout


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_404_for_a_signed_in_user_offers_back_and_search(client_for, sales_a, language):
    sales_a.language = language
    sales_a.save(update_fields=["language"])
    client = client_for(sales_a)
    response = client.get("/customers/999999/", HTTP_REFERER="http://testserver/customers/")
    body = response.content.decode()
    assert response.status_code == 404
    assert dict(LANGUAGES_BY_CODE)[language] in body
    assert 'href="http://testserver/customers/"' in body  # back
    assert f'action="{reverse("customers:customer_search")}"' in body
    # a referer from elsewhere is not offered as "back"
    other = client.get("/customers/999999/", HTTP_REFERER="https://evil.example/x").content.decode()
    assert "evil.example" not in other


LANGUAGES_BY_CODE = [(code, title) for code, title, _home in LANGUAGES]


@pytest.mark.parametrize(("language", "title", "reason"), [
    ("zh-hans", "无权访问", "只有管理员可以管理用户和团队。"),
    ("en", "Not allowed", "Only administrators may manage users and teams."),
])
def test_403_is_friendly_with_the_reason(client_for, sales_a, language, title, reason):
    sales_a.language = language
    sales_a.save(update_fields=["language"])
    client = client_for(sales_a)
    response = client.get(reverse("accounts:user_list"))
    body = response.content.decode()
    assert response.status_code == 403
    assert title in body and reason in body
    assert 'class="topbar"' in body  # the site's layout, with its navigation
    bare = client.get("/test-forbidden/").content.decode()
    assert title in bare and "403 Forbidden" not in bare


@pytest.mark.parametrize(("language", "text"), [("zh-hans", "服务器出错"), ("en", "Server error")])
def test_500_is_friendly_and_shows_nothing_internal(language, text, sales_a):
    client = Client(raise_request_exception=False)
    client.force_login(sales_a)
    response = client.get("/test-boom/", HTTP_ACCEPT_LANGUAGE=language)
    body = response.content.decode()
    assert response.status_code == 500
    assert text in body
    assert "secret local detail" not in body and "Traceback" not in body and "SECRET_KEY" not in body


def test_500_renders_without_database_or_user(django_assert_num_queries):
    request = RequestFactory().get("/anything/")  # no session, no user
    with django_assert_num_queries(0):
        response = views.server_error(request)
    assert response.status_code == 500
    assert "/static/kehu/kehu.css" in response.content.decode()


@pytest.mark.parametrize(("language", "title"), [("zh-hans", "表单已过期"), ("en", "The form has expired")])
def test_csrf_failure_is_friendly(language, title):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "x", "password": "y"},
                           HTTP_ACCEPT_LANGUAGE=language)
    body = response.content.decode()
    assert response.status_code == 403
    assert title in body and "CSRF verification failed" not in body


@pytest.mark.parametrize(("language", "title"), [("zh-hans", "数据过大"), ("en", "Too much data")])
def test_a_too_large_form_is_a_friendly_413_and_saves_nothing(client_for, sales_a, settings, language, title):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    sales_a.language = language
    sales_a.save(update_fields=["language"])
    response = client_for(sales_a).post(reverse("customers:customer_add"),
                                        {"name": "陈静", "special_notes": "x" * (2 * 1024 * 1024)})
    body = response.content.decode()
    assert response.status_code == 413
    assert title in body and "1.0" in body and "/static/kehu/kehu.css" in body
    from customers.models import Customer
    assert not Customer.objects.filter(name="陈静").exists()


def test_other_bad_requests_keep_the_plain_400(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
