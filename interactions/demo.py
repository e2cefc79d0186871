"""Demo interactions and follow-up tasks (`kehu demo`, via core.registry "demo_generators").

About five interactions per customer on average, more for active customers and organisations
(core.demo traits, shared with the orders), on every channel with realistic weights, inbound and
outbound, by the customer's owner. Customers who stopped buying are contacted rarely afterwards
(win-back calls). About one interaction in ten spawns a follow-up task: past ones are mostly done,
the recent ones are still open, so that every demo salesperson finds tasks on the home page.

Dates are measured back from the day the demo is loaded (same seed, same data, shifted to that day).
Generated with NumPy a block of customers at a time (see commerce.demo) and written in bulk
(core.db.insert_columns); no services, no per-row audit entries.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from core.db import Same, date_texts, datetime_texts
from core.demo import (
    STREAM_INTERACTIONS,
    Calendar,
    PhaseClock,
    ahead,
    block_rng,
    first_days,
    pick,
    traits,
    weighted,
)
from interactions.choices import Direction, InteractionChannel
from interactions.models import Interaction
from work.models import Task

INTERACTIONS_PER_CUSTOMER = 5.0
HISTORY_DAYS = 3 * 365
LARGE = 20_000  # from this many customers: a second generating process, indexes built afterwards

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


# The columns of a follow-up task the bulk insert must give (it bypasses the model's defaults).
_TASK_DEFAULTS = {"description": "", "due_at": None, "priority": "normal", "team_id": None, "remind_at": None,
                  "reminded_at": None, "recurrence": "none", "recurrence_interval": 1, "recurrence_until": None,
                  "recurrence_count": None, "recurrence_day": None, "occurrence": 1, "previous_id": None}

_CHANNELS = list(dict.fromkeys([c for c, _w in _CHANNELS_PERSON] + [c for c, _w in _CHANNELS_ORG]))
_PERSON_WEIGHTS = [dict(_CHANNELS_PERSON).get(c, 0) for c in _CHANNELS]
_ORG_WEIGHTS = [dict(_CHANNELS_ORG).get(c, 0) for c in _CHANNELS]
_WEB = _CHANNELS.index(InteractionChannel.WEB)
# Subjects: the inbound ones, then the outbound ones; outcomes flattened with an offset per subject.
_SUBJECTS = _INBOUND + _OUTBOUND
_OUTCOMES = [o for _s, _c, outcomes in _SUBJECTS for o in outcomes]
_OUTCOME_COUNT = np.array([len(outcomes) for _s, _c, outcomes in _SUBJECTS])
_OUTCOME_START = np.cumsum(_OUTCOME_COUNT) - _OUTCOME_COUNT
_WEB_FORM = np.array([subject.startswith("网站留言") for subject, _c, _o in _SUBJECTS])
_DIRECTIONS = [Direction.OUTBOUND, Direction.INBOUND]


@dataclass
class _Block:
    """One block's rows, column by column (picklable). Task rows refer to the block's interactions
    by position (`task_of`): ids are given when it is written."""

    customers: int
    interactions: dict[str, Any]
    task_of: np.ndarray
    tasks: dict[str, Any]


class _Generator:
    def __init__(self, seed: int, calendar: Calendar, now: int, using: str) -> None:
        self.seed, self.cal, self.now, self.using = seed, calendar, now, using

    def block(self, block: int, frame: Any) -> _Block:
        rng = block_rng(self.seed, STREAM_INTERACTIONS, block)
        cal, today, m = self.cal, self.cal.today, len(frame)
        t = traits(self.seed, frame.ids)
        org = frame.org
        first = first_days(frame.since, today, HISTORY_DAYS)
        span = today - first
        quiet_from = np.where(t.churned, first + (span * t.stop_at).astype(np.int64), today)
        mean = INTERACTIONS_PER_CUSTOMER * (0.4 + 0.6 * t.activity) * np.maximum(0.1, span / HISTORY_DAYS)
        count = rng.poisson(mean * np.where(org, 1.3, 1.0))
        cust = np.repeat(np.arange(m), count)
        n = len(cust)
        # A time while the customer was active, or for some churned customers a win-back call after.
        win_back = t.churned[cust] & (rng.random(n) < 0.15)
        start = np.where(win_back, quiet_from[cust], first[cust])
        end = np.where(win_back, today, quiet_from[cust])
        day = start + (rng.random(n) * (np.maximum(0, end - start) + 1)).astype(np.int64)
        moment = cal.utc_minutes(day, 8 * 60 + 30 + rng.integers(0, 11 * 60, n))
        future = moment > self.now
        moment = np.where(future, self.now - rng.integers(1, 601, n), moment)
        order = np.argsort(moment, kind="stable")  # ids follow times
        cust, moment = cust[order], moment[order]
        inbound = rng.random(n) < 0.4
        subject = np.where(inbound, rng.integers(0, len(_INBOUND), n),
                           len(_INBOUND) + rng.integers(0, len(_OUTBOUND), n))
        channel = np.where(org[cust], weighted(rng, _ORG_WEIGHTS, n), weighted(rng, _PERSON_WEIGHTS, n))
        channel = np.where(_WEB_FORM[subject], _WEB, channel)
        outcome = _OUTCOME_START[subject] + np.minimum((rng.random(n) * _OUTCOME_COUNT[subject]).astype(np.int64),
                                                       _OUTCOME_COUNT[subject] - 1)
        owners = pick([*frame.owner.tolist(), None], np.where(frame.owner[cust] > 0, cust, m))
        at_text = datetime_texts(moment, self.using)
        interactions = {
            "customer_id": frame.ids[cust].tolist(), "contact_id": Same(None), "channel": pick(_CHANNELS, channel),
            "direction": pick(_DIRECTIONS, inbound.astype(np.int64)), "occurred_at": at_text,
            "staff_id": owners, "subject": pick([s for s, _c, _o in _SUBJECTS], subject),
            "content": pick([c for _s, c, _o in _SUBJECTS], subject), "outcome": pick(_OUTCOMES, outcome),
            "external_id": Same(None), "created_at": at_text, "updated_at": at_text, "deleted_at": Same(None),
        }

        # Follow-ups: half of the recent interactions, a few older ones.
        local_day = cal.local_day(moment)
        age = today - local_day
        spawn = rng.random(n) < np.where(age <= 45, 0.5, 0.08)
        due_draw, open_draw, title_draw = rng.random(n), rng.random(n), rng.integers(0, len(_TASKS), n)
        task_of = np.flatnonzero(spawn)
        due = local_day[task_of] + 1 + (due_draw[task_of] * 10).astype(np.int64)
        # Recent tasks are mostly open (some overdue); older ones were done.
        open_task = (due >= today - 10) & (open_draw[task_of] < 0.85)
        done_day = np.minimum(due, today)
        done_text = np.array(datetime_texts(cal.utc_minutes(done_day, np.full(len(due), 17 * 60)), self.using),
                             dtype=object)
        done_text[open_task] = None
        created = np.array(at_text, dtype=object)[task_of]
        task_owner = pick(owners, task_of) if len(task_of) else []
        tasks = {
            "customer_id": frame.ids[cust[task_of]].tolist(), "title": pick(_TASKS, title_draw[task_of]),
            "due_on": date_texts(due), "assignee_id": task_owner, "created_by_id": task_owner,
            "done_at": done_text.tolist(), "status": pick(["done", "open"], open_task.astype(np.int64)),
            "created_at": created.tolist(),
            "updated_at": np.where(open_task, created, done_text).tolist(), "deleted_at": Same(None),
            **{name: Same(value) for name, value in _TASK_DEFAULTS.items()},
        }
        return _Block(customers=m, interactions=interactions, task_of=task_of, tasks=tasks)


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any],
             parallel: bool | None = None) -> dict[str, float]:
    """Write demo interactions and follow-up tasks for customers first..last. Returns the seconds
    per phase."""
    # Imported here: the bulk-write helpers are only needed when a demo is loaded.
    from django.contrib.contenttypes.models import ContentType
    from django.db import DEFAULT_DB_ALIAS

    from core.db import analyze, indexes_deferred, insert_columns, reserve_ids
    from customers.demo import bulk_mode, customer_frame

    clock = PhaseClock()
    phases, lap = clock.phases, clock.lap

    frame = customer_frame(first_customer_id, last_customer_id)
    total = len(frame)
    large = total >= LARGE
    parallel = large if parallel is None else parallel
    calendar = Calendar(timezone.localdate(), timezone.get_current_timezone(), HISTORY_DAYS)
    builder = _Generator(seed, calendar, Calendar.now_minutes(timezone.now()), DEFAULT_DB_ALIAS)
    done = 0
    progress("interactions", 0, total)
    lap("read customers")
    with bulk_mode(), transaction.atomic():
        rebuild = large and Interaction.objects.count() < INTERACTIONS_PER_CUSTOMER * total
        blocks = (builder.block(block, part) for block, part in frame.blocks())
        # Follow-ups are tasks of the work app linked to their interaction.
        link = {"record_type_id": Same(ContentType.objects.get_for_model(Interaction).pk)}
        with indexes_deferred([Interaction, Task]) if rebuild else contextlib.nullcontext():
            for b in ahead(blocks) if parallel else blocks:
                ids = np.array(reserve_ids(Interaction, len(b.interactions["customer_id"])), dtype=np.int64)
                insert_columns(Interaction, {"id": ids.tolist(), **b.interactions})
                insert_columns(Task, {"record_id": ids[b.task_of].tolist(), **link, **b.tasks})
                done += b.customers
                if done < total:
                    progress("interactions", done, total)
            progress("interactions", total, total)
            lap("interactions rows")
        lap("interactions indexes")
    lap("interactions commit")
    analyze([Interaction._meta.db_table, Task._meta.db_table])
    lap("interactions statistics")
    return phases
