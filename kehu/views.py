"""Project-level pages that draw on several apps. (Being built: see helpers.)"""

from django.http import Http404


def home(request):  # placeholder until the home dashboard lands
    raise Http404
