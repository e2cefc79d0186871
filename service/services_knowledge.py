"""Writes on knowledge-base articles: keyword-only, the acting user first, one transaction, audited.

Articles are shared knowledge, not records of a customer: reading needs a staff login, writing the
right to change customers (Cap.CHANGE; an analyst reads only). Saving an article leaves it a draft;
publishing copies it into the next ArticleVersion and makes it what readers, the search and the
suggestions see. Editing a published article makes it a draft again until it is published again
(readers see the last published version meanwhile: ArticleVersion).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from audit.models import ChangeAction
from audit.services import change_record
from core.concurrency import check_version
from core.models import diff_values, field_values
from core.services import apply_fields, created_changes
from service.models import SEARCH_TEXT_LENGTH, Article, ArticleStatus, ArticleVersion

ARTICLE_FIELDS: list[str] = ["problem", "solution", "category", "product", "language"]
AUDITED: list[str] = [*ARTICLE_FIELDS, "status", "published_version"]

_MARKUP = re.compile(r"[#*_`>\[\]()!|~-]+")
_SPACE = re.compile(r"\s+")


def search_text(problem: str, solution: str) -> str:
    """What the search index covers: the problem and the start of the solution (Markdown marks
    taken out), lower case, within the index's length."""
    plain = _SPACE.sub(" ", _MARKUP.sub(" ", f"{problem} \n {solution}")).strip().lower()
    return plain[:SEARCH_TEXT_LENGTH]


def may_write(user: User) -> bool:
    return user.is_active and user.can(Cap.CHANGE)


def _check_writer(actor: User) -> None:
    if not may_write(actor):
        raise PermissionDenied(_("You may read the knowledge base but not change it."))


def _apply(article: Article, data: Mapping[str, Any]) -> None:
    apply_fields(article, dict(data), ARTICLE_FIELDS)
    article.problem = (article.problem or "").strip()
    article.solution = (article.solution or "").strip()
    article.full_clean(exclude=["product", "created_by", "updated_by"])
    article.search_text = search_text(article.problem, article.solution)


@transaction.atomic
def article_create(*, actor: User, data: Mapping[str, Any], publish: bool = False) -> Article:
    """A new article (a draft; published at once with publish=True)."""
    _check_writer(actor)
    article = Article(created_by=actor, updated_by=actor)
    _apply(article, data)
    article.save()
    change_record(user=actor, instance=article, action=ChangeAction.CREATE, changes=created_changes(article, AUDITED))
    if publish:
        _publish(article, actor)
    return article


@transaction.atomic
def article_update(*, actor: User, article_id: int, data: Mapping[str, Any],
                   expected_version: str | Iterable[str] | None = None, publish: bool = False) -> Article:
    """Change an article's working copy (it becomes a draft until published again; publish=True
    publishes the change at once)."""
    _check_writer(actor)
    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        raise PermissionDenied(_("You do not have access to this record."))
    check_version(article, expected_version)
    before = field_values(article, AUDITED)
    _apply(article, data)
    changes = diff_values(before, field_values(article, AUDITED))
    if changes:
        article.status = ArticleStatus.DRAFT
        article.updated_by = actor
        article.save()
        change_record(user=actor, instance=article, action=ChangeAction.UPDATE, changes=changes)
    if publish:
        _publish(article, actor)
    return article


def _publish(article: Article, actor: User) -> ArticleVersion:
    now = timezone.now()
    number = article.published_version + 1
    version = ArticleVersion.objects.create(article=article, number=number, problem=article.problem,
                                            solution=article.solution, category=article.category,
                                            language=article.language, published_by=actor, published_at=now)
    before = article.status
    Article.objects.filter(pk=article.pk).update(status=ArticleStatus.PUBLISHED, published_version=number,
                                                 published_at=now, updated_at=now)
    article.status, article.published_version, article.published_at, article.updated_at = (
        ArticleStatus.PUBLISHED, number, now, now)
    change_record(user=actor, instance=article, action=ChangeAction.UPDATE,
                  changes={"status": [before, ArticleStatus.PUBLISHED], "published_version": [number - 1, number]})
    return version


@transaction.atomic
def article_publish(*, actor: User, article_id: int) -> ArticleVersion:
    """Publish the article's working copy as its next version (a published article unchanged since
    is refused: there is nothing new to publish)."""
    _check_writer(actor)
    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        raise PermissionDenied(_("You do not have access to this record."))
    if article.status == ArticleStatus.PUBLISHED:
        raise ValidationError({"status": _("This article is already published as it is; edit it first.")})
    return _publish(article, actor)
