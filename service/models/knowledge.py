"""The knowledge base (客服问题及解决方法数据库): problems and their solutions, in drafts and published
versions.

An article is shared knowledge, not a record of a customer: every staff user reads the published
articles; writing needs the right to change customers (Cap.CHANGE). Publishing copies the article
into an ArticleVersion (the history); editing a published article changes its working copy, which
readers see again only when it is published (status goes back to draft until then).

`search_text` is what the search index covers (service.search.ARTICLE_TEXT_INDEX, kept by the
database like the customers' index): the problem and the start of the solution, lower case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.db import TextIndex
from core.models import TimeStampedModel
from service.categories import ServiceCategory

# The search index's bigram table splits at most this many characters per article (core.db's kehu_seq).
SEARCH_TEXT_LENGTH = 400


# The substring index over articles (created by migration 0002_knowledge through core.db; kept by the
# database): trigrams from three characters, bigrams for two-character Chinese words (退款, 安装).
ARTICLE_TEXT_INDEX = TextIndex(name="svc_article_search", table="service_article", trigram=("search_text",),
                               bigram=("search_text",))


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ArticleLanguage(models.TextChoices):
    CHINESE = "zh-hans", _("Chinese")
    ENGLISH = "en", _("English")


class Article(TimeStampedModel):
    """A problem customers have and how to solve it."""

    problem = models.CharField(_("problem"), max_length=300)
    solution = models.TextField(_("solution"), help_text=_("Markdown: **bold**, lists, links."))
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices,
                                default=ServiceCategory.OTHER)
    product = models.ForeignKey("commerce.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(_("language"), max_length=10, choices=ArticleLanguage.choices,
                                default=ArticleLanguage.CHINESE)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices,
                              default=ArticleStatus.DRAFT)
    published_version = models.PositiveIntegerField(_("published version"), default=0, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    # How many service requests this article solved (resolved or closed "solved by article N");
    # recomputed from the requests by the services whenever one is closed with it or reopened.
    solved_count = models.PositiveIntegerField(_("solved"), default=0, editable=False)
    search_text = models.CharField(max_length=SEARCH_TEXT_LENGTH, default="", editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("written by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("last edited by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("knowledge-base article")
        verbose_name_plural = _("knowledge-base articles")
        indexes = [
            models.Index(fields=["status", "language", "category", "-solved_count", "-id"], name="svc_article_browse"),
            models.Index(fields=["status", "-solved_count", "-id"], name="svc_article_solved"),
        ]

    def __str__(self) -> str:
        return self.problem

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleVersion(models.Model):
    """A published state of an article (the history): publishing adds the next number."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE,
                                related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    problem = models.CharField(_("problem"), max_length=300)
    solution = models.TextField(_("solution"))
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices)
    language = models.CharField(_("language"), max_length=10, choices=ArticleLanguage.choices)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("published"))

    class Meta:
        ordering = ["-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="svc_article_version_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"
