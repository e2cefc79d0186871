"""Knowledge-base pages: search and list, an article, write and edit (draft → publish), history.
Every signed-in user reads the published articles; writers (services_knowledge.may_write) also see
drafts and write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.concurrency import StaleWrite, version_of
from service import selectors_knowledge as selectors
from service import services_knowledge as services
from service.forms_knowledge import ArticleForm, ArticleSearchForm
from service.models import Article


def _writer(request: HttpRequest) -> bool:
    return services.may_write(request.user)  # type: ignore[arg-type]


def _article_or_404(request: HttpRequest, article_id: int) -> Article:
    article = selectors.article_read(article_id=article_id, drafts=_writer(request))
    if article is None:
        raise Http404(_("No such article."))
    return article


@login_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    drafts = _writer(request)
    form = ArticleSearchForm(request.GET or None, drafts=drafts)
    filters = form.filters()
    q = filters.pop("q", "")
    if q:
        results = selectors.article_search(q=q, language=filters.get("language", ""),
                                           category=filters.get("category", ""),
                                           published_only=filters.get("status") != "draft" or not drafts)
        page = None
    else:
        results = None
        page = selectors.article_list(filters=filters, cursor=request.GET.get("cursor"), drafts=drafts)
    return render(request, "service/knowledge/article_list.html", {
        "form": form, "q": q, "results": results, "page": page, "can_write": drafts,
        "items": results if results is not None else page.items})  # type: ignore[union-attr]


@login_required
@require_GET
def article_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    article = _article_or_404(request, article_id)
    return render(request, "service/knowledge/article_detail.html", {
        "article": article, "body": selectors.render_markdown(article.solution), "can_write": _writer(request)})


def _save(request: HttpRequest, article: Article | None) -> HttpResponse:
    if not _writer(request):
        raise PermissionDenied(_("You may read the knowledge base but not change it."))
    status = 200
    if request.method == "POST":
        form = ArticleForm(request.POST, instance=article)
        publish = "publish" in request.POST
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in form.Meta.fields}
            try:
                if article is None:
                    saved = services.article_create(actor=request.user, data=data, publish=publish)  # type: ignore[arg-type]
                else:
                    saved = services.article_update(actor=request.user, article_id=article.pk, data=data,  # type: ignore[arg-type]
                                                    expected_version=request.POST.get("version") or None,
                                                    publish=publish)
            except StaleWrite as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Article published.") if publish else _("Draft saved."))
                return redirect(reverse("service:article_detail", args=[saved.pk]))
    else:
        form = ArticleForm(instance=article)
    return render(request, "service/knowledge/article_form.html", {
        "form": form, "article": article, "version": version_of(article) if article else ""}, status=status)


@login_required
def article_add(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@login_required
def article_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    return _save(request, _article_or_404(request, article_id))


@login_required
@require_POST
def article_publish(request: HttpRequest, article_id: int) -> HttpResponse:
    article = _article_or_404(request, article_id)
    try:
        version = services.article_publish(actor=request.user, article_id=article.pk)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Published as version %(number)s.") % {"number": version.number})
    return redirect(reverse("service:article_detail", args=[article.pk]))


@login_required
@require_GET
def article_history(request: HttpRequest, article_id: int) -> HttpResponse:
    article = _article_or_404(request, article_id)
    versions: list[Any] = selectors.article_versions(article_id=article.pk)
    return render(request, "service/knowledge/article_history.html", {
        "article": article, "versions": [(v, selectors.render_markdown(v.solution)) for v in versions]})
