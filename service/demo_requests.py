"""Demo service requests (`kehu demo`, via core.registry "demo_generators"): about one customer in six
asked for something over the last six months. Most requests are closed (some solved by a knowledge-base
article, a few reopened once), about a quarter are open — some unassigned, some overdue — so the
dispatch board, the reports and the anticipation flags have something to show. Same seed, same data,
measured from now. Written in bulk (no services, no per-row audit entries); the due times come from
the SLA (service.sla.deadlines) like those entered on the pages.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from customers.models import Customer
from service import sla
from service.categories import ServiceCategory as C
from service.choices import RequestPriority, SlaSubject
from service.models import (
    Article,
    ArticleStatus,
    RequestAssignment,
    RequestStatus,
    RequestStatusChange,
    ServiceRequest,
)

# (category, subject, description)
SUBJECTS: list[tuple[str, str, str]] = [
    (C.INSTALLATION, "空调安装预约", "客户新买的空调需要安装，希望周末上门。"),
    (C.INSTALLATION, "热水器安装位置咨询", "客户想把燃气热水器装在浴室，询问是否可以。"),
    (C.REPAIR, "洗衣机显示E4错误", "洗衣机脱水时报E4，已经清理过过滤器仍然报错。"),
    (C.REPAIR, "冰箱冷藏室结冰", "冰箱冷藏室后壁结冰严重，食物被冻住。"),
    (C.REPAIR, "电视有声音没图像", "开机有声音但黑屏，购买不到一年。"),
    (C.REPAIR, "扫地机器人无法回充", "机器人找不到充电座，每次都停在客厅中间。"),
    (C.DELIVERY, "物流信息三天未更新", "订单显示已发货，但物流三天没有更新。"),
    (C.DELIVERY, "收到商品外包装破损", "外箱压坏，担心里面的商品有损坏。"),
    (C.BILLING, "需要开增值税专用发票", "公司采购需要专票，已提供税号。"),
    (C.BILLING, "信用卡重复扣款", "付款时网络卡顿，信用卡被扣了两次。"),
    (C.RETURNS, "申请七天无理由退货", "商品不合适，包装完好，想退货。"),
    (C.RETURNS, "退款还没到账", "退货已签收一周，退款仍未到账。"),
    (C.ACCOUNT, "忘记会员密码", "手机号已更换，无法接收验证码。"),
    (C.ACCOUNT, "会员积分没有到账", "上月订单的积分没有计入账户。"),
    (C.PRODUCT, "净水器滤芯更换周期", "想知道滤芯多久换一次，哪里购买。"),
    (C.PRODUCT, "说明书丢失", "需要电子版说明书。"),
    (C.OTHER, "Request for a service visit", "The customer asks for a technician to check the installation."),
    (C.REPAIR, "Washing machine error E4", "Error E4 during spin, the filter has been cleaned."),
]
_PRIORITIES = [RequestPriority.LOW, RequestPriority.NORMAL, RequestPriority.NORMAL, RequestPriority.NORMAL,
               RequestPriority.HIGH, RequestPriority.URGENT]
_OPEN = [RequestStatus.NEW, RequestStatus.ASSIGNED, RequestStatus.IN_PROGRESS, RequestStatus.WAITING]


def generate(*, first_customer_id: int, last_customer_id: int, seed: int,
             progress: Callable[[str, int, int], None]) -> dict[str, float]:
    started = timezone.now()
    rng = random.Random(f"service-requests-{seed}-{first_customer_id}")
    now = timezone.now()
    customers = list(Customer.objects.filter(pk__gte=first_customer_id, pk__lte=last_customer_id,
                                             deleted_at__isnull=True).values_list("pk", "owner_id", "team_id"))
    chosen = [c for c in customers if rng.random() < 0.17]
    staff: dict[int | None, list[int]] = {}
    for pk, team in User.objects.filter(is_active=True, team__isnull=False).values_list("pk", "team_id"):
        staff.setdefault(team, []).append(pk)
    articles: dict[str, list[int]] = {}
    for pk, category in Article.objects.filter(status=ArticleStatus.PUBLISHED).values_list("pk", "category"):
        articles.setdefault(category, []).append(pk)
    progress("service requests", 0, len(chosen))
    requests: list[ServiceRequest] = []
    history: list[tuple[int, list[tuple[str, str, int | None]], tuple[int | None, int | None] | None]] = []
    for customer_id, owner_id, team_id in chosen:
        for _n in range(1 if rng.random() < 0.8 else 2):
            category, subject, description = rng.choice(SUBJECTS)
            priority = rng.choice(_PRIORITIES)
            is_open = rng.random() < 0.25
                        # Open ones within about a day (some past their due time), closed ones over half a year.
            received = now - (timedelta(minutes=rng.randint(30, 30 * 60)) if is_open
                              else timedelta(days=rng.randint(3, 180), hours=rng.randint(0, 9)))
            due = sla.deadlines(customer_id=customer_id, subject=SlaSubject.REQUEST, level=priority,
                                received_at=received)
            people = staff.get(team_id) or ([owner_id] if owner_id else [])
            assignee = rng.choice(people) if people and (not is_open or rng.random() < 0.7) else None
            status = (rng.choice(_OPEN[1:]) if assignee else RequestStatus.NEW) if is_open else RequestStatus.CLOSED
            req = ServiceRequest(customer_id=customer_id, category=category, priority=priority, subject=subject,
                                 description=description, status=status, assignee_id=assignee, received_at=received,
                                 acknowledge_by=due.acknowledge_by, resolve_by=due.resolve_by, created_by_id=owner_id,
                                 created_at=received)
            moves: list[tuple[str, str, int | None]] = [("", RequestStatus.NEW, owner_id)]
            if assignee:
                req.acknowledged_at = received + (due.acknowledge_by - received) * rng.uniform(0.2, 1.3)
                moves.append((RequestStatus.NEW, RequestStatus.ASSIGNED, owner_id))
            if not is_open:
                took = (due.resolve_by - received) * rng.uniform(0.3, 1.6)
                req.resolved_at = received + took
                req.closed_at = req.resolved_at + timedelta(hours=rng.randint(1, 48))
                if articles.get(category) and rng.random() < 0.45:
                    req.solved_by_article_id = rng.choice(articles[category])
                if rng.random() < 0.08:
                    req.reopened_count = 1
                moves += [(RequestStatus.ASSIGNED, RequestStatus.IN_PROGRESS, assignee),
                          (RequestStatus.IN_PROGRESS, RequestStatus.RESOLVED, assignee),
                          (RequestStatus.RESOLVED, RequestStatus.CLOSED, assignee)]
            elif status in (RequestStatus.IN_PROGRESS, RequestStatus.WAITING):
                moves.append((RequestStatus.ASSIGNED, RequestStatus.IN_PROGRESS, assignee))
                if status == RequestStatus.WAITING:
                    moves.append((RequestStatus.IN_PROGRESS, RequestStatus.WAITING, assignee))
            requests.append(req)
            history.append((len(requests) - 1, moves, (owner_id, assignee) if assignee else None))
    with transaction.atomic():
        saved = ServiceRequest.objects.bulk_create(requests, batch_size=2000)
        changes: list[RequestStatusChange] = []
        assignments: list[RequestAssignment] = []
        for index, moves, assigned in history:
            req = saved[index]
            end = req.closed_at or now
            step = (end - req.received_at) / max(1, len(moves))
            for i, (before, after, by) in enumerate(moves):
                changes.append(RequestStatusChange(request_id=req.pk, from_status=before, to_status=after, by_id=by,
                                                   at=req.received_at + step * i))
            if assigned:
                assignments.append(RequestAssignment(request_id=req.pk, to_user_id=assigned[1], by_id=assigned[0],
                                                     at=req.received_at + step))
        RequestStatusChange.objects.bulk_create(changes, batch_size=5000)
        RequestAssignment.objects.bulk_create(assignments, batch_size=5000)
        from service.services_requests import recount_articles

        recount_articles({r.solved_by_article_id for r in saved})
    progress("service requests", len(chosen), len(chosen))
    return {"service requests": (timezone.now() - started).total_seconds()}


generate.runs_last = True  # type: ignore[attr-defined]  # after the knowledge base's articles
