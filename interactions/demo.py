"""Demo interactions and follow-up tasks (`kehu demo`, via core.registry "demo_generators").

About five interactions per customer on average, more for active customers and organisations
(core.demo traits, shared with the orders), on every channel with realistic weights, inbound and
outbound, by the customer's owner. Customers who stopped buying are contacted rarely afterwards
(win-back calls). About one interaction in ten spawns a follow-up task: past ones are mostly done,
the recent ones are still open, so that every demo salesperson finds tasks on the home page.

Dates are measured back from the day the demo is loaded (same seed, same data, shifted to that day).
Rows are written in bulk (core.db.insert_rows); no services, no per-row audit entries.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.demo import customer_traits, poisson
from customers.models import Customer
from interactions.choices import Direction, InteractionChannel
from interactions.models import FollowUpTask, Interaction

INTERACTIONS_PER_CUSTOMER = 5.0
HISTORY_DAYS = 3 * 365
CHUNK = 2000

_CHANNELS_PERSON = [(InteractionChannel.PHONE, 34), (InteractionChannel.WECHAT, 28), (InteractionChannel.VISIT, 10),
                    (InteractionChannel.SMS, 12), (InteractionChannel.EMAIL, 5), (InteractionChannel.WEB, 6),
                    (InteractionChannel.EVENT, 5)]
_CHANNELS_ORG = [(InteractionChannel.PHONE, 28), (InteractionChannel.VISIT, 24), (InteractionChannel.EMAIL, 20),
                 (InteractionChannel.WECHAT, 14), (InteractionChannel.EVENT, 6), (InteractionChannel.FAX, 4),
                 (InteractionChannel.WEB, 4)]
# (subject, content, outcomes) by direction.
_OUTBOUND = [
    ("理财产品到期提醒", "客户持有的理财产品即将到期，提醒续作并介绍新一期产品。",
     ["已续作", "考虑中，下周再联系", "转入活期"]),
    ("新发基金推介", "介绍本周新发的基金产品及其风险等级。", ["有兴趣，约面谈", "暂不考虑", "已认购"]),
    ("资产配置回顾", "回顾当前持仓与风险偏好，建议调整配置。", ["同意调整", "维持现状", "需与家人商量"]),
    ("生日问候", "客户生日，送上祝福并告知生日礼遇。", ["客户表示感谢", "已预约领取礼品"]),
    ("客户满意度回访", "回访近期办理的业务，了解服务体验。", ["满意", "提出改进建议", "未接通"]),
    ("保险保障缺口分析", "根据家庭情况分析重疾与医疗保障缺口。", ["约下周面谈", "已投保", "暂不需要"]),
    ("理财沙龙邀请", "邀请参加本月的理财沙龙活动。", ["确认参加", "时间冲突", "未回复"]),
    ("久未联系客户关怀", "客户较长时间未办理业务，了解近况与需求。", ["客户资金已转他行", "近期有购买计划", "未接通"]),
]
_INBOUND = [
    ("咨询存款利率", "客户来电询问大额存单与定期存款利率。", ["已报价", "已预约办理"]),
    ("咨询基金赎回", "客户询问基金赎回到账时间与费用。", ["已解答", "已协助赎回"]),
    ("账户问题求助", "客户反映网银登录异常。", ["已解决", "已转技术支持"]),
    ("投诉服务等待时间", "客户对网点排队时间不满。", ["已致歉并登记", "已安排专人跟进"]),
    ("咨询外汇汇款", "客户询问留学汇款所需材料。", ["已发送材料清单", "已预约办理"]),
    ("要求调整风险评估", "客户希望重新做风险承受能力评估。", ["已预约评估"]),
    ("询问保单理赔", "客户询问医疗险理赔流程。", ["已指导提交材料", "已转保险公司"]),
    ("网站留言：贵金属购买", "客户通过网站留言询问投资金条价格。", ["已回电报价", "已预约到网点"]),
]
_TASKS = ["回电确认办理意向", "寄送产品说明书", "准备资产配置方案", "预约面谈", "跟进理赔进度", "发送利率表",
          "核实客户资料", "邀请参加活动"]


def _pick(rng: random.Random, weights: list[tuple[Any, float]]) -> Any:
    total = sum(w for _x, w in weights)
    x = rng.random() * total
    for item, w in weights:
        x -= w
        if x <= 0:
            return item
    return weights[-1][0]


def _moment(rng: random.Random, start: date, end: date) -> datetime:
    day = start + timedelta(days=int(rng.random() * (max(0, (end - start).days) + 1)))
    minutes = 8 * 60 + 30 + int(rng.random() * 11 * 60)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=timezone.get_default_timezone())


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any]) -> None:
    """Write demo interactions and follow-up tasks for customers first..last."""
    # Imported here: the bulk-write helpers are only needed when a demo is loaded.
    from core.db import analyze, insert_rows, reserve_ids

    rng = random.Random(f"interactions-{seed}")
    today = timezone.localdate()
    now = timezone.now()
    i_fields = [f.attname for f in Interaction._meta.concrete_fields]
    t_fields = [f.attname for f in FollowUpTask._meta.concrete_fields if f.attname != "id"]
    total = max(0, last_customer_id - first_customer_id + 1)
    done = 0
    progress("interactions", 0, total)
    with transaction.atomic():
        start = first_customer_id
        while start <= last_customer_id:
            end = min(last_customer_id, start + CHUNK - 1)
            customers = Customer.objects.filter(pk__range=(start, end), deleted_at__isnull=True).order_by("pk")
            rows: list[dict[str, Any]] = []
            tasks: list[dict[str, Any]] = []
            for cid, kind, owner_id, since in customers.values_list("pk", "kind", "owner_id", "relationship_since"):
                traits = customer_traits(seed, cid)
                org = kind == "organisation"
                first_day = max(since or today - timedelta(days=HISTORY_DAYS), today - timedelta(days=HISTORY_DAYS))
                span = (today - first_day).days
                quiet_from = first_day + timedelta(days=int(span * traits.stop_at)) if traits.churned else today
                mean = INTERACTIONS_PER_CUSTOMER * (0.4 + 0.6 * traits.activity) * max(0.1, span / HISTORY_DAYS)
                channels = _CHANNELS_ORG if org else _CHANNELS_PERSON
                for _i in range(poisson(rng, mean * (1.3 if org else 1.0))):
                    at = _moment(rng, first_day, quiet_from)
                    if traits.churned and rng.random() < 0.15:
                        at = _moment(rng, quiet_from, today)  # a win-back call after they went quiet
                    if at > now:
                        at = now - timedelta(minutes=int(rng.random() * 600) + 1)
                    inbound = rng.random() < 0.4
                    subject, content, outcomes = rng.choice(_INBOUND if inbound else _OUTBOUND)
                    channel = _pick(rng, channels)
                    if inbound and subject.startswith("网站留言"):
                        channel = InteractionChannel.WEB
                    row = {"customer_id": cid, "contact_id": None, "channel": channel,
                           "direction": Direction.INBOUND if inbound else Direction.OUTBOUND, "occurred_at": at,
                           "staff_id": owner_id, "subject": subject, "content": content,
                           "outcome": rng.choice(outcomes), "external_id": None, "created_at": at,
                           "updated_at": at, "deleted_at": None}
                    rows.append(row)
                    age = (today - at.date()).days
                    if rng.random() < (0.5 if age <= 45 else 0.08):
                        due = at.date() + timedelta(days=1 + int(rng.random() * 10))
                        # Recent tasks are mostly open (some overdue); older ones were done.
                        open_task = due >= today - timedelta(days=10) and rng.random() < 0.85
                        done_at = None if open_task else datetime.combine(
                            min(due, today), time(17), tzinfo=timezone.get_default_timezone())
                        tasks.append({"row": row, "title": rng.choice(_TASKS), "due_on": due, "assignee_id": owner_id,
                                      "created_by_id": owner_id, "done_at": done_at, "customer_id": cid})
                done += 1
            rows.sort(key=lambda r: r["occurred_at"])
            for pk, row in zip(reserve_ids(Interaction, len(rows)), rows, strict=True):
                row["id"] = pk
            insert_rows(Interaction, i_fields, [tuple(r[f] for f in i_fields) for r in rows])
            task_rows = []
            for t in tasks:
                at = t["row"]["occurred_at"]
                values = {"customer_id": t["customer_id"], "interaction_id": t["row"]["id"], "title": t["title"],
                          "due_on": t["due_on"], "assignee_id": t["assignee_id"], "created_by_id": t["created_by_id"],
                          "done_at": t["done_at"], "created_at": at, "updated_at": t["done_at"] or at,
                          "deleted_at": None}
                task_rows.append(tuple(values[f] for f in t_fields))
            insert_rows(FollowUpTask, t_fields, task_rows)
            if done < total:
                progress("interactions", done, total)
            start = end + 1
    progress("interactions", total, total)
    analyze([Interaction._meta.db_table, FollowUpTask._meta.db_table])
