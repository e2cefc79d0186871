"""Reads of the knowledge base: the search, the suggestions for a request or a complaint, the pages.

Search (docs/service.md, "Knowledge base"): the query's words (split at spaces; Chinese text without
spaces is one word) must each occur in the article's problem or the start of its solution
(`Article.search_text`), answered by the same substring index as the customer search (core.db
TextIndex: FTS5 trigrams and a bigram table on SQLite, a GIN index over the bigrams on PostgreSQL),
so a two-character word such as 退款 finds its articles. Ranking: articles whose problem contains the
whole query first, then those whose problem contains its first word, then the ones that solved the
most requests, the newest first among equals.

Suggestions: the text of a request (or a complaint) is cut into its words (Latin words of 3+
letters, Chinese runs cut into bigrams), the commonest words of the text are looked up, and the
articles that match the most of them win.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.safestring import SafeString, mark_safe

from core.db import text_contains
from core.pagination import KeysetPage, keyset_page
from service.models import ARTICLE_TEXT_INDEX, Article, ArticleStatus, ArticleVersion

SEARCH_LIMIT = 20
_WORDS = re.compile(r"[\u3400-\u9fff]+|[0-9a-z][0-9a-z'.+-]*", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff]")
# Words too common to tell articles apart (English; Chinese bigrams are mostly specific enough).
_STOP = frozenset({
    "the", "and", "for", "with", "not", "you", "your", "this", "that", "from", "have", "has", "are", "was",
    "were", "can", "cannot", "how", "what", "when", "why", "does", "did", "please", "after", "before", "into",
    "our", "out", "but", "all", "any", "its",
})


def _terms(q: str) -> list[str]:
    """The query's words, lower case, the longest first (the most selective for the index)."""
    words = [w.lower() for w in q.split() if w.strip()]
    return sorted(dict.fromkeys(words), key=len, reverse=True)[:6]


def _contains(term: str) -> Q:
    cond = text_contains(ARTICLE_TEXT_INDEX, "search_text", term)
    # A single character is beyond the index (two are needed): read the rows.
    return cond if cond is not None else Q(search_text__contains=term)


def published() -> QuerySet[Article]:
    return Article.objects.filter(status=ArticleStatus.PUBLISHED)


def article_search(*, q: str, language: str = "", category: str = "", limit: int = SEARCH_LIMIT,
                   published_only: bool = True) -> list[Article]:
    """Up to `limit` articles matching every word of `q`, best first (see the module docstring)."""
    terms = _terms(q)
    if not terms:
        return []
    qs = published() if published_only else Article.objects.all()
    if language:
        qs = qs.filter(language=language)
    if category:
        qs = qs.filter(category=category)
    for term in terms:
        qs = qs.filter(_contains(term))
    whole = q.strip().lower()
    qs = qs.annotate(rank=Case(When(problem__icontains=whole, then=Value(2)),
                               When(problem__icontains=terms[0], then=Value(1)), default=Value(0),
                               output_field=IntegerField()))
    return list(qs.select_related("product").defer("search_text").order_by("-rank", "-solved_count", "-id")[:limit])


def text_words(text: str, *, limit: int = 8) -> list[str]:
    """The words of a free text worth looking up: Latin words of 3+ letters (no stop words) and codes
    such as E4, Chinese
    runs as their bigrams; the commonest first."""
    counts: Counter[str] = Counter()
    for word in _WORDS.findall((text or "").lower()):
        if _CJK.match(word):
            counts.update(word[i:i + 2] for i in range(len(word) - 1))
        elif (len(word) >= 3 or (len(word) == 2 and any(c.isdigit() for c in word))) and word not in _STOP:
            counts[word] += 1
    return [w for w, _n in counts.most_common(limit)]


@dataclass(frozen=True)
class Suggestion:
    article: Article
    matched: int  # how many of the text's words the article contains


def suggest_articles(text: str, language: str = "", limit: int = 5, *, category: str = "") -> list[Suggestion]:
    """Published articles for a request's or a complaint's text, those sharing the most of its words
    first (then the same category, then the most used). For the request page and, through this
    selector, the complaints part."""
    words = text_words(text)
    if not words:
        return []
    qs = published()
    if language:
        qs = qs.filter(language=language)
    score = sum((Case(When(_contains(w), then=Value(1)), default=Value(0), output_field=IntegerField())
                 for w in words), Value(0))
    any_word = Q()
    for w in words:
        any_word |= _contains(w)
    same = Case(When(category=category, then=Value(1)), default=Value(0), output_field=IntegerField())
    rows = (qs.filter(any_word).annotate(matched=score, same_category=same).defer("search_text")
            .order_by("-matched", "-same_category", "-solved_count", "-id")[:limit])
    # One shared word of eight is chance (两个 common bigrams), not a suggestion.
    least = 1 if len(words) <= 2 else 2
    return [Suggestion(article=a, matched=a.matched) for a in rows if a.matched >= least]


def article_list(*, filters: Mapping[str, Any], cursor: str | None = None, size: int = 30,
                 drafts: bool = False) -> KeysetPage:
    """Articles for the knowledge base's list: published ones (and drafts for writers), newest
    first, optionally by language, category and status."""
    qs = Article.objects.all() if drafts else published()
    for key in ("language", "category", "status"):
        if filters.get(key):
            qs = qs.filter(**{key: filters[key]})
    return keyset_page(qs.defer("search_text", "solution").select_related("updated_by"), ordering=["-id"],
                       cursor=cursor, size=size)


def article_read(*, article_id: int, drafts: bool = False) -> Article | None:
    qs = Article.objects.all() if drafts else published()
    return qs.select_related("product", "created_by", "updated_by").filter(pk=article_id).first()


def article_versions(*, article_id: int) -> list[ArticleVersion]:
    return list(ArticleVersion.objects.filter(article_id=article_id).select_related("published_by")
                .order_by("-number"))


def render_markdown(text: str) -> SafeString:
    """An article's solution as HTML: Markdown without raw HTML (markdown-it escapes it and refuses
    javascript: links), then sanitised with nh3 to the tags a solution needs."""
    import nh3
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").render(text or "")
    clean = nh3.clean(html, tags={"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "a",
                                  "h3", "h4", "h5", "table", "thead", "tbody", "tr", "th", "td", "hr"},
                      attributes={"a": {"href", "title"}}, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer nofollow")
    return mark_safe(clean)  # noqa: S308 (sanitised just above)
