"""Login, logout and login throttling."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import LoginFailure
from core.clientaddr import parse_trusted_proxies
from core.testing import PASSWORD

LOGIN = reverse("accounts:login")


def _post(client, username, password, ip="10.0.0.1", **extra):
    headers = {k: extra.pop(k) for k in list(extra) if k.startswith("HTTP_")}
    return client.post(LOGIN, {"username": username, "password": password, **extra}, REMOTE_ADDR=ip, **headers)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture(autouse=True)
def _english(client):
    """Assert on English messages whatever the default language (tests about language override it)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.mark.django_db
class TestLoginPage:
    def test_renders_with_language_switch_when_logged_out(self, client):
        response = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
        assert response.status_code == 200
        html = response.content.decode()
        assert 'lang="zh-hans"' in html
        assert "<title>登录" in html  # "Log in", from the catalogue
        assert reverse("accounts:set_language") in html
        assert 'name="language" value="en"' in html
        assert 'name="username"' in html and 'type="password"' in html

    def test_language_switch_keeps_the_next_page(self, client):
        html = client.get(LOGIN + "?next=/customers/%3Fq%3Dx").content.decode()
        assert 'name="next" value="/accounts/login/?next=/customers/%3Fq%3Dx"' in html

    def test_logged_in_user_is_sent_home(self, client_for, sales_a):
        response = client_for(sales_a).get(LOGIN)
        assert response.status_code == 302
        assert response["Location"] == reverse("home")


@pytest.mark.django_db
class TestLogin:
    def test_success_logs_in_and_rotates_session(self, client, sales_a):
        session = client.session
        session["before"] = 1
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        old_key = session.session_key
        response = _post(client, "sales_a", PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == reverse("home")
        assert _logged_in(client)
        assert client.session.session_key != old_key

    def test_wrong_password_is_refused_and_counted(self, client, sales_a):
        response = _post(client, "sales_a", "wrong-password")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
        assert not _logged_in(client)
        assert LoginFailure.objects.filter(username="sales_a", ip="10.0.0.1").count() == 1

    def test_unknown_user_is_counted_too(self, client):
        _post(client, "nobody", "whatever-pass")
        assert LoginFailure.objects.filter(username="nobody").count() == 1

    def test_inactive_user_cannot_log_in(self, client, make_user):
        make_user("sales", username="gone", is_active=False)
        response = _post(client, "gone", PASSWORD)
        assert response.status_code == 200
        assert not _logged_in(client)
        assert "Please enter a correct username and password" in response.content.decode()

    def test_success_clears_the_usernames_failures(self, client, sales_a):
        for _ in range(3):
            _post(client, "sales_a", "wrong-password")
        assert _post(client, "sales_a", PASSWORD).status_code == 302
        assert not LoginFailure.objects.filter(username="sales_a").exists()

    def test_user_language_is_applied_on_login(self, client, make_user):
        make_user("sales", username="english", language="en")
        response = _post(client, "english", PASSWORD)
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


@pytest.mark.django_db
class TestThrottling:
    def _fail(self, client, username, times, ip="10.0.0.1"):
        for _ in range(times):
            response = _post(client, username, "wrong-password", ip=ip)
            assert response.status_code == 200
        return response

    def test_five_failures_lock_the_username_even_for_the_right_password(self, client, sales_a):
        self._fail(client, "sales_a", settings.KEHU_LOGIN_MAX_FAILURES)
        # From another address, so that only the username lock applies.
        response = _post(client, "sales_a", PASSWORD, ip="10.9.9.9")
        assert response.status_code == 429
        html = response.content.decode()
        assert "Too many failed login attempts" in html
        assert "try again in 15 minutes" in html
        assert not _logged_in(client)

    def test_four_failures_do_not_lock(self, client, sales_a):
        self._fail(client, "sales_a", settings.KEHU_LOGIN_MAX_FAILURES - 1)
        assert _post(client, "sales_a", PASSWORD).status_code == 302

    def test_locked_attempts_are_not_counted(self, client, sales_a):
        self._fail(client, "sales_a", 5)
        for _ in range(3):
            _post(client, "sales_a", "wrong-password")
        assert LoginFailure.objects.filter(username="sales_a").count() == 5

    def test_username_lock_ignores_case(self, client, sales_a):
        self._fail(client, "SALES_A", 5)
        assert _post(client, "sales_a", PASSWORD, ip="10.9.9.9").status_code == 429

    def test_other_user_is_not_affected(self, client, sales_a, sales_b):
        self._fail(client, "sales_a", 5, ip="10.0.0.1")
        response = _post(client, "sales_b", PASSWORD, ip="10.0.0.2")
        assert response.status_code == 302
        assert _logged_in(client)

    def test_failures_for_one_account_do_not_lock_a_colleague_at_the_same_address(self, client, sales_a, sales_b):
        # The issue: five typos for sales_a behind an office NAT locked sales_b out for 15 minutes.
        self._fail(client, "sales_a", settings.KEHU_LOGIN_MAX_FAILURES, ip="10.0.0.7")
        assert _post(client, "sales_a", PASSWORD, ip="10.0.0.7").status_code == 429
        response = _post(client, "sales_b", PASSWORD, ip="10.0.0.7")
        assert response.status_code == 302
        assert _logged_in(client)

    def test_many_failures_from_one_address_lock_the_address(self, client, sales_a, sales_b, settings):
        settings.KEHU_LOGIN_MAX_FAILURES_PER_ADDRESS = 8
        for i in range(7):
            _post(client, f"a{i}", "wrong-password", ip="10.0.0.7")
        assert _post(client, "sales_b", PASSWORD, ip="10.0.0.7").status_code == 302
        client.logout()
        _post(client, "a7", "wrong-password", ip="10.0.0.7")
        assert _post(client, "sales_b", PASSWORD, ip="10.0.0.7").status_code == 429
        assert _post(client, "sales_b", PASSWORD, ip="10.0.0.8").status_code == 302

    def test_rotating_x_forwarded_for_does_not_dodge_the_address_limit(self, client, sales_b, settings):
        # No proxy in front (or one at another address): the client's X-Forwarded-For is its own text.
        settings.KEHU_TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.2")
        settings.KEHU_LOGIN_MAX_FAILURES_PER_ADDRESS = 3
        for i in range(3):
            _post(client, f"a{i}", "wrong-password", ip="198.51.100.7", HTTP_X_FORWARDED_FOR=f"1.1.1.{i}")
        assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"198.51.100.7"}
        response = _post(client, "sales_b", PASSWORD, ip="198.51.100.7", HTTP_X_FORWARDED_FOR="9.9.9.9")
        assert response.status_code == 429

    def test_behind_a_trusted_proxy_each_client_has_its_own_address(self, client, settings):
        settings.KEHU_TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.0/24")
        _post(client, "a", "wrong-password", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
        _post(client, "b", "wrong-password", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="<script>")
        assert list(LoginFailure.objects.order_by("id").values_list("ip", flat=True)) == ["203.0.113.9", "10.0.0.2"]

    def test_lock_lifts_when_the_window_passes(self, client, sales_a):
        self._fail(client, "sales_a", 5)
        assert _post(client, "sales_a", PASSWORD).status_code == 429
        window = timedelta(seconds=settings.KEHU_LOGIN_FAILURE_WINDOW_SECONDS)
        LoginFailure.objects.update(at=timezone.now() - window - timedelta(seconds=1))
        response = _post(client, "sales_a", PASSWORD)
        assert response.status_code == 302
        assert _logged_in(client)

    def test_settings_are_respected(self, client, sales_a, settings):
        settings.KEHU_LOGIN_MAX_FAILURES = 2
        self._fail(client, "sales_a", 2)
        assert _post(client, "sales_a", PASSWORD).status_code == 429


@pytest.mark.django_db
class TestNext:
    def test_safe_next_is_followed(self, client, sales_a):
        response = _post(client, "sales_a", PASSWORD, next="/customers/?q=x")
        assert response["Location"] == "/customers/?q=x"

    @pytest.mark.parametrize("bad", ["https://evil.example/", "//evil.example/x", "http://testserver.evil/"])
    def test_unsafe_next_is_ignored(self, client, sales_a, bad):
        response = _post(client, "sales_a", PASSWORD, next=bad)
        assert response["Location"] == reverse("home")

    def test_next_from_query_string_is_kept_in_the_form(self, client):
        response = client.get(LOGIN + "?next=/customers/")
        assert 'name="next" value="/customers/"' in response.content.decode()

    def test_unsafe_next_is_not_echoed(self, client):
        response = client.get(LOGIN + "?next=https://evil.example/")
        # (The language switch may carry the page's own URL; the login form must not carry the target.)
        assert 'name="next" value="https://evil.example/"' not in response.content.decode()

    def test_protected_page_sends_to_login_with_next(self, client):
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN + "?next=/")


@pytest.mark.django_db
class TestLogout:
    def test_get_is_refused(self, client_for, sales_a):
        client = client_for(sales_a)
        assert client.get(reverse("accounts:logout")).status_code == 405
        assert _logged_in(client)

    def test_post_logs_out(self, client_for, sales_a):
        client = client_for(sales_a)
        response = client.post(reverse("accounts:logout"))
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:login")
        assert not _logged_in(client)
        assert client.get(reverse("home")).status_code == 302
