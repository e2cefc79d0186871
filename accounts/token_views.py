from django.http import Http404


def _todo(request, *args, **kwargs):  # placeholder until the token pages land
    raise Http404


token_add = token_revoke = _todo
