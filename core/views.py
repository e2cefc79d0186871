"""Framework views with no domain knowledge: the health check and the error pages."""

import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers (public: reveals nothing about customers)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


def _back(request: HttpRequest) -> str:
    """The page the user came from, when it is one of ours ("back" without script: the CSP allows
    none inline)."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except DisallowedHost:
        return ""
    ok = referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={host}, require_https=request.is_secure())
    return referer if ok and referer != request.build_absolute_uri() else ""


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 in the site's layout: what happened and where to go (never Django's list of URLs)."""
    return render(request, "404.html", {"back": _back(request), "request_path": request.path}, status=404)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403 in the site's layout, with the reason kehu gave (its messages are written for users)."""
    first = exception.args[0] if exception.args else ""
    reason = str(first) if isinstance(first, str | Promise) else ""
    return render(request, "403.html", {"back": _back(request), "reason": reason}, status=403)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400, and 413 in the site's layout for a form larger than the server accepts (e.g. a note
    pasted many times over). Other bad requests (a forged Host header, …) keep Django's plain page:
    the request may not have got far enough (no user, no valid host) to render the layout."""
    if isinstance(exception, RequestDataTooBig) and hasattr(request, "user"):
        context = {"back": _back(request), "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        return render(request, "413.html", context, status=413)
    return defaults.bad_request(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form whose security token expired or was refused (e.g. sent again after a log-out)."""
    return render(request, "403_csrf.html", {"back": _back(request)}, status=403)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """500: rendered without the request's context (no database, no user: either may be what
    failed), and a plain bilingual text should even the template fail."""
    try:
        return HttpResponseServerError(loader.get_template("500.html").render({}))
    except Exception:  # noqa: BLE001 (the last resort must not raise)
        logger.exception("the 500 page failed to render")
        return HttpResponseServerError("服务器出错，请稍后重试。 The server hit an error; please try again later.",
                                       content_type="text/plain; charset=utf-8")


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """/favicon.ico, which browsers and tools ask for whatever the page links: the vendored SVG icon
    (public: a static file)."""
    return HttpResponsePermanentRedirect(static("kehu/favicon.svg"))
