from django.http import Http404
from django.urls import path


def _todo(request, *args, **kwargs):  # placeholder until the audit pages land
    raise Http404


app_name = "audit"
urlpatterns = [path("", _todo, name="change_list"), path("access/", _todo, name="access_list")]
