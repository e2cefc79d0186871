"""The knowledge base: drafts and published versions, Chinese and English search (a two-character
word finds its article; ranking), suggestions for a request's text, the pages and the API, who may
write, the Markdown shown safely."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.testing import assert_query_baseline
from customers.records.testing import ApiCaller
from service.models import Article, ArticleStatus, ArticleVersion
from service.selectors_knowledge import article_search, render_markdown, suggest_articles, text_words
from service.services_knowledge import article_create, article_publish, article_update

pytestmark = pytest.mark.django_db


def _article(actor: Any, problem: str, solution: str = "按说明处理。", *, language: str = "zh-hans",
             category: str = "other", publish: bool = True) -> Article:
    return article_create(actor=actor, data={"problem": problem, "solution": solution, "category": category,
                                             "language": language}, publish=publish)


@pytest.fixture
def kb(sales_a: Any) -> dict[str, Article]:
    return {
        "refund": _article(sales_a, "退款多久到账", "仓库签收后48小时内发起退款。", category="returns"),
        "return": _article(sales_a, "七天无理由退货的条件", "商品完好即可申请；退款原路返回。", category="returns"),
        "ac": _article(sales_a, "空调安装后不制冷", "检查遥控器模式和室外机阀门。", category="installation"),
        "washer": _article(sales_a, "洗衣机显示E4错误代码", "E4表示排水超时：清理过滤器。", category="repair"),
        "en": _article(sales_a, "Washing machine shows error E4", "E4 means the drain timed out: clean the filter.",
                       language="en", category="repair"),
        "draft": _article(sales_a, "退款草稿", "未发布", publish=False),
    }


def test_publishing_makes_versions(sales_a: Any) -> None:
    article = _article(sales_a, "发票抬头开错了", "30天内可红冲重开。", publish=False)
    assert article.status == ArticleStatus.DRAFT and not article.versions.exists()
    assert article_publish(actor=sales_a, article_id=article.pk).number == 1
    with pytest.raises(ValidationError):
        article_publish(actor=sales_a, article_id=article.pk)
    edited = article_update(actor=sales_a, article_id=article.pk, data={"solution": "30天内可申请红冲重开。"})
    assert edited.status == ArticleStatus.DRAFT and edited.published_version == 1
    article_publish(actor=sales_a, article_id=article.pk)
    assert list(ArticleVersion.objects.filter(article=article).values_list("number", "solution")) == [
        (2, "30天内可申请红冲重开。"), (1, "30天内可红冲重开。")]


def test_an_analyst_reads_but_does_not_write(analyst: Any) -> None:
    with pytest.raises(PermissionDenied):
        _article(analyst, "x")
    assert not Article.objects.exists()


def test_a_two_character_chinese_word_finds_its_articles(kb: dict[str, Article]) -> None:
    found = [a.pk for a in article_search(q="退款")]
    # The article whose problem says it first, then the one whose solution does; never the draft.
    assert found == [kb["refund"].pk, kb["return"].pk]
    assert [a.pk for a in article_search(q="制冷")] == [kb["ac"].pk]
    assert [a.pk for a in article_search(q="退货 条件")] == [kb["return"].pk]
    assert article_search(q="保险") == []


def test_english_and_language_filter(kb: dict[str, Article]) -> None:
    assert [a.pk for a in article_search(q="drain")] == [kb["en"].pk]
    assert {a.pk for a in article_search(q="E4")} == {kb["washer"].pk, kb["en"].pk}
    assert [a.pk for a in article_search(q="E4", language="en")] == [kb["en"].pk]
    assert [a.pk for a in article_search(q="e4 FILTER")] == [kb["en"].pk]


def test_the_index_follows_edits(sales_a: Any, kb: dict[str, Article]) -> None:
    article_update(actor=sales_a, article_id=kb["ac"].pk, data={"problem": "空调漏水"}, publish=True)
    assert article_search(q="制冷") == [] or [a.pk for a in article_search(q="制冷")] == [kb["ac"].pk]
    assert [a.pk for a in article_search(q="漏水")] == [kb["ac"].pk]


def test_ranking_prefers_the_problem_then_use(sales_a: Any, customer_a: Any) -> None:
    from service.services_requests import request_create, request_set_status

    mention = _article(sales_a, "物流查询", "如果需要退款请联系客服。")
    popular = _article(sales_a, "订单问题", "退款在三天内完成。")
    title = _article(sales_a, "退款失败怎么办", "联系银行。")
    for _i in range(2):
        r = request_create(actor=sales_a, customer_id=customer_a.pk, data={"subject": "退款"})
        request_set_status(actor=sales_a, request_id=r.pk, status="closed", solved_by_article_id=popular.pk)
    assert [a.pk for a in article_search(q="退款")] == [title.pk, popular.pk, mention.pk]


def test_suggestions_from_a_requests_text(kb: dict[str, Article]) -> None:
    assert "e4" in text_words("洗衣机 E4 error") and "洗衣" in text_words("洗衣机")
    found = suggest_articles("客户的洗衣机脱水时显示E4错误", "zh-hans", 3)
    assert found and found[0].article.pk == kb["washer"].pk
    assert [s.article.pk for s in suggest_articles("washing machine error E4 again", "en")] == [kb["en"].pk]
    assert suggest_articles("", "zh-hans") == []


def test_markdown_is_rendered_safely() -> None:
    html = render_markdown("**清理**过滤器\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://a.cn)")
    assert "<strong>清理</strong>" in html and "<script>" not in html and "href=\"javascript" not in html
    assert 'href="https://a.cn"' in html


def test_pages(client: Any, sales_a: Any, analyst: Any, kb: dict[str, Article]) -> None:
    client.force_login(sales_a)
    response = client.get(reverse("service:article_list"), {"q": "退款"})
    assert [a.pk for a in response.context["items"]] == [kb["refund"].pk, kb["return"].pk]
    response = client.post(reverse("service:article_add"), {"problem": "积分没到账", "solution": "**24小时**内到账",
                                                            "category": "account", "language": "zh-hans",
                                                            "publish": "1"})
    new = Article.objects.get(problem="积分没到账")
    assert response.status_code == 302 and new.status == ArticleStatus.PUBLISHED
    page = client.get(reverse("service:article_detail", args=[new.pk]))
    assert "<strong>24小时</strong>" in page.content.decode()
    assert client.get(reverse("service:article_history", args=[new.pk])).status_code == 200
    client.force_login(analyst)
    assert client.get(reverse("service:article_detail", args=[kb["draft"].pk])).status_code == 404
    assert client.get(reverse("service:article_add")).status_code == 403
    assert client.get(reverse("service:article_list"), {"q": "退款"}).status_code == 200


def test_page_queries(client: Any, sales_a: Any, kb: dict[str, Article]) -> None:
    client.force_login(sales_a)
    client.get("/")
    assert_query_baseline("service: knowledge base search", lambda: client.get(reverse("service:article_list"),
                                                                               {"q": "退款"}))
    assert_query_baseline("service: knowledge base list", lambda: client.get(reverse("service:article_list")))
    assert_query_baseline("service: knowledge base article",
                          lambda: client.get(reverse("service:article_detail", args=[kb["refund"].pk])))


def test_api(sales_a: Any, analyst: Any, kb: dict[str, Article]) -> None:
    api = ApiCaller(sales_a)
    found = api.get("/kb-articles", q="退款").json()["items"]
    assert [a["id"] for a in found] == [kb["refund"].pk, kb["return"].pk]
    created = api.send("post", "/kb-articles", {"problem": "说明书丢失", "solution": "官网下载", "publish": True})
    assert created.status_code == 201 and created.json()["status"] == "published"
    pk = created.json()["id"]
    changed = api.send("patch", f"/kb-articles/{pk}", {"solution": "官网“服务支持”下载"})
    assert changed.json()["status"] == "draft"
    assert api.send("post", f"/kb-articles/{pk}/publish").json()["published_version"] == 2
    assert [v["number"] for v in api.get(f"/kb-articles/{pk}/versions").json()] == [2, 1]
    reader = ApiCaller(analyst)
    assert reader.get(f"/kb-articles/{kb['draft'].pk}").status_code == 404
    assert reader.send("post", "/kb-articles", {"problem": "x", "solution": "y"}).status_code == 403
    assert reader.send("patch", f"/kb-articles/{pk}", {"solution": "z"}).status_code == 403
    listed = api.get("/kb-articles", limit=2).json()
    assert len(listed["items"]) == 2 and listed["next_cursor"]
    assert api.get("/kb-articles", limit=2, cursor=listed["next_cursor"]).status_code == 200
