from django.http import Http404


def _todo(request, *args, **kwargs):  # placeholder until the accounts pages land
    raise Http404


login = logout = profile = set_language = user_list = user_add = user_edit = team_list = _todo
