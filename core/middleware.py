"""Request middleware: the acting user for the audit trail, and htmx cache correctness."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from core.actor import Source, acting_as


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind KEHU_TRUSTED_PROXIES reverse proxies (load balancer, nginx), the
    address the nearest untrusted hop reported in X-Forwarded-For; the header's left part can be
    forged by the client, so we count hops from the right."""
    proxies = settings.KEHU_TRUSTED_PROXIES
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


class ActorMiddleware:
    """Binds request.user as the actor for everything the request writes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = Source.API if request.path.startswith("/api/") else Source.WEB
        user = request.user if request.user.is_authenticated else None
        with acting_as(user, source, client_ip(request)):
            return self.get_response(request)


class HtmxVaryMiddleware:
    """Full pages and htmx fragments share URLs, so caches must key on HX-Request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
