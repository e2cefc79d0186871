"""Data governance pages: duplicate candidates, the merge page, merges and their undoing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


@login_required
def duplicate_list(request: HttpRequest) -> HttpResponse:
    raise Http404


@login_required
def merge(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    raise Http404


@login_required
def merge_list(request: HttpRequest) -> HttpResponse:
    raise Http404


@login_required
def unmerge(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
