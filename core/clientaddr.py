"""The client's IP address, for login throttling and the audit trail.

Kept free of Django models so that kehu/settings.py can parse KEHU_TRUSTED_PROXIES with it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(value: str) -> tuple[Network, ...]:
    """KEHU_TRUSTED_PROXIES: comma-separated IP addresses or CIDR networks of the reverse proxies in
    front of kehu. Empty (or the old "0") means clients connect directly. Any other bare number is the
    old hop count, refused: a count trusts whoever connects, so a client without a proxy in front
    could choose its own address by sending X-Forwarded-For."""
    entries = [e.strip() for e in value.split(",") if e.strip()]
    if entries == ["0"]:
        return ()
    networks: list[Network] = []
    for entry in entries:
        if entry.isdigit():
            raise ImproperlyConfigured(
                f"KEHU_TRUSTED_PROXIES={value!r} is a count of proxies; kehu now needs their addresses. "
                "List the IP addresses or networks of the reverse proxies in front of kehu, e.g. "
                "KEHU_TRUSTED_PROXIES=127.0.0.1 or KEHU_TRUSTED_PROXIES=10.0.0.5,10.0.1.0/24 "
                "(leave it empty when clients connect directly)."
            )
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"KEHU_TRUSTED_PROXIES: {entry!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.1.0/24)."
            ) from exc
    return tuple(networks)


def _valid_ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def _trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Sequence[Network]) -> bool:
    return any(ip.version == net.version and ip in net for net in proxies)


def client_ip(request: HttpRequest, proxies: Sequence[Network] | None = None) -> str | None:
    """The client's address: the direct peer (REMOTE_ADDR), unless that peer is one of the trusted
    proxies (settings.KEHU_TRUSTED_PROXIES). Only then is X-Forwarded-For read, from the right — each
    proxy appends the address it was connected from, and everything to the left of the nearest
    untrusted hop was written by the client and may be forged. A hop that is not a valid IP address
    stops the walk at the last valid address (never stored: the audit trail and login throttling
    keep only real addresses)."""
    if proxies is None:
        from django.conf import settings

        proxies = settings.KEHU_TRUSTED_PROXIES
    peer = _valid_ip(request.META.get("REMOTE_ADDR"))
    if peer is None:
        return None
    address = peer
    if _trusted(peer, proxies):
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        for hop in reversed(hops):
            ip = _valid_ip(hop)
            if ip is None:
                break
            address = ip
            if not _trusted(ip, proxies):
                break
    return str(address)
