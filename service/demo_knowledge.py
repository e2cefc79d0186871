# ruff: noqa: E501 (the articles' texts: one line each reads better than wrapped sentences)
"""The demo's knowledge base: about fifty published articles, each problem in Chinese and in English,
the solutions the service team would write (short Markdown)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from service.categories import ServiceCategory as C
from service.models import Article, ArticleLanguage, ArticleStatus, ArticleVersion
from service.services_knowledge import search_text

# (category, Chinese problem, Chinese solution, English problem, English solution)
ARTICLES: list[tuple[str, str, str, str, str]] = [
    (C.INSTALLATION, "空调安装后不制冷", "1. 确认遥控器处于**制冷**模式，温度低于室温。\n2. 检查室外机是否运转、阀门是否打开。\n3. 仍不制冷：安排师傅上门检查冷媒压力。",
     "Air conditioner does not cool after installation", "1. Check the remote is in **cool** mode and set below room temperature.\n2. Check the outdoor unit runs and its valves are open.\n3. Still warm: book a technician to check the refrigerant pressure."),
    (C.INSTALLATION, "预约上门安装的时间如何修改", "在订单页面点击“修改预约”，可改到三天后的任一工作日；当天的预约请致电客服热线。",
     "How to change the installation appointment", "Open the order and choose **Change appointment**: any working day from three days ahead. Same-day changes: call the service hotline."),
    (C.INSTALLATION, "安装需要自备哪些材料", "标准安装包含支架、三米铜管和排水管。超出部分按价目表收费，师傅上门前会电话确认。",
     "What materials the customer must provide for installation", "Standard installation includes the bracket, three metres of copper pipe and the drain hose. Anything beyond is charged by the price list; the technician calls to confirm before the visit."),
    (C.INSTALLATION, "热水器安装位置的要求", "燃气热水器必须装在通风良好的厨房或阳台，禁止装在浴室内；电热水器需独立的16A插座。",
     "Where a water heater may be installed", "Gas heaters go in a ventilated kitchen or balcony, never in the bathroom; electric heaters need their own 16 A socket."),
    (C.REPAIR, "洗衣机显示E4错误代码", "E4表示排水超时：\n- 清理底部过滤器；\n- 检查排水管是否弯折或堵塞；\n- 重新启动“脱水”程序。\n仍报错请报修。",
     "Washing machine shows error E4", "E4 means the drain timed out:\n- clean the filter at the bottom;\n- check the drain hose is not kinked or blocked;\n- run the **spin** programme again.\nStill showing: open a repair request."),
    (C.REPAIR, "冰箱冷藏室结冰", "把温度调到3–5℃，检查门封是否严密，避免食物挡住出风口。结冰严重时断电除霜6小时。",
     "Ice builds up in the fridge compartment", "Set the temperature to 3–5 °C, check the door seal, keep food away from the air vent. Heavy ice: switch off and defrost for six hours."),
    (C.REPAIR, "电视有声音没有图像", "先换一个信号源（HDMI1/HDMI2）确认；若菜单也不显示，多为背光故障，需上门维修，保修期内免费。",
     "TV has sound but no picture", "Try another input (HDMI 1/2). If the menu does not show either, the backlight has failed: a technician repairs it, free under warranty."),
    (C.REPAIR, "保修期内维修是否收费", "保修期内非人为损坏免收人工费和配件费；上门费按距离收取，三十公里内免费。",
     "Are repairs under warranty charged", "Under warranty, labour and parts are free unless the damage was caused by misuse; the call-out fee is free within 30 km."),
    (C.REPAIR, "维修师傅迟到怎么办", "系统会在预约时间前30分钟短信提醒。师傅迟到超过1小时，可申请50元服务补偿券。",
     "The repair technician is late", "An SMS goes out 30 minutes before the slot. More than an hour late: the customer may claim a 50 CNY service voucher."),
    (C.REPAIR, "扫地机器人无法回充", "清洁充电座金属片和机器底部触点，确保充电座两侧0.5米内无障碍物，重新配对基站。",
     "Robot vacuum does not return to its dock", "Clean the dock's contacts and the robot's, keep 0.5 m clear on both sides of the dock, then pair the base again."),
    (C.DELIVERY, "订单物流信息长时间不更新", "超过48小时不更新：在订单页面点击“催件”，客服将联系承运商并在24小时内回复。",
     "Delivery tracking has not updated for days", "No update for 48 hours: press **Chase delivery** on the order; the service team contacts the carrier and answers within 24 hours."),
    (C.DELIVERY, "收到的商品外包装破损", "请拍照保留外箱和商品照片，24小时内提交；确认损坏后安排换货，运费由我方承担。",
     "The package arrived damaged", "Photograph the box and the goods and send the photos within 24 hours; once confirmed we ship a replacement at our cost."),
    (C.DELIVERY, "可以指定送货时间吗", "大件商品支持预约送货：上午、下午或晚上时段，提前一天与配送站确认。",
     "Can the customer choose the delivery time", "Large items can be booked for the morning, afternoon or evening; the depot confirms the day before."),
    (C.DELIVERY, "送货地址填写错误", "发货前可在订单中直接修改；已发货的请联系客服，由承运商改派，可能产生改派费。",
     "Wrong delivery address on the order", "Before dispatch, change it on the order; after dispatch, call the service team to redirect with the carrier (a fee may apply)."),
    (C.BILLING, "如何开具增值税专用发票", "在订单页面提交公司名称、税号、地址电话和开户行账号，财务三个工作日内开具并邮寄。",
     "How to get a VAT special invoice", "Submit the company name, tax number, address, phone and bank account on the order; finance issues and posts it within three working days."),
    (C.BILLING, "发票抬头开错了", "30天内可申请红冲重开，请提供原发票号码和正确的抬头信息。",
     "The invoice has the wrong company name", "Within 30 days the invoice can be reversed and reissued: give the original number and the correct details."),
    (C.BILLING, "重复扣款怎么处理", "核实银行流水后，重复的款项在1–3个工作日内原路退回；信用卡退款以发卡行入账为准。",
     "The customer was charged twice", "After checking the bank statement, the duplicate is refunded to the same card within 1–3 working days (credit cards: as the issuer books it)."),
    (C.BILLING, "分期付款的手续费", "3期和6期免息，12期手续费率为4.5%，在支付页面可看到每期金额。",
     "Fees for paying in instalments", "3 and 6 instalments are interest-free; 12 instalments cost 4.5 %. The payment page shows each instalment."),
    (C.RETURNS, "七天无理由退货的条件", "商品完好、配件齐全、不影响二次销售即可申请；定制商品和已激活的电子产品除外。",
     "Conditions for the seven-day no-reason return", "The item must be intact with all accessories and fit for resale; made-to-order items and activated electronics are excluded."),
    (C.RETURNS, "退款多久到账", "仓库签收退货后48小时内发起退款，支付宝和微信即时到账，银行卡1–5个工作日。",
     "How long a refund takes", "The refund starts within 48 hours of the warehouse receiving the return: Alipay and WeChat at once, bank cards in 1–5 working days."),
    (C.RETURNS, "换货需要寄回原商品吗", "质量问题换货由师傅上门取件并送新品；非质量问题请自行寄回，运费自理。",
     "Must the original be sent back for an exchange", "Faulty items: the technician collects the old one and brings the new one. Otherwise the customer posts it back at their own cost."),
    (C.ACCOUNT, "忘记会员账号密码", "在登录页点击“忘记密码”，用注册手机号接收验证码重置；手机号已停用的请带身份证到门店办理。",
     "Forgot the member account password", "Use **Forgot password** on the login page to get a code on the registered phone; if that number is gone, visit a store with an ID card."),
    (C.ACCOUNT, "会员积分如何使用", "100积分抵1元，可在结算时抵扣不超过订单金额的20%；积分有效期为两年。",
     "How loyalty points are used", "100 points are worth 1 CNY, up to 20 % of an order at checkout; points expire after two years."),
    (C.ACCOUNT, "如何修改绑定的手机号", "在“账户安全”中验证旧手机号后绑定新号码；旧号码无法接收短信的需人工审核。",
     "How to change the registered phone number", "In **Account security**, verify the old number, then add the new one; without access to the old number a person reviews the change."),
    (C.PRODUCT, "产品保修期从哪天开始计算", "以发票日期为准；没有发票的按出厂日期加三个月计算。",
     "When the warranty period starts", "From the invoice date; without an invoice, from the manufacturing date plus three months."),
    (C.PRODUCT, "净水器滤芯多久更换一次", "PP棉3–6个月，活性炭6–12个月，RO膜2–3年；App会根据用水量提醒。",
     "How often to change the water purifier filters", "PP cotton every 3–6 months, carbon every 6–12 months, the RO membrane every 2–3 years; the app reminds by water used."),
    (C.PRODUCT, "产品说明书丢失", "在官网“服务支持”输入型号即可下载电子版说明书，也可让客服发送到邮箱。",
     "The user manual is lost", "Enter the model under **Support** on the website to download the manual, or ask the service team to e-mail it."),
    (C.OTHER, "投诉处理需要多长时间", "一般问题24小时内回复，复杂问题3个工作日内给出处理方案，并有专人跟进。",
     "How long a complaint takes to handle", "Simple issues are answered within 24 hours, complex ones get a plan within three working days with a named person following up."),
]


def generate(*, first_customer_id: int, last_customer_id: int, seed: int,
             progress: Callable[[str, int, int], None]) -> dict[str, Any] | None:
    """Write the demo articles once (a second demo load leaves the knowledge base as it is)."""
    if Article.objects.exists():
        return None
    now = timezone.now()
    rows: list[Article] = []
    for category, zh_problem, zh_solution, en_problem, en_solution in ARTICLES:
        for language, problem, solution in ((ArticleLanguage.CHINESE, zh_problem, zh_solution),
                                            (ArticleLanguage.ENGLISH, en_problem, en_solution)):
            rows.append(Article(problem=problem, solution=solution, category=category, language=language,
                                status=ArticleStatus.PUBLISHED, published_version=1, published_at=now,
                                search_text=search_text(problem, solution), created_at=now))
    with transaction.atomic():
        articles = Article.objects.bulk_create(rows)
        ArticleVersion.objects.bulk_create(
            ArticleVersion(article=a, number=1, problem=a.problem, solution=a.solution, category=a.category,
                           language=a.language, published_at=now) for a in articles)
    progress("knowledge base", len(rows), len(rows))
    return None
