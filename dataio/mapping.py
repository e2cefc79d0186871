"""Column mapping: which file column feeds which field, suggested from the headers.

Headers are compared after normalisation (case, spaces, punctuation and "*" ignored) with each
field's name, its label in every language kehu speaks, and the synonyms below — the spellings
found in Chinese CRM, ERP and Excel exports. An exact match wins; then a header that contains a
synonym (客户手机号码 ⊃ 手机号码), longest synonym first. Each field takes at most one column.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

from dataio.importers.base import ImportField
from dataio.values import normal_key

# field name → spellings (any language). Kind-specific tables below add to or override these.
COMMON: dict[str, tuple[str, ...]] = {
    # Not a bare "ID": kehu's own exports have an "ID" column holding kehu's numbers, not yours.
    "external_id": ("外部编号", "外部ID", "编号", "external id", "ext id"),
    "name": ("姓名", "名称", "name", "full name"),
    "phone": ("手机", "手机号", "手机号码", "移动电话", "电话", "联系电话", "电话号码", "mobile", "mobile phone",
              "cell", "cellphone", "phone", "telephone", "tel"),
    "phone_alt": ("其他电话", "座机", "固定电话", "办公电话", "备用电话", "电话2", "landline", "office phone",
                  "other phone", "phone 2", "alt phone"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "邮件", "e-mail", "email", "mail", "email address"),
    "wechat_id": ("微信", "微信号", "微信ID", "wechat", "weixin", "wechat id"),
    "currency": ("币种", "货币", "currency"),
    "description": ("描述", "说明", "备注", "description", "notes", "remark"),
}

BY_KIND: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "external_id": ("客户编号", "客户代码", "客户ID", "客户号", "外部编号", "编号", "customer id", "customer no",
                        "customer number", "customer code", "external id"),
        "name": ("客户名称", "客户姓名", "客户名", "姓名", "名称", "公司名称", "单位名称", "企业名称", "客户",
                 "name", "customer", "customer name", "company", "company name"),
        "kind": ("客户类型", "类型", "类别", "个人/组织", "type", "customer type", "kind"),
        "id_type": ("证件类型", "证件种类", "证件类别", "id type", "document type", "type of id"),
        "id_number": ("身份证", "身份证号", "身份证号码", "证件号", "证件号码", "统一社会信用代码", "id number",
                      "id no", "national id"),
        "province": ("省", "省份", "province", "state"),
        "city": ("城市", "市", "所在城市", "city"),
        "address": ("地址", "联系地址", "详细地址", "通讯地址", "address", "street"),
        "postal_code": ("邮编", "邮政编码", "postcode", "zip", "zip code", "postal code"),
        "birthday": ("生日", "出生日期", "出生年月", "birthday", "date of birth", "dob", "birth date"),
        "gender": ("性别", "gender", "sex"),
        "occupation": ("职业", "occupation", "job"),
        "employer": ("工作单位", "单位", "任职单位", "employer", "company worked for"),
        "education": ("学历", "教育程度", "education"),
        "industry": ("行业", "所属行业", "industry", "sector"),
        "legal_representative": ("法人", "法定代表人", "法人代表", "legal representative"),
        "company_size": ("规模", "企业规模", "公司规模", "company size", "size"),
        "legal_form": ("企业性质", "公司类型", "企业类型", "legal form"),
        "founded_on": ("成立日期", "成立时间", "founded", "founding date", "founded on"),
        "assets": ("资产", "总资产", "资产规模", "assets", "total assets"),
        "assets_currency": ("资产币种", "assets currency"),
        "relationship_since": ("建立关系日期", "合作开始", "客户起始日期", "relationship since", "customer since"),
        "source_channel": ("来源", "客户来源", "来源渠道", "获客渠道", "source", "source channel", "lead source"),
        "risk_preference": ("风险偏好", "风险承受能力", "风险等级", "risk preference", "risk profile", "risk"),
        "credit_standing": ("信用", "信用状况", "信用等级", "credit", "credit standing", "credit rating"),
        "special_notes": ("特别注意事项", "注意事项", "备注", "special notes", "notes", "remarks"),
        "hobbies": ("爱好", "兴趣爱好", "hobbies", "interests"),
        "personality": ("性格", "个性", "personality"),
        "owner": ("负责人", "客户经理", "归属人", "所属销售", "销售", "业务员", "owner", "account manager",
                  "sales rep"),
        "tags": ("标签", "客户标签", "tags", "labels"),
    },
    "contacts": {
        "external_id": ("联系人编号", "联系人ID", "编号", "contact id", "contact no", "external id"),
        "customer": ("客户编号", "客户ID", "所属客户编号", "公司编号", "customer id", "customer external id",
                     "customer no", "company id"),
        "name": ("联系人", "联系人姓名", "姓名", "名字", "contact", "contact name", "name"),
        "title": ("职位", "职务", "岗位", "title", "position", "job title"),
        "department": ("部门", "department", "dept"),
        "is_key_person": ("关键人", "是否关键人", "key person", "key contact", "decision maker"),
        "traits": ("个人特点", "性格特点", "特点", "traits", "personal traits"),
    },
    "products": {
        "code": ("产品编号", "产品代码", "商品编号", "货号", "编码", "sku", "product code", "code", "item code"),
        "external_id": ("外部编号", "external id"),
        "name": ("产品名称", "商品名称", "品名", "名称", "product", "product name", "name", "item"),
        "category": ("类别", "分类", "产品类别", "品类", "category", "product category"),
        "price": ("价格", "单价", "售价", "标价", "price", "list price", "unit price"),
        "unit_cost": ("成本", "单位成本", "进价", "cost", "unit cost"),
        "unit": ("单位", "计量单位", "unit", "uom"),
        "active": ("在售", "启用", "状态", "active", "enabled", "on sale"),
    },
    "orders": {
        "external_id": ("订单号", "订单编号", "单号", "交易号", "订单ID", "order", "order no", "order number",
                        "order id", "transaction id"),
        "customer": ("客户编号", "客户ID", "客户代码", "客户外部编号", "customer id", "customer no",
                     "customer external id", "customer code"),
        "ordered_at": ("下单日期", "订单日期", "下单时间", "交易日期", "日期", "date", "order date", "ordered at"),
        "status": ("订单状态", "状态", "status", "order status"),
        "channel": ("渠道", "销售渠道", "channel", "sales channel"),
        "region": ("区域", "地区", "大区", "region", "area"),
        "location": ("销售地点", "门店", "网点", "地点", "location", "store", "branch"),
        "salesperson": ("销售员", "业务员", "销售", "销售人员", "salesperson", "sales rep", "seller"),
        "note": ("备注", "note", "notes", "remark"),
        "product": ("产品编号", "产品代码", "商品编号", "货号", "sku", "product code", "product", "item code"),
        "quantity": ("数量", "qty", "quantity", "amount ordered"),
        "unit_price": ("单价", "成交价", "价格", "unit price", "price"),
        "discount": ("折扣", "优惠", "discount"),
    },
    "interactions": {
        "external_id": ("互动编号", "记录编号", "编号", "interaction id", "record id", "external id"),
        "customer": ("客户编号", "客户ID", "customer id", "customer no", "customer external id", "customer code"),
        "channel": ("渠道", "方式", "联系方式", "沟通方式", "channel", "medium", "type"),
        "direction": ("方向", "呼入/呼出", "来电/去电", "direction", "inbound/outbound"),
        "occurred_at": ("时间", "日期", "联系时间", "沟通时间", "发生时间", "date", "time", "when", "occurred at"),
        "staff": ("员工", "经办人", "跟进人", "负责人", "staff", "staff member", "employee", "agent"),
        "subject": ("主题", "事由", "标题", "subject", "topic", "title"),
        "content": ("内容", "沟通内容", "详情", "记录", "content", "details", "notes"),
        "outcome": ("结果", "沟通结果", "处理结果", "outcome", "result"),
    },
    "costs": {
        "external_id": ("费用编号", "编号", "cost id", "external id"),
        "customer": ("客户编号", "客户ID", "customer id", "customer no", "customer external id", "customer code"),
        "kind": ("费用类型", "类型", "成本类型", "kind", "cost type", "type"),
        "incurred_on": ("日期", "发生日期", "费用日期", "date", "incurred on"),
        "amount": ("金额", "费用", "成本", "amount", "cost", "sum"),
        "order": ("订单号", "订单编号", "order", "order no", "order id"),
    },
    "holdings": {
        "external_id": ("持仓编号", "资产编号", "编号", "holding id", "position id", "external id"),
        "customer": ("客户编号", "客户ID", "customer id", "customer no", "customer external id", "customer code"),
        "asset_class": ("资产类别", "资产类型", "类别", "类型", "asset class", "class", "type"),
        "product_name": ("产品名称", "产品", "名称", "product", "product name", "name"),
        "product_code": ("产品代码", "产品编码", "代码", "product code", "code", "ticker"),
        "held_with_us": ("本行持有", "是否本行", "本行", "held with us", "ours"),
        "institution": ("机构", "持有机构", "开户行", "institution", "bank", "broker"),
        "amount": ("金额", "市值", "余额", "资产金额", "amount", "market value", "value", "balance"),
        "started_on": ("起始日", "起息日", "开始日期", "购买日期", "start date", "started on", "start"),
        "matures_on": ("到期日", "到期日期", "maturity", "matures on", "maturity date"),
        "risk_level": ("风险等级", "风险级别", "risk level", "risk"),
        "notes": ("备注", "说明", "notes", "remark"),
    },
}


# Other spellings of choice values, by field name: {field: {value: spellings}}.
CHOICE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "asset_class": {
        "deposit": ("存款", "活期", "定期", "定期存款", "储蓄", "cash", "savings"),
        "wealth_product": ("理财", "理财产品", "银行理财", "wmp", "wealth product", "wealth management"),
        "fund": ("基金", "公募基金", "私募基金", "mutual fund"),
        "bond": ("债券", "国债", "企业债"),
        "stock": ("股票", "a股", "港股", "美股", "equity", "shares"),
        "insurance": ("保险", "保单", "年金险", "policy"),
        "loan": ("贷款", "房贷", "按揭", "车贷", "负债", "mortgage", "liability"),
        "property": ("房产", "不动产", "房屋", "real estate"),
        "other": ("其他", "其它"),
    },
    "risk_level": {
        "R1": ("r1", "低", "低风险", "谨慎型"), "R2": ("r2", "中低", "中低风险", "稳健型"),
        "R3": ("r3", "中", "中风险", "平衡型"), "R4": ("r4", "中高", "中高风险", "进取型"),
        "R5": ("r5", "高", "高风险", "激进型"),
    },
    "kind": {
        "person": ("个人", "自然人", "个体", "individual", "private", "p"),
        "organisation": ("组织", "企业", "公司", "单位", "机构", "法人", "organization", "company", "business", "org"),
    },
    "id_type": {
        "resident_id": ("身份证", "居民身份证", "二代身份证", "id card", "resident id", "resident id card"),
        "passport": ("护照",),
        "hk_macao_permit": ("港澳通行证", "回乡证", "港澳居民来往内地通行证"),
        "taiwan_permit": ("台胞证", "台湾居民来往大陆通行证"),
        "foreign_pr": ("外国人永久居留证", "永居证", "外国人永久居留身份证"),
        "credit_code": ("统一社会信用代码", "社会信用代码", "营业执照", "credit code"),
    },
    "gender": {"female": ("女士", "f", "w", "woman"), "male": ("先生", "m", "man")},
    "direction": {"inbound": ("来电", "呼入", "来访", "in", "incoming"), "outbound": ("去电", "呼出", "拜访", "out",
                                                                                  "outgoing")},
}


def synonyms(kind: str) -> dict[str, tuple[str, ...]]:
    out = dict(COMMON)
    out.update(BY_KIND.get(kind, {}))
    return out


def _names(f: ImportField) -> list[str]:
    names = [f.name, *f.synonyms]
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            names.append(str(f.label))
    return [n for n in {normal_key(n) for n in names} if n]


def suggest_mapping(headers: list[str], fields: list[ImportField]) -> dict[str, int]:
    """{field name: column index} suggested from the headers."""
    keys = [normal_key(h) for h in headers]
    names = {f.name: _names(f) for f in fields}
    mapping: dict[str, int] = {}
    taken: set[int] = set()
    # 1. exact matches, in field order (the key field first: "编号" may also be a product code).
    for f in sorted(fields, key=lambda f: not f.key):
        for i, key in enumerate(keys):
            if i not in taken and key in names[f.name]:
                mapping[f.name] = i
                taken.add(i)
                break
    # 2. a header that contains a synonym of at least two characters, the longest synonym first.
    candidates: list[tuple[int, str, int]] = []
    for f in fields:
        if f.name in mapping:
            continue
        for i, key in enumerate(keys):
            if i in taken:
                continue
            best = max((len(n) for n in names[f.name] if len(n) >= 2 and n in key), default=0)
            if best:
                candidates.append((best, f.name, i))
    for _length, name, i in sorted(candidates, key=lambda c: -c[0]):
        if name not in mapping and i not in taken:
            mapping[name] = i
            taken.add(i)
    return mapping


def mapping_from_spec(spec: dict[str, Any], headers: list[str], fields: list[ImportField]) -> dict[str, int]:
    """A mapping file for the CLI: {"field": "header text" or 1-based column number}. Raises
    ValueError naming what does not match."""
    known = {f.name for f in fields}
    folded = {normal_key(h): i for i, h in enumerate(headers)}
    mapping: dict[str, int] = {}
    for name, where in spec.items():
        if name not in known:
            raise ValueError(f"unknown field {name!r} (known: {', '.join(sorted(known))})")
        if isinstance(where, int) and not isinstance(where, bool):
            if not 1 <= where <= len(headers):
                raise ValueError(f"column {where} of field {name!r} is not in the file (1–{len(headers)})")
            mapping[name] = where - 1
        elif isinstance(where, str) and normal_key(where) in folded:
            mapping[name] = folded[normal_key(where)]
        else:
            raise ValueError(f"the file has no column {where!r} (for field {name!r})")
    return mapping
