"""The knowledge part of the REST API: `/kb-articles` (list or search, read, create, PATCH, publish,
versions). Every caller reads published articles; writers (Cap.CHANGE) also drafts and write."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from accounts.models import User
from core.api import ERROR_RESPONSES, InSchema, cursor_page_schema, cursor_unsign
from customers.records.api import page_out
from service import selectors_knowledge as selectors
from service import services_knowledge as services
from service.categories import ServiceCategory
from service.models import Article, ArticleLanguage, ArticleStatus, ArticleVersion

router = Router()

CategoryChoice = Literal[tuple(ServiceCategory.values)]  # type: ignore[valid-type]
LanguageChoice = Literal[tuple(ArticleLanguage.values)]  # type: ignore[valid-type]
StatusChoice = Literal[tuple(ArticleStatus.values)]  # type: ignore[valid-type]
Problem = Annotated[str, Field(max_length=300, min_length=1)]
Solution = Annotated[str, Field(max_length=50_000, min_length=1)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class ArticleIn(InSchema):
    problem: Problem
    solution: Solution = Field(description="Markdown.")
    category: CategoryChoice = "other"  # type: ignore[valid-type]
    language: LanguageChoice = "zh-hans"  # type: ignore[valid-type]
    publish: bool = Field(False, description="Publish at once (else a draft).")


class ArticlePatchIn(InSchema):
    problem: Problem | None = None
    solution: Solution | None = None
    category: CategoryChoice | None = None  # type: ignore[valid-type]
    language: LanguageChoice | None = None  # type: ignore[valid-type]
    publish: bool = False


class ArticleOut(Schema):
    id: int
    problem: str
    solution: str
    category: str
    language: str
    status: str
    published_version: int
    published_at: datetime | None
    solved_count: int
    created_at: datetime
    updated_at: datetime


class VersionOut(Schema):
    number: int
    problem: str
    solution: str
    category: str
    language: str
    published_by: int | None
    published_at: datetime

    @staticmethod
    def resolve_published_by(obj: ArticleVersion) -> int | None:
        return obj.published_by_id


ArticlePage = cursor_page_schema(ArticleOut, "ArticlePage")


class ArticleFilters(Schema):
    q: Annotated[str, Field(max_length=100)] | None = Field(None, description="Search: every word must occur in "
                                                                             "the problem or the solution; best "
                                                                             "first, at most 20, no cursor.")
    language: LanguageChoice | None = None  # type: ignore[valid-type]
    category: CategoryChoice | None = None  # type: ignore[valid-type]
    status: StatusChoice | None = Field(None, description="Drafts: writers only.")  # type: ignore[valid-type]
    cursor: Annotated[str, Field(max_length=1000)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


def _article(user: User, article_id: int) -> Article:
    article = selectors.article_read(article_id=article_id, drafts=services.may_write(user))
    if article is None:
        raise Http404
    return article


@router.get("/kb-articles", response={200: ArticlePage, **ERROR_RESPONSES}, tags=["knowledge base"],
            summary="List or search knowledge-base articles")
def kb_article_list(request: HttpRequest, filters: Query[ArticleFilters]) -> Any:
    user = _user(request)
    drafts = services.may_write(user)
    if filters.q:
        items = selectors.article_search(q=filters.q, language=filters.language or "",
                                         category=filters.category or "", limit=min(filters.limit, 20))
        return {"items": items, "next_cursor": None, "previous_cursor": None}
    data = filters.dict(exclude_none=True)
    cursor = cursor_unsign(data.pop("cursor", None), "kb-articles")
    page = selectors.article_list(filters=data, cursor=cursor, size=filters.limit, drafts=drafts)
    return page_out(page, "kb-articles")


@router.get("/kb-articles/{int:article_id}", response={200: ArticleOut, **ERROR_RESPONSES},
            tags=["knowledge base"], summary="Read a knowledge-base article")
def kb_article_detail(request: HttpRequest, article_id: int) -> Article:
    return _article(_user(request), article_id)


@router.get("/kb-articles/{int:article_id}/versions", response={200: list[VersionOut], **ERROR_RESPONSES},
            tags=["knowledge base"], summary="The published versions of an article")
def kb_article_versions(request: HttpRequest, article_id: int) -> list[ArticleVersion]:
    article = _article(_user(request), article_id)
    return selectors.article_versions(article_id=article.pk)


@router.post("/kb-articles", response={201: ArticleOut, **ERROR_RESPONSES}, tags=["knowledge base"],
             summary="Write a knowledge-base article")
def kb_article_create(request: HttpRequest, payload: ArticleIn) -> Status:
    data = payload.dict()
    publish = data.pop("publish")
    return Status(201, services.article_create(actor=_user(request), data=data, publish=publish))


@router.patch("/kb-articles/{int:article_id}", response={200: ArticleOut, **ERROR_RESPONSES},
              tags=["knowledge base"], summary="Change a knowledge-base article (a draft until published)")
def kb_article_update(request: HttpRequest, article_id: int, payload: ArticlePatchIn) -> Article:
    user = _user(request)
    _article(user, article_id)
    data = payload.dict(exclude_none=True)
    publish = data.pop("publish", False)
    if not services.may_write(user):
        raise PermissionDenied
    return services.article_update(actor=user, article_id=article_id, data=data, publish=publish)


@router.post("/kb-articles/{int:article_id}/publish", response={200: ArticleOut, **ERROR_RESPONSES},
             tags=["knowledge base"], summary="Publish an article's draft as its next version")
def kb_article_publish(request: HttpRequest, article_id: int) -> Article:
    user = _user(request)
    _article(user, article_id)
    services.article_publish(actor=user, article_id=article_id)
    return _article(user, article_id)
