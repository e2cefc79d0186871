import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse

from audit.models import AccessLog
from core.clientaddr import client_ip, parse_trusted_proxies
from core.http import safe_next


@pytest.mark.parametrize(
    ("url", "expected"),
    [("/customers/", "/customers/"), ("https://evil.example/", None), ("//evil.example/x", None), ("", None)],
)
def test_safe_next_refuses_other_sites(url, expected):
    assert safe_next(RequestFactory().get("/"), url) == expected


# --- The client address (core/clientaddr.py): login throttling and the audit trail use it ----------

PROXY = "10.0.0.2"


def _request(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_client_ip_direct_ignores_forwarded_header(settings):
    settings.KEHU_TRUSTED_PROXIES = ()
    assert client_ip(_request("10.0.0.5", "1.2.3.4")) == "10.0.0.5"


def test_forwarded_header_from_an_untrusted_peer_is_ignored(settings):
    # The attack: with a hop count, a client with no proxy in front chose its own address per request.
    settings.KEHU_TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.2")
    for forged in ("1.1.1.1", "2.2.2.2, 3.3.3.3", "10.0.0.2"):
        assert client_ip(_request("198.51.100.7", forged)) == "198.51.100.7"


def test_trusted_proxy_header_is_honoured_from_the_right(settings):
    settings.KEHU_TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.2")
    # The client forged "6.6.6.6"; the proxy appended the real address 203.0.113.9.
    assert client_ip(_request(PROXY, "6.6.6.6, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(_request(PROXY)) == PROXY  # the proxy's own request (health check)


def test_a_chain_of_trusted_proxies_is_skipped(settings):
    # A load balancer (10.1.0.0/16) in front of nginx (10.0.0.2), both trusted.
    settings.KEHU_TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.2, 10.1.0.0/16")
    assert client_ip(_request(PROXY, "6.6.6.6, 203.0.113.9, 10.1.4.4")) == "203.0.113.9"
    settings.KEHU_TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.2,2001:db8::/32")
    assert client_ip(_request(PROXY, "2001:db8::1, 2001:DB8::2")) == "2001:db8::1"


@pytest.mark.parametrize("forwarded", ["<script>", "unknown", "1.2.3.4:5678", "999.1.1.1", "", " , "])
def test_an_invalid_forwarded_value_is_never_returned(settings, forwarded):
    settings.KEHU_TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.2")
    assert client_ip(_request(PROXY, forwarded)) == PROXY
    assert client_ip(_request(PROXY, f"203.0.113.9, {forwarded}")) == PROXY


def test_an_invalid_peer_address_gives_none(settings):
    settings.KEHU_TRUSTED_PROXIES = ()
    assert client_ip(_request("not-an-ip")) is None


@pytest.mark.parametrize(("value", "count"), [("", 0), ("0", 0), ("127.0.0.1", 1), ("10.0.0.5,10.0.0.0/24", 2),
                                              (" ::1 , 10.0.0.0/8 ", 2)])
def test_trusted_proxies_setting_takes_addresses_and_networks(value, count):
    assert len(parse_trusted_proxies(value)) == count


def test_a_proxy_count_in_the_setting_is_refused_with_a_clear_message():
    with pytest.raises(ImproperlyConfigured, match="count of proxies.*addresses"):
        parse_trusted_proxies("1")


def test_an_invalid_proxy_address_is_refused():
    with pytest.raises(ImproperlyConfigured, match="'nginx' is not an IP address"):
        parse_trusted_proxies("10.0.0.5,nginx")


@pytest.mark.django_db
def test_audit_trail_records_the_peer_not_a_forged_header(client_for, sales_a, customer_a, settings):
    settings.KEHU_TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.2")
    url = reverse("customers:customer_detail", args=[customer_a.pk])
    client = client_for(sales_a)
    assert client.get(url, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 200
    assert client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9").status_code == 200
    assert list(AccessLog.objects.order_by("id").values_list("ip", flat=True)) == ["198.51.100.7", "203.0.113.9"]
