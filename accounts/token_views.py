"""Personal API tokens: create (the secret is shown once) and revoke. The list lives on the
profile page (accounts/_tokens.html)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import services
from accounts.models import ApiToken


@never_cache
@login_required
@require_POST
def token_add(request: HttpRequest) -> HttpResponse:
    """Create a token and show its secret on this response only: it is stored as a hash, so it can
    never be shown again (the response is not cached, and the secret is not kept in the session)."""
    try:
        token, secret = services.token_create(user=request.user, name=request.POST.get("name", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("accounts:profile")
    return render(request, "accounts/token_created.html", {"token": token, "secret": secret})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of your own tokens; scripts using it get 401 from now on."""
    try:
        token = services.token_revoke(user=request.user, token_id=pk)
    except ApiToken.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The API token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("accounts:profile")
