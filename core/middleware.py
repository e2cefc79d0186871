"""Request middleware: the acting user for the audit trail, and htmx cache correctness."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from core.actor import Source, acting_as
from core.clientaddr import client_ip


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
