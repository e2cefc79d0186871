from django.http import Http404
from django.urls import path


def _todo(request, *args, **kwargs):  # placeholder until the customer pages land
    raise Http404


app_name = "customers"
urlpatterns = [
    path("", _todo, name="customer_list"),
    path("search/", _todo, name="customer_search"),
    path("trash/", _todo, name="customer_trash"),
]
