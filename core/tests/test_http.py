import pytest
from django.test import RequestFactory

from core.http import safe_next
from core.middleware import client_ip


@pytest.mark.parametrize(
    ("url", "expected"),
    [("/customers/", "/customers/"), ("https://evil.example/", None), ("//evil.example/x", None), ("", None)],
)
def test_safe_next_refuses_other_sites(url, expected):
    assert safe_next(RequestFactory().get("/"), url) == expected


def test_client_ip_direct_ignores_forwarded_header(settings):
    settings.KEHU_TRUSTED_PROXIES = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.5"


def test_client_ip_behind_one_proxy_takes_the_hop_it_appended(settings):
    settings.KEHU_TRUSTED_PROXIES = 1
    # The client forged "6.6.6.6"; the proxy appended the real address 203.0.113.9.
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "203.0.113.9"
