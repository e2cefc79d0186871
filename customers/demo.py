"""The demo dataset: a reproducible, realistic set of teams, users and customers (`kehu demo`).

Reproducible: everything comes from one `random.Random(seed)` and a fixed base date
(BASE_DATE), never from the clock — except `last_verified_at`, which is spread over the two
years before *now* (never before the customer's creation) so that a demo loaded today always shows
some fresh and some stale cards (about 30% are older than KEHU_STALE_AFTER_DAYS). The same seed
therefore gives the same names, phones, ID numbers, owners and tags on every machine.

Fast: rows are built as plain model instances (without Model.__init__), turned into tuples and
written in batches through one function, `_insert()` (executemany on SQLite, COPY on PostgreSQL),
with the search keys computed exactly as the services compute them (customers.search) and the
search index filled per batch in set-based statements instead of a trigger per row; no per-row
services, queries or audit rows. One audit entry summarises the load.

Safe: demo users share one published password and carry is_demo=True, which production start-up
refuses (core.startup); `kehu demo --remove-users` disables them. E-mail addresses use example
domains so that a demo installation can never write to a real person.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import itertools
import multiprocessing
import operator
import random
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.utils import timezone

from accounts.models import Team, User
from accounts.roles import Role
from audit.models import ChangeAction
from audit.services import change_record
from core.db import RowWriter, analyze, bulk_load_settings, indexes_deferred, reserve_ids, text_index_deferred
from customers.choices import (
    CompanySize,
    CreditStanding,
    CustomerKind,
    Education,
    FamilyRelation,
    Gender,
    IdType,
    LegalForm,
    RiskPreference,
    SourceChannel,
)
from customers.idnumbers import id_check_digit
from customers.models import Contact, Customer, FamilyMember, Tag
from customers.search import CUSTOMER_TEXT_INDEX, city_key, name_keys

DEMO_PASSWORD = "kehu-demo-2026"
# Every date except last_verified_at is measured back from this day, so the data never drifts.
BASE_DATE = date(2026, 1, 1)
BATCH_SIZE = 5000


class Weighted:
    """Draw from a population with fixed weights: one random() and one bisect per draw."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs: Sequence[tuple[Any, float]]) -> None:
        self.items = [p[0] for p in pairs]
        self.cum = list(itertools.accumulate(p[1] for p in pairs))
        self.total = self.cum[-1]

    def draw(self, rnd: Callable[[], float]) -> Any:
        return self.items[bisect.bisect_right(self.cum, rnd() * self.total)]


# --- Reference data ---------------------------------------------------------------------------

# Surnames with their bearers in millions (公安部户籍人口统计 2019/2020 and the 2006 national
# surname survey, rounded); compound surnames are rare but real.
SURNAMES: list[tuple[str, float]] = [
    ("王", 101.5), ("李", 100.9), ("张", 95.4), ("刘", 72.1), ("陈", 63.3), ("杨", 46.2), ("黄", 33.7),
    ("赵", 28.6), ("吴", 27.8), ("周", 26.8), ("徐", 20.1), ("孙", 19.4), ("马", 17.6), ("朱", 17.1),
    ("胡", 16.5), ("郭", 15.8), ("何", 14.6), ("高", 14.5), ("林", 14.2), ("罗", 13.8), ("郑", 12.1),
    ("梁", 11.8), ("谢", 10.4), ("宋", 9.8), ("唐", 9.6), ("许", 9.0), ("韩", 8.7), ("冯", 8.6),
    ("邓", 8.5), ("曹", 8.0), ("彭", 7.9), ("曾", 7.7), ("肖", 7.6), ("田", 7.0), ("董", 6.9),
    ("袁", 6.8), ("潘", 6.6), ("于", 6.5), ("蒋", 6.3), ("蔡", 6.2), ("余", 6.1), ("杜", 6.0),
    ("叶", 5.9), ("程", 5.8), ("苏", 5.6), ("魏", 5.5), ("吕", 5.4), ("丁", 5.3), ("任", 5.2),
    ("沈", 5.1), ("姚", 4.9), ("卢", 4.8), ("姜", 4.7), ("崔", 4.6), ("钟", 4.5), ("谭", 4.4),
    ("陆", 4.3), ("汪", 4.2), ("范", 4.1), ("金", 4.0), ("石", 3.9), ("廖", 3.8), ("贾", 3.7),
    ("夏", 3.6), ("韦", 3.5), ("付", 3.4), ("方", 3.3), ("白", 3.2), ("邹", 3.1), ("孟", 3.0),
    ("熊", 3.0), ("秦", 2.9), ("邱", 2.9), ("江", 2.8), ("尹", 2.8), ("薛", 2.7), ("闫", 2.7),
    ("段", 2.6), ("雷", 2.6), ("侯", 2.5), ("龙", 2.5), ("史", 2.4), ("陶", 2.4), ("黎", 2.3),
    ("贺", 2.3), ("顾", 2.2), ("毛", 2.2), ("郝", 2.1), ("龚", 2.1), ("邵", 2.0), ("万", 2.0),
    ("钱", 1.9), ("严", 1.9), ("覃", 1.8), ("武", 1.8), ("戴", 1.7), ("莫", 1.7), ("孔", 1.6),
    ("向", 1.6), ("汤", 1.5), ("单", 0.6), ("欧阳", 0.4), ("上官", 0.05), ("司马", 0.05), ("诸葛", 0.05),
]
COMPOUND_SURNAMES = frozenset(s for s, _w in SURNAMES if len(s) == 2)
# Given-name characters in common use, by the gender they are more usual for.
GIVEN_MALE = list(
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林峰建国文志海成东亮晨阳博然轩睿泽"
    "子豪翔宏振鸿德彬坤毅晖瑞铭嘉骏晟哲"
)
GIVEN_FEMALE = list(
    "芳娜敏静丽艳娟霞秀英玲燕婷雪慧琳颖倩洁晶红梅琴云莉兰萍欣怡佳雨涵梓思可馨悦诗晓蕾琪瑶薇蓉"
    "婉妍琦丹月璐菲晴彤"
)
GIVEN_SHARED = list("文佳子欣宇思晓雨安一嘉明")

EN_MALE = ["James", "David", "Michael", "Daniel", "Andrew", "Peter", "Thomas", "Kevin", "Jason", "Eric",
           "Ryan", "Mark", "Steven", "Richard", "William", "Henry", "Oliver", "Samuel", "Lucas", "Victor"]
EN_FEMALE = ["Anna", "Emily", "Sarah", "Grace", "Linda", "Jessica", "Sophie", "Emma", "Olivia", "Rachel",
             "Laura", "Helen", "Amy", "Claire", "Julia", "Alice", "Nicole", "Karen", "Vivian", "Chloe"]
EN_SURNAMES = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
               "Taylor", "Thomas", "Moore", "Martin", "White", "Harris", "Clark", "Lewis", "Walker", "Young",
               "King", "Wright", "Scott", "Green", "Baker", "Adams", "Mitchell", "Campbell", "Roberts",
               "Turner", "Evans", "Collins", "Murphy", "Cooper", "Kelly", "Wong", "Lee", "Chan", "Tan",
               "Lim", "Ng", "Chen", "Li", "Wang", "Liu", "Zhang", "Huang", "Müller", "Schmidt", "Dubois",
               "Rossi", "Tanaka", "Kim", "Park", "Nguyen"]

# (province, city, city in pinyin, weight ~ population × economy, ID region code, phone area code,
#  postal code, districts)
CITIES: list[tuple[str, str, str, float, str, str, str, tuple[str, ...]]] = [
    ("上海", "上海", "Shanghai", 5.5, "310115", "021", "200120", ("浦东新区", "徐汇区", "静安区", "闵行区")),
    ("北京", "北京", "Beijing", 5.0, "110105", "010", "100020", ("朝阳区", "海淀区", "东城区", "西城区")),
    ("广东", "深圳", "Shenzhen", 4.5, "440305", "0755", "518057", ("南山区", "福田区", "宝安区")),
    ("广东", "广州", "Guangzhou", 4.0, "440106", "020", "510630", ("天河区", "越秀区", "海珠区")),
    ("浙江", "杭州", "Hangzhou", 3.5, "330106", "0571", "310013", ("西湖区", "上城区", "滨江区", "余杭区")),
    ("江苏", "苏州", "Suzhou", 3.0, "320508", "0512", "215000", ("姑苏区", "吴中区", "虎丘区")),
    ("四川", "成都", "Chengdu", 3.0, "510107", "028", "610041", ("武侯区", "锦江区", "成华区")),
    ("湖北", "武汉", "Wuhan", 2.6, "420106", "027", "430071", ("武昌区", "江汉区", "洪山区")),
    ("江苏", "南京", "Nanjing", 2.5, "320106", "025", "210008", ("鼓楼区", "玄武区", "建邺区")),
    ("重庆", "重庆", "Chongqing", 2.2, "500103", "023", "400010", ("渝中区", "江北区", "南岸区")),
    ("河南", "郑州", "Zhengzhou", 1.9, "410105", "0371", "450008", ("金水区", "中原区")),
    ("天津", "天津", "Tianjin", 1.8, "120101", "022", "300040", ("和平区", "南开区", "河西区")),
    ("浙江", "宁波", "Ningbo", 1.8, "330212", "0574", "315100", ("鄞州区", "海曙区", "江北区")),
    ("山东", "青岛", "Qingdao", 1.8, "370202", "0532", "266071", ("市南区", "崂山区", "黄岛区")),
    ("陕西", "西安", "Xi'an", 1.8, "610113", "029", "710061", ("雁塔区", "碑林区", "未央区")),
    ("湖南", "长沙", "Changsha", 1.7, "430104", "0731", "410006", ("岳麓区", "芙蓉区", "天心区")),
    ("广东", "东莞", "Dongguan", 1.6, "441900", "0769", "523000", ("南城街道", "东城街道", "长安镇")),
    ("广东", "佛山", "Foshan", 1.5, "440604", "0757", "528000", ("禅城区", "南海区", "顺德区")),
    ("安徽", "合肥", "Hefei", 1.5, "340104", "0551", "230031", ("蜀山区", "包河区")),
    ("江苏", "无锡", "Wuxi", 1.4, "320213", "0510", "214000", ("梁溪区", "滨湖区")),
    ("山东", "济南", "Jinan", 1.4, "370102", "0531", "250011", ("历下区", "市中区")),
    ("福建", "厦门", "Xiamen", 1.3, "350203", "0592", "361001", ("思明区", "湖里区")),
    ("福建", "福州", "Fuzhou", 1.2, "350102", "0591", "350001", ("鼓楼区", "台江区")),
    ("浙江", "温州", "Wenzhou", 1.2, "330302", "0577", "325000", ("鹿城区", "瓯海区")),
    ("辽宁", "沈阳", "Shenyang", 1.1, "210102", "024", "110001", ("和平区", "沈河区")),
    ("河北", "石家庄", "Shijiazhuang", 1.0, "130102", "0311", "050011", ("长安区", "桥西区")),
    ("辽宁", "大连", "Dalian", 1.0, "210202", "0411", "116001", ("中山区", "沙河口区")),
    ("黑龙江", "哈尔滨", "Harbin", 0.9, "230103", "0451", "150001", ("南岗区", "道里区")),
    ("云南", "昆明", "Kunming", 0.9, "530102", "0871", "650032", ("五华区", "盘龙区")),
    ("吉林", "长春", "Changchun", 0.8, "220104", "0431", "130022", ("朝阳区", "南关区")),
    ("广西", "南宁", "Nanning", 0.8, "450103", "0771", "530022", ("青秀区", "兴宁区")),
    ("江西", "南昌", "Nanchang", 0.8, "360102", "0791", "330006", ("东湖区", "红谷滩区")),
    ("山西", "太原", "Taiyuan", 0.7, "140105", "0351", "030002", ("小店区", "迎泽区")),
    ("贵州", "贵阳", "Guiyang", 0.6, "520102", "0851", "550001", ("南明区", "云岩区")),
    ("海南", "海口", "Haikou", 0.5, "460106", "0898", "570105", ("龙华区", "美兰区")),
    ("甘肃", "兰州", "Lanzhou", 0.4, "620102", "0931", "730030", ("城关区", "七里河区")),
    ("新疆", "乌鲁木齐", "Urumqi", 0.4, "650102", "0991", "830002", ("天山区", "沙依巴克区")),
    ("内蒙古", "呼和浩特", "Hohhot", 0.4, "150102", "0471", "010050", ("新城区", "回民区")),
]
MUNICIPALITIES = {"北京", "上海", "天津", "重庆"}
PROVINCE_SUFFIX = {"广西": "壮族自治区", "新疆": "维吾尔自治区", "内蒙古": "自治区"}
ROADS = ["人民路", "中山路", "解放路", "建设路", "和平路", "新华路", "文化路", "长江路", "黄河路", "科技路",
         "滨江大道", "世纪大道", "南京路", "学府路", "工业园路", "创业路", "金融街", "湖滨路"]

# Real mobile number segments (号段) of the three carriers and virtual operators.
MOBILE_PREFIXES = ["130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
                   "153", "155", "156", "157", "158", "159", "166", "173", "176", "177", "178", "180", "181",
                   "182", "183", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199"]
# Example domains only (RFC 2606 style): a demo must never be able to mail a real person.
PERSON_MAIL_DOMAINS = Weighted([("qq.example.cn", 30), ("163.example.cn", 25), ("126.example.cn", 8),
                                ("example.com", 15), ("example.cn", 12), ("outlook.example.com", 10)])

ORG_WORDS = ["恒信", "华泰", "鼎盛", "宏达", "瑞丰", "金石", "远航", "博源", "启明", "天成", "嘉禾", "正泰",
             "中科", "新兴", "万通", "海川", "盛世", "卓越", "华夏", "东方", "凯旋", "永安", "利民", "佳和",
             "同创", "润泽", "锦程", "长青", "联创", "睿智", "星辰", "恒远", "华盛", "宝隆", "德润", "安信",
             "融通", "明达", "信达", "鑫源", "汇通", "立诚", "泰和", "广源", "青云", "振华"]
EN_ORG_WORDS = ["Harbor", "Pacific", "Summit", "Evergreen", "Bluewater", "Northstar", "Silverline", "Crestview",
                "Riverside", "Oakwood", "Pioneer", "Meridian", "Apex", "Horizon", "Keystone", "Lighthouse",
                "Redwood", "Sterling", "Unity", "Orient"]
# (industry as stored, word in a Chinese company name, word in an English one, weight)
INDUSTRIES: list[tuple[str, str, str, float]] = [
    ("机械制造", "精密机械", "Precision Machinery", 12), ("电子信息", "电子科技", "Electronics", 10),
    ("软件与信息技术", "信息技术", "Software", 9), ("批发零售", "商贸", "Trading", 10),
    ("物流运输", "物流", "Logistics", 7), ("建筑建材", "建材", "Building Materials", 6),
    ("食品饮料", "食品", "Foods", 6), ("纺织服装", "服饰", "Apparel", 5),
    ("汽车及零部件", "汽车零部件", "Auto Parts", 5), ("生物医药", "生物医药", "Biopharma", 5),
    ("医疗健康", "医疗器械", "Medical Devices", 4), ("能源化工", "新能源", "Energy", 4),
    ("房地产", "置业", "Properties", 3), ("金融服务", "投资管理", "Capital", 4),
    ("教育培训", "教育科技", "Education", 3), ("餐饮酒店", "餐饮管理", "Hospitality", 3),
    ("文化传媒", "文化传媒", "Media", 3), ("农业", "农业发展", "Agritech", 2),
]
# (legal form, Chinese name suffix, weight); public institutions get their own names.
LEGAL_FORMS = Weighted([
    ((LegalForm.LIMITED, "有限公司"), 62), ((LegalForm.JOINT_STOCK, "股份有限公司"), 12),
    ((LegalForm.STATE_OWNED, "集团有限公司"), 6), ((LegalForm.PARTNERSHIP, "合伙企业（有限合伙）"), 3),
    ((LegalForm.SOLE, "商行"), 5), ((LegalForm.FOREIGN, "（中国）有限公司"), 5),
    ((LegalForm.PUBLIC_INSTITUTION, ""), 3), ((LegalForm.OTHER, "经营部"), 2),
])
EN_LEGAL = ["Ltd.", "Co., Ltd.", "Inc.", "Limited", "GmbH", "Pte. Ltd."]
PUBLIC_INSTITUTIONS = ["市第一人民医院", "市中心医院", "职业技术学院", "市科学技术研究院", "市图书馆", "市实验中学"]
# Size → (weight, assets range in CNY, log-uniform)
SIZES = Weighted([
    ((CompanySize.MICRO, 3e5, 5e6), 30), ((CompanySize.SMALL, 5e6, 8e7), 40),
    ((CompanySize.MEDIUM, 8e7, 1.5e9), 22), ((CompanySize.LARGE, 1.5e9, 6e10), 8),
])

OCCUPATIONS = ["企业主", "公司职员", "工程师", "教师", "医生", "律师", "会计师", "公务员", "销售经理", "财务总监",
               "软件工程师", "设计师", "个体工商户", "大学教授", "护士", "退休", "自由职业者", "投资人", "建筑师",
               "研究员", "部门经理", "银行职员"]
EN_OCCUPATIONS = ["Engineer", "Consultant", "Teacher", "Lawyer", "Physician", "Finance Director", "Entrepreneur",
                  "Designer", "Researcher", "Retired", "Sales Director", "Architect"]
EDUCATION = Weighted([(Education.SECONDARY, 18), (Education.VOCATIONAL, 22), (Education.BACHELOR, 40),
                      (Education.MASTER, 16), (Education.DOCTORATE, 4)])
HOBBIES = ["高尔夫", "旅游", "摄影", "茶道", "书法", "钓鱼", "登山", "跑步", "羽毛球", "游泳", "阅读", "收藏",
           "红酒", "瑜伽", "网球", "乒乓球", "烹饪", "音乐", "围棋", "自驾游"]
EN_HOBBIES = ["golf", "travel", "photography", "hiking", "tennis", "reading", "wine", "sailing", "running",
              "cooking"]
PERSONALITIES = ["性格开朗，乐于沟通", "做事严谨，注重细节", "比较谨慎，决策周期长", "直爽，讲究效率",
                 "重感情，看重长期关系", "对价格敏感，喜欢比较", "喜欢用数据说话", "低调务实，不喜欢过多打扰"]
RISK = Weighted([(RiskPreference.CONSERVATIVE, 20), (RiskPreference.CAUTIOUS, 30), (RiskPreference.BALANCED, 28),
                 (RiskPreference.GROWTH, 16), (RiskPreference.AGGRESSIVE, 6)])
SOURCES = Weighted([(SourceChannel.REFERRAL, 22), (SourceChannel.WALK_IN, 10), (SourceChannel.PHONE, 12),
                    (SourceChannel.WEBSITE, 14), (SourceChannel.EVENT, 12), (SourceChannel.CAMPAIGN, 10),
                    (SourceChannel.PARTNER, 8), (SourceChannel.WECHAT, 10), (SourceChannel.OTHER, 2)])
CREDIT = Weighted([(CreditStanding.EXCELLENT, 25), (CreditStanding.GOOD, 50), (CreditStanding.FAIR, 19),
                   (CreditStanding.POOR, 6)])
SPECIAL_NOTES = ["不喜欢周末电话联系，请在工作日上午联系", "只接受微信沟通", "对价格敏感，报价需提前审批",
                 "2025 年曾投诉服务响应慢，需重点关注", "重要节日需寄送礼品", "Prefers English communication",
                 "决策人常驻外地，重要事项需提前预约", "有同名客户，联系前请核对身份证号"]
TAGS = ["VIP", "重点客户", "展会2026", "转介绍", "高净值", "老客户", "潜在客户", "需回访", "政府项目", "海外客户"]

CONTACT_TITLES = [("董事长", "董事会"), ("总经理", "总经办"), ("副总经理", "总经办"), ("采购经理", "采购部"),
                  ("采购专员", "采购部"), ("财务总监", "财务部"), ("财务经理", "财务部"), ("技术总监", "技术部"),
                  ("行政主管", "行政部"), ("销售总监", "销售部"), ("项目经理", "项目部"),
                  ("人力资源经理", "人力资源部")]
CONTACT_TRAITS = ["说话直接，重视效率", "技术出身，关注参数细节", "注重关系维护，喜欢面谈", "决策谨慎，需要书面材料",
                  "年轻有冲劲，乐于尝试新方案", "与我方前任经理关系很好"]
SCHOOLS = ["市第二中学", "实验小学", "浙江大学", "复旦大学", "中山大学", "外国语学校", "幼儿园", "四川大学"]
JOBS = ["退休", "银行职员", "教师", "医生", "工程师", "个体经营", "公务员", "在家"]
TEXT_FIELDS: dict[str, list[str]] = {
    "service_area": ["华东地区", "长三角", "珠三角", "全国", "华北地区", "省内及周边", "东南亚市场"],
    "sales_capacity": ["年销售额约 3 亿元", "年销售额约 8000 万元", "年销售额超过 20 亿元", "年销售额约 1.5 亿元"],
    "growth_potential": ["高：新产线明年投产", "中等，市场稳定", "较低：行业趋于饱和", "高：正在开拓海外市场"],
    "business_philosophy": ["稳健经营，注重质量", "追求规模扩张", "技术驱动，重视研发", "客户至上，服务为先"],
    "operating_style": ["决策集中于老板", "流程规范，层层审批", "灵活快速，重视性价比"],
    "performance": ["近三年营收稳步增长", "去年利润有所下滑", "现金流良好", "订单饱满"],
    "staff_quality": ["管理团队专业，执行力强", "中层流动较大", "技术骨干经验丰富"],
    "competitor_relations": ["同时与两家竞争对手合作", "主要供应商为我方", "去年从竞争对手转来"],
    "attitude_to_us": ["合作意愿强，认可我方服务", "态度中立，需要持续跟进", "对我方交付时间有过抱怨"],
    "current_sales_activity": ["正在洽谈年度框架协议", "试用新产品中", "等待预算审批", "本季度暂无采购计划"],
    "trade_terms": ["月结 30 天", "预付 30%，发货前付清", "月结 60 天", "款到发货"],
    "reputation": ["行业口碑良好", "在当地知名度高", "曾有劳动纠纷报道"],
}


@dataclass
class TeamPlan:
    name: str
    share: float  # of all customers
    home_provinces: frozenset[str]
    english_share: float
    # first name = given name, last name = family name (accounts.User shows Chinese names 王磊)
    manager: tuple[str, str, str]  # username, first name, last name
    staff: list[tuple[str, str, str, str]]  # username, role, first name, last name


# The demo's organisation: fixed (not seed-dependent) so the README can list the logins.
TEAM_PLANS: list[TeamPlan] = [
    TeamPlan("华东大客户部", 0.28, frozenset({"上海", "浙江", "江苏", "安徽"}), 0.04, ("manager1", "建国", "陈"),
             [("sales1", Role.SALES, "磊", "王"), ("sales2", Role.SALES, "静", "李"),
              ("sales3", Role.SALES, "杰", "周"), ("service1", Role.SERVICE, "敏", "赵")]),
    TeamPlan("华南销售一部", 0.22, frozenset({"广东", "福建", "广西", "海南", "湖南"}), 0.04,
             ("manager2", "志明", "黄"),
             [("sales4", Role.SALES, "晓燕", "林"), ("sales5", Role.SALES, "浩", "郑"),
              ("service2", Role.SERVICE, "婷", "梁")]),
    TeamPlan("北方财富管理部", 0.22,
             frozenset({"北京", "天津", "河北", "山东", "辽宁", "吉林", "黑龙江", "山西", "内蒙古"}), 0.04,
             ("manager3", "洋", "刘"),
             [("sales6", Role.SALES, "伟", "张"), ("sales7", Role.SALES, "丽", "孙"),
              ("sales8", Role.SALES, "超", "马")]),
    TeamPlan("客户服务中心", 0.16, frozenset(), 0.045, ("manager4", "芳", "吴"),
             [("service3", Role.SERVICE, "娜", "徐"), ("service4", Role.SERVICE, "斌", "胡"),
              ("service5", Role.SERVICE, "雪", "郭")]),
    TeamPlan("International Accounts", 0.12, frozenset({"上海", "北京", "广东"}), 0.5, ("manager5", "Grace", "Liu"),
             [("sales9", Role.SALES, "Daniel", "Wong"), ("sales10", Role.SALES, "Emily", "Zhang")]),
]
ADMIN = ("admin", "系统管理员", "")
ANALYST = ("analyst", "数据分析师", "")


# --- The generator ----------------------------------------------------------------------------

class Rows:
    """Builds unsaved instances of `model` for bulk_create without Model.__init__.

    __init__ walks every field with its default on each call; here the defaults are computed once
    and copied, which makes building a 60-field customer several times cheaper. Values are given
    by attribute name (owner_id, not owner). Callable defaults (timestamps) are evaluated once, at
    construction: right for a bulk load that happens "now".
    """

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        now = timezone.now()
        self.template = {
            # auto_now fields are set by Model.save()/bulk_create, which a bulk load does not call.
            f.attname: now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
            for f in model._meta.concrete_fields
        }

    def __call__(self, **values: Any) -> Any:
        obj = self.model.__new__(self.model)
        state = obj.__dict__
        state.update(self.template)
        state.update(values)
        state["_state"] = ModelState()
        return obj


@functools.cache
def _phrase_prefixes() -> frozenset[str]:
    """Surname + first given character pairs that pypinyin reads as one phrase (于思 → "yusai"),
    so that a name's keys are not simply the surname's keys followed by the given name's."""
    chars = set(GIVEN_MALE) | set(GIVEN_FEMALE) | set(GIVEN_SHARED)
    out = set()
    for surname, _w in SURNAMES:
        full, initials = name_keys(surname, True)
        for c in chars:
            cf, ci = name_keys(c)
            if name_keys(surname + c, True) != (full + cf, initials + ci):
                out.add(surname + c)
    return frozenset(out)

@dataclass
class Owner:
    pk: int
    team_id: int | None
    plan: TeamPlan | None


@dataclass
class Batch:
    customers: list[Customer] = field(default_factory=list)
    # per customer, in the same order: its contacts, family members and tag names
    contacts: list[list[Contact]] = field(default_factory=list)
    family: list[list[FamilyMember]] = field(default_factory=list)
    tags: list[list[str]] = field(default_factory=list)


class DemoGenerator:
    """Builds unsaved customers (with contacts, family and tags) from one seeded random stream."""

    def __init__(self, seed: int, owners: list[Owner], now: datetime | None = None) -> None:
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.base = BASE_DATE
        self.base_dt = datetime.combine(BASE_DATE, datetime.min.time(), tzinfo=timezone.get_current_timezone())
        self.surnames = Weighted(SURNAMES)
        self.owners = self._owner_weights(owners)
        self.industries = Weighted([(i, i[3]) for i in INDUSTRIES])
        self.cities_all = Weighted([(c, c[3]) for c in CITIES])
        self._city_by_plan: dict[str, Weighted] = {}
        self._new_customer = Rows(Customer)
        self._new_contact = Rows(Contact)
        self._new_family = Rows(FamilyMember)
        self._given_keys: dict[str, tuple[str, str]] = {}
        self._org_keys: dict[str, tuple[str, str]] = {}

        self._surname_keys = {s: name_keys(s, True) for s, _w in SURNAMES}
        self._phrases = _phrase_prefixes()

    def _owner_weights(self, owners: list[Owner]) -> Weighted:
        """Each team gets its planned share of the customers; inside a team the workload is skewed
        (a few people carry many customers: Pareto-like weights in a seeded random order)."""
        by_team: dict[str, list[Owner]] = {}
        for o in owners:
            by_team.setdefault(o.plan.name if o.plan else "", []).append(o)
        pairs: list[tuple[Owner, float]] = []
        for members in by_team.values():
            members = list(members)
            self.rng.shuffle(members)
            skew = [1.0 / (rank + 1) ** 0.8 for rank in range(len(members))]
            share = members[0].plan.share if members[0].plan else 0.1
            pairs += [(o, share * w / sum(skew)) for o, w in zip(members, skew, strict=True)]
        return Weighted(pairs)

    def _cities(self, plan: TeamPlan | None) -> Weighted:
        if plan is None or not plan.home_provinces:
            return self.cities_all
        w = self._city_by_plan.get(plan.name)
        if w is None:
            w = Weighted([(c, c[3] * (6.0 if c[0] in plan.home_provinces else 1.0)) for c in CITIES])
            self._city_by_plan[plan.name] = w
        return w

    # names

    def given_name(self, male: bool) -> str:
        r = self.rng.random
        pool = GIVEN_MALE if male else GIVEN_FEMALE
        first = pool[int(r() * len(pool))] if r() < 0.85 else GIVEN_SHARED[int(r() * len(GIVEN_SHARED))]
        if r() < 0.25:  # two-character full names (张伟) are about a quarter of the population
            return first
        return first + pool[int(r() * len(pool))]

    def chinese_name(self, male: bool) -> str:
        return self.surnames.draw(self.rng.random) + self.given_name(male)

    def person_keys(self, name: str) -> tuple[str, str]:
        """customers.search.name_keys(name, person=True), composed from cached surname and
        given-name keys: the same result (tested) without calling pypinyin for every name."""
        surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]
        sk = self._surname_keys.get(surname)
        if sk is None or name[: len(surname) + 1] in self._phrases:
            return name_keys(name, True)
        given = name[len(surname):]
        gk = self._given_keys.get(given)
        if gk is None:
            gk = self._given_keys[given] = name_keys(given)
        return sk[0] + gk[0], sk[1] + gk[1]

    def org_keys(self, name: str, head: str = "") -> tuple[str, str]:
        """customers.search.name_keys(name) of an organisation name. A Chinese company name is
        city + brand word (`head`) + industry word + legal suffix: its keys are composed from the
        cached keys of the two halves (the same result, checked for every combination of the
        reference lists) instead of calling pypinyin for every one of ~250,000 possible names."""
        cache = self._org_keys
        if head and name.startswith(head):
            tail = name[len(head):]
            hk = cache.get(head) or cache.setdefault(head, name_keys(head))
            tk = cache.get(tail) or cache.setdefault(tail, name_keys(tail))
            return hk[0] + tk[0], hk[1] + tk[1]
        return cache.get(name) or cache.setdefault(name, name_keys(name))

    def english_name(self, male: bool) -> tuple[str, str]:
        r = self.rng.random
        first = (EN_MALE if male else EN_FEMALE)[int(r() * 20)]
        last = EN_SURNAMES[int(r() * len(EN_SURNAMES))]
        return first, last

    def mobile(self) -> str:
        r = self.rng.random
        return MOBILE_PREFIXES[int(r() * len(MOBILE_PREFIXES))] + f"{int(r() * 100_000_000):08d}"

    def landline(self, city: tuple) -> str:
        # Local numbers are 8 digits in these cities and never start with 0 or 1.
        return f"{city[5]}-{20_000_000 + int(self.rng.random() * 70_000_000)}"

    def address(self, city: tuple) -> str:
        r = self.rng.random
        province, name = city[0], city[1]
        district = city[7][int(r() * len(city[7]))]
        road = ROADS[int(r() * len(ROADS))]
        number = int(r() * 999) + 1
        if province in MUNICIPALITIES:
            prefix = f"{name}市"
        else:
            prefix = f"{province}{PROVINCE_SUFFIX.get(province, '省')}{name}市"
        if r() < 0.5:
            return f"{prefix}{district}{road}{number}号"
        return f"{prefix}{district}{road}{number}号{int(r() * 30) + 1}楼{int(r() * 20) + 1:02d}室"

    def date_back(self, min_days: int, max_days: int) -> date:
        return self.base - timedelta(days=min_days + int(self.rng.random() * (max_days - min_days)))

    def verified_at(self, created: datetime) -> datetime:
        """68% verified within the last 180 days, 28% between six months and two years, 4% never
        since creation — never before creation: a new card counts as verified when it is created
        (customers.services.customer_create), so a draw before it is the creation time. Same draws
        as before, so the rest of the data is unchanged."""
        r = self.rng.random()
        if r < 0.04:
            return created
        days = self.rng.random() * (180 if r < 0.72 else 550) + (0 if r < 0.72 else 180)
        return max(self.now - timedelta(days=days), created)

    def person_name_for(self, plan: TeamPlan | None, male: bool) -> tuple[str, bool]:
        """(name, is English) for a person owned by someone of `plan`'s team."""
        share = plan.english_share if plan else 0.05
        if self.rng.random() < share:
            first, last = self.english_name(male)
            return f"{first} {last}", True
        return self.chinese_name(male), False

    # customers

    def batch(self, size: int) -> Batch:
        out = Batch()
        r = self.rng.random
        for _ in range(size):
            owner: Owner = self.owners.draw(r)
            if r() < 0.8:
                customer, family = self.person(owner)
                contacts: list[Contact] = []
            else:
                customer, contacts = self.organisation(owner)
                family = []
            out.customers.append(customer)
            out.contacts.append(contacts)
            out.family.append(family)
            out.tags.append(self.tags(customer))
        return out

    def _common(self, owner: Owner, city: tuple, org_head: str = "", **data: Any) -> Customer:
        r = self.rng.random
        rel_days = int(6000 * r() ** 1.6)  # relationships go back to 2009, most are recent
        since = self.base - timedelta(days=rel_days)
        created = self.base_dt - timedelta(days=min(rel_days, int(r() * 1500)), seconds=int(r() * 36000))
        notes = SPECIAL_NOTES[int(r() * len(SPECIAL_NOTES))] if r() < 0.08 else ""
        customer = self._new_customer(
            owner_id=owner.pk, team_id=owner.team_id, province=city[0], city=city[1],
            relationship_since=since, source_channel=SOURCES.draw(r), special_notes=notes,
            last_verified_at=self.verified_at(created), created_at=created, **data,
        )
        if customer.kind == CustomerKind.PERSON:
            customer.name_pinyin, customer.name_initials = self.person_keys(customer.name)
        else:
            customer.name_pinyin, customer.name_initials = self.org_keys(customer.name, org_head)
        # customers.search.phone_digits for the two formats generated here (mobiles are digits
        # already, landlines "021-12345678"): the same value without a regular expression per row.
        phone, alt = customer.phone.replace("-", ""), customer.phone_alt.replace("-", "")
        customer.phone_digits = f"{phone} {alt}" if phone and alt else phone or alt
        customer.city_pinyin = city_key(customer.city)  # cached: a few hundred cities
        return customer

    def person(self, owner: Owner) -> tuple[Customer, list[FamilyMember]]:
        r = self.rng.random
        male = r() < 0.5
        name, english = self.person_name_for(owner.plan, male)
        city = self._cities(owner.plan).draw(r)
        age = int(self.rng.triangular(23, 80, 42))
        birthday = self.base - timedelta(days=age * 365 + int(r() * 365))
        data: dict[str, Any] = {
            "kind": CustomerKind.PERSON, "name": name, "gender": Gender.MALE if male else Gender.FEMALE,
            "birthday": birthday, "phone": self.mobile(),
            "risk_preference": RISK.draw(r) if r() < 0.9 else "",
            "credit_standing": CREDIT.draw(r) if r() < 0.5 else "",
            "education": EDUCATION.draw(r) if r() < 0.8 else "",
        }
        if r() < 0.15:
            data["phone_alt"] = self.mobile()
        if english:
            first, last = name.split(" ", 1)
            data["occupation"] = EN_OCCUPATIONS[int(r() * len(EN_OCCUPATIONS))]
            data["email"] = f"{first}.{last}@example.com".lower().replace("ü", "ue")
            if r() < 0.5:
                data["hobbies"] = ", ".join(self.rng.sample(EN_HOBBIES, 1 + int(r() * 3)))
        else:
            data["occupation"] = OCCUPATIONS[int(r() * len(OCCUPATIONS))] if age < 62 or r() < 0.3 else "退休"
            if r() < 0.85:
                data["id_number"] = self.id_number(city, birthday, male)
                data["id_type"] = IdType.RESIDENT
            if r() < 0.7:
                pinyin = self.person_keys(name)[0]
                if r() < 0.25:
                    local = str(10_000_000 + int(r() * 2_000_000_000))  # QQ-number style address
                else:
                    local = pinyin + (str(int(r() * 1000)) if r() < 0.6 else "")
                data["email"] = f"{local}@{PERSON_MAIL_DOMAINS.draw(r)}"
            if r() < 0.6:
                data["wechat_id"] = (
                    f"wxid_{self._token(14)}" if r() < 0.4 else f"{self.person_keys(name)[0]}_{int(r() * 9999)}"
                )
            if r() < 0.6:
                data["hobbies"] = "、".join(self.rng.sample(HOBBIES, 1 + int(r() * 3)))
        if r() < 0.3:
            data["personality"] = PERSONALITIES[int(r() * len(PERSONALITIES))]
        if data["occupation"] not in ("退休", "Retired") and r() < 0.7:
            data["employer"] = self.org_name(city, english)[0]
        if r() < 0.6:
            data["address"] = self.address(city)
            data["postal_code"] = city[6]
        if r() < 0.4:
            # Investable assets: log-normal around ¥600k; a tail of high-net-worth clients.
            data["assets"] = Decimal(int(self.rng.lognormvariate(13.3, 1.3)) // 1000 * 1000)
        customer = self._common(owner, city, **data)
        family = self.family(age, customer.name, english) if r() < 0.4 else []
        return customer, family

    def id_number(self, city: tuple, birthday: date, male: bool) -> str:
        seq = int(self.rng.random() * 500) * 2 + (1 if male else 0)  # odd sequence digit for men
        first17 = f"{city[4]}{birthday:%Y%m%d}{seq:03d}"
        return first17 + id_check_digit(first17)

    def _token(self, n: int) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        r = self.rng.random
        return "".join(alphabet[int(r() * 36)] for _ in range(n))

    def family(self, age: int, name: str, english: bool) -> list[FamilyMember]:
        r = self.rng.random
        members: list[FamilyMember] = []
        # Children (and, for Chinese names, parents) share the customer's surname.
        surname = name.split(" ")[-1] if english else name[:2] if name[:2] in COMPOUND_SURNAMES else name[0]

        def relative(male: bool) -> str:
            return f"{self.english_name(male)[0]} {surname}" if english else surname + self.given_name(male)

        def anyone(male: bool) -> str:
            return " ".join(self.english_name(male)) if english else self.chinese_name(male)

        if age >= 25 and r() < 0.8:
            members.append(self._new_family(name=anyone(r() < 0.5), relation=FamilyRelation.SPOUSE,
                                        age=max(20, age + int(r() * 11) - 5),
                                        school_or_work=JOBS[int(r() * len(JOBS))] if r() < 0.5 else ""))
        if age >= 28:
            for _ in range(int(r() * 3)):
                child_age = age - 24 - int(r() * 12)
                if child_age < 0:
                    continue
                school = SCHOOLS[int(r() * len(SCHOOLS))] if child_age < 23 else JOBS[1 + int(r() * 5)]
                members.append(self._new_family(name=relative(r() < 0.5), relation=FamilyRelation.CHILD,
                                            age=child_age, school_or_work=school))
        if age < 55 and r() < 0.3:
            members.append(self._new_family(name=relative(r() < 0.5), relation=FamilyRelation.PARENT,
                                        age=age + 24 + int(r() * 10), school_or_work="退休"))
        if not members:
            members.append(self._new_family(name=relative(r() < 0.5), relation=FamilyRelation.SIBLING,
                                        age=max(18, age + int(r() * 9) - 4)))
        return members

    def org_name(self, city: tuple, english: bool) -> tuple[str, Any, tuple, str]:
        """(name, legal form, industry, brand word) of an organisation in `city`."""
        r = self.rng.random
        industry = self.industries.draw(r)
        if english:
            word = EN_ORG_WORDS[int(r() * len(EN_ORG_WORDS))]
            legal = EN_LEGAL[int(r() * len(EN_LEGAL))]
            prefix = f"{city[2]} " if r() < 0.4 else ""
            return f"{prefix}{word} {industry[2]} {legal}", LegalForm.FOREIGN, industry, word
        form, suffix = LEGAL_FORMS.draw(r)
        word = ORG_WORDS[int(r() * len(ORG_WORDS))]
        if form == LegalForm.PUBLIC_INSTITUTION:
            inst = PUBLIC_INSTITUTIONS[int(r() * len(PUBLIC_INSTITUTIONS))]
            if inst.startswith("市"):
                return f"{city[1]}{inst}", form, industry, word
            return f"{city[1]}{word}{inst}", form, industry, word
        return f"{city[1]}{word}{industry[1]}{suffix}", form, industry, word

    def organisation(self, owner: Owner) -> tuple[Customer, list[Contact]]:
        r = self.rng.random
        city = self._cities(owner.plan).draw(r)
        english = r() < (owner.plan.english_share if owner.plan else 0.05) * 0.8
        name, form, industry, word = self.org_name(city, english)
        size, low, high = SIZES.draw(r)
        if form in (LegalForm.SOLE, LegalForm.OTHER, LegalForm.PARTNERSHIP) and size in ("medium", "large"):
            size, low, high = CompanySize.SMALL, 5e6, 8e7
        assets = int(low * (high / low) ** r()) // 10_000 * 10_000
        rep = " ".join(self.english_name(r() < 0.7)) if english else self.chinese_name(r() < 0.75)
        domain = (word.lower() if english else name_keys(word)[0]) + (".example.com" if english else ".example.cn")
        data: dict[str, Any] = {
            "kind": CustomerKind.ORGANISATION, "name": name, "industry": industry[0], "legal_form": form,
            "company_size": size, "assets": Decimal(assets), "legal_representative": rep,
            "business_owner": rep if r() < 0.6 else (self.chinese_name(r() < 0.7) if not english else ""),
            "founded_on": self.date_back(365, 40 * 365), "phone": self.landline(city),
            "email": f"{'info' if r() < 0.6 else 'contact'}@{domain}", "address": self.address(city),
            "postal_code": city[6], "credit_standing": CREDIT.draw(r) if r() < 0.9 else "",
            "risk_preference": RISK.draw(r) if r() < 0.7 else "",
        }
        if r() < 0.5:
            data["phone_alt"] = self.mobile()
        if r() < 0.3:
            data["managers"] = (f"总经理 {self.chinese_name(True)}：务实，重视数据；"
                                f"财务总监 {self.chinese_name(False)}：谨慎")
        if r() < 0.6:
            for key, options in TEXT_FIELDS.items():
                if r() < 0.6:
                    data[key] = options[int(r() * len(options))]
        if data.get("credit_standing") == CreditStanding.POOR:
            data["credit_incidents"] = f"{2020 + int(r() * 6)} 年曾逾期付款 {30 + int(r() * 60)} 天，已结清"
        head = "" if english or form == LegalForm.PUBLIC_INSTITUTION else city[1] + word
        customer = self._common(owner, city, org_head=head, **data)
        contacts = [self.contact(domain, english, i) for i in range(1 + int(r() ** 1.5 * 5))]
        return customer, contacts

    def contact(self, domain: str, english: bool, index: int) -> Contact:
        r = self.rng.random
        male = r() < 0.6
        title, dept = CONTACT_TITLES[int(r() * len(CONTACT_TITLES))]
        if english:
            first, last = self.english_name(male)
            name = f"{first} {last}"
            local = f"{first}.{last}".lower()
        else:
            name = self.chinese_name(male)
            local = self.person_keys(name)[0]
        contact = self._new_contact(name=name, title=title, department=dept, phone=self.mobile(),
                          email=f"{local}@{domain}" if r() < 0.8 else "",
                          wechat_id=f"{local}{int(r() * 999)}" if r() < 0.5 else "")
        # The first contact of an organisation is often the key person; others sometimes.
        if r() < (0.7 if index == 0 else 0.25):
            contact.is_key_person = True
            warmth = r()
            for f in ("score_trust", "score_influence", "score_contact", "score_attitude", "score_rapport",
                      "score_support"):
                setattr(contact, f, max(1, min(5, int(1 + warmth * 3 + r() * 2))))
            contact.traits = CONTACT_TRAITS[int(r() * len(CONTACT_TRAITS))]
        return contact

    def tags(self, customer: Customer) -> list[str]:
        r = self.rng.random
        out: list[str] = []
        if r() < 0.07:
            out.append("VIP")
        if r() < 0.12:
            out.append("重点客户")
        if customer.source_channel == SourceChannel.EVENT and r() < 0.6:
            out.append("展会2026")
        if customer.source_channel == SourceChannel.REFERRAL and r() < 0.5:
            out.append("转介绍")
        if customer.assets is not None and customer.kind == CustomerKind.PERSON and customer.assets >= 6_000_000:
            out.append("高净值")
        if r() < 0.08:
            out.append(TAGS[5 + int(r() * 5)])
        return out


# --- Loading ----------------------------------------------------------------------------------

@dataclass
class DemoResult:
    customers: int = 0
    contacts: int = 0
    family_members: int = 0
    tag_links: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase (rows, indexes, …)
    first_id: int | None = None  # the customers written: ids first_id..last_id
    last_id: int | None = None
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, team
    skipped: list[str] = field(default_factory=list)  # usernames taken by real (non-demo) users


def demo_users_ensure() -> tuple[list[Owner], list[tuple[str, str, str]], list[str]]:
    """Create (or re-enable) the demo teams and users; return the owners of customers, the
    logins table and the usernames that belong to real users and were left alone."""
    hashed = make_password(DEMO_PASSWORD)  # hashed once: PBKDF2 is slow on purpose
    logins: list[tuple[str, str, str]] = []
    skipped: list[str] = []
    existing = {u.username: u for u in User.objects.filter(
        username__in=[ADMIN[0], ANALYST[0], *(p.manager[0] for p in TEAM_PLANS),
                      *(s[0] for p in TEAM_PLANS for s in p.staff)])}

    def ensure(username: str, role: str, first: str, last: str, team: Team | None) -> User | None:
        user = existing.get(username)
        if user is not None and not user.is_demo:
            skipped.append(username)
            return None
        if user is None:
            user = User(username=username, is_demo=True)
        user.role, user.team, user.first_name, user.last_name = role, team, first, last
        user.email = f"{username}@demo.kehu.example"
        user.password, user.is_active = hashed, True
        user.save()
        logins.append((username, str(Role(role).label), team.name if team else ""))
        return user

    ensure(ADMIN[0], Role.ADMIN, ADMIN[1], ADMIN[2], None)
    owners: list[Owner] = []
    for plan in TEAM_PLANS:
        team, _created = Team.objects.get_or_create(name=plan.name)
        manager = ensure(plan.manager[0], Role.MANAGER, plan.manager[1], plan.manager[2], team)
        if manager is not None and team.manager_id != manager.pk:
            team.manager = manager
            team.save(update_fields=["manager"])
        for username, role, first, last in plan.staff:
            user = ensure(username, role, first, last, team)
            if user is not None:
                owners.append(Owner(pk=user.pk, team_id=team.pk, plan=plan))
    ensure(ANALYST[0], Role.ANALYST, ANALYST[1], ANALYST[2], None)
    return owners, logins, skipped


@contextlib.contextmanager
def _bulk_mode() -> Iterator[None]:
    """For the duration of a load: no query log (with DEBUG on, Django keeps and formats every
    INSERT with its thousands of parameters), no cyclic garbage collection passes over the
    batch's objects (they form no cycles) and the database's bulk-load settings
    (core.db.bulk_load_settings; the demo loads alone, so it may also ask for a rollback journal).
    All are restored afterwards."""
    debug, collecting = settings.DEBUG, gc.isenabled()
    settings.DEBUG = False
    gc.disable()
    try:
        with bulk_load_settings(journal=True):
            yield
    finally:
        settings.DEBUG = debug
        if collecting:
            gc.enable()


class ProgressBar:
    """`progress(label, done, total)`: a bar with rate and ETA per label.

    On a terminal the line is redrawn in place; elsewhere (logs, tests) a line is printed every
    10% so that the output stays short.
    """

    def __init__(self, write: Callable[[str], None], *, tty: bool, width: int = 28) -> None:
        self.write, self.tty, self.width = write, tty, width
        self._started: dict[str, float] = {}
        self._shown: dict[str, int] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        now = time.monotonic()
        started = self._started.setdefault(label, now)
        fraction = min(1.0, done / total) if total else 1.0
        tenth = int(fraction * 10)
        if not self.tty and done < total and self._shown.get(label, -1) >= tenth:
            return
        self._shown[label] = tenth
        elapsed = now - started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate else 0.0
        filled = int(fraction * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        line = (f"  {label:<16} [{bar}] {fraction:4.0%}  {done:>11,} / {total:,}  {rate:>9,.0f}/s  "
                f"{'ETA ' + _fmt_eta(eta) if done < total else 'in ' + _fmt_eta(elapsed)}")
        if self.tty:
            self.write("\r" + line + ("\n" if done >= total else ""))
        else:
            self.write(line + "\n")


def _fmt_eta(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@dataclass
class _Writers:
    """One core.db.RowWriter per table the loader writes."""

    customer: RowWriter
    contact: RowWriter
    family: RowWriter
    tag: RowWriter


@dataclass
class _Prepared:
    """One batch, as rows ready for the database (picklable: it may come from another process)."""

    first_id: int
    last_id: int
    size: int
    customers: list[Any]
    contacts: list[Any]
    family: list[Any]
    tags: list[Any]


def _insert(writer: RowWriter, rows: list[Any]) -> int:
    """The one place demo rows are written: prepared tuples through core.db (executemany on
    SQLite, COPY on PostgreSQL). Model instances and bulk_create cost more than the database
    itself: Django compiles every value of every row."""
    return writer.write(rows)


def _row_getter(model: type[Model], with_pk: bool) -> tuple[list[str], Callable[[Any], tuple[Any, ...]]]:
    """The attribute names written for `model` and a function reading them from an instance."""
    fields = [f.attname for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    get = operator.itemgetter(*fields)
    return fields, lambda obj: get(obj.__dict__)


def _writers() -> tuple[_Writers, Callable[..., tuple[Any, ...]], Callable[..., tuple[Any, ...]],
                        Callable[..., tuple[Any, ...]]]:
    customer_fields, customer_row = _row_getter(Customer, with_pk=True)
    contact_fields, contact_row = _row_getter(Contact, with_pk=False)
    family_fields, family_row = _row_getter(FamilyMember, with_pk=False)
    writers = _Writers(
        customer=RowWriter(Customer, customer_fields), contact=RowWriter(Contact, contact_fields),
        family=RowWriter(FamilyMember, family_fields), tag=RowWriter(Customer.tags.through, ["customer_id", "tag_id"]),
    )
    return writers, customer_row, contact_row, family_row


def _prepared_batches(
    gen: DemoGenerator, ids: list[int], tag_ids: dict[str, int], batch_size: int
) -> Iterator[_Prepared]:
    """Generate the customers batch by batch and turn them into rows (no database access: this
    runs in a second process when the load is large, see _produce_in_child)."""
    writers, customer_row, contact_row, family_row = _writers()
    done, total = 0, len(ids)
    while done < total:
        size = min(batch_size, total - done)
        batch = gen.batch(size)
        batch_ids = ids[done:done + size]
        contacts: list[tuple[Any, ...]] = []
        family: list[tuple[Any, ...]] = []
        links: list[tuple[int, int]] = []
        for pk, customer, cs, fs, ts in zip(batch_ids, batch.customers, batch.contacts, batch.family, batch.tags,
                                            strict=True):
            customer.id = pk
            for c in cs:
                c.customer_id = pk
                contacts.append(contact_row(c))
            for f in fs:
                f.customer_id = pk
                family.append(family_row(f))
            links += [(pk, tag_ids[t]) for t in ts]
        yield _Prepared(
            first_id=batch_ids[0], last_id=batch_ids[-1], size=size,
            customers=writers.customer.prepare([customer_row(c) for c in batch.customers]),
            contacts=writers.contact.prepare(contacts), family=writers.family.prepare(family),
            tags=writers.tag.prepare(links),
        )
        done += size


# Loads of at least this many customers generate in a second process while the first writes.
PARALLEL_FROM = 20_000


def _produce_in_child(batches: Iterator[_Prepared]) -> Iterator[_Prepared]:
    """Run the generator in a forked process and hand its batches over a pipe: generating a
    customer costs about as much as writing it, so on two cores the load takes half the time.
    The child never touches the database (it inherited the connection, so it must also never close
    it: it leaves with os._exit). The pipe holds one batch, so the child runs one batch ahead."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:
        receive.close()
        try:
            for prepared in batches:
                send.send(("batch", prepared))
            send.send(("done", None))
        except BaseException:  # report every failure to the parent, which raises it
            send.send(("error", traceback.format_exc()))
        finally:
            send.close()

    process = ctx.Process(target=child, daemon=True)
    process.start()
    send.close()
    try:
        while True:
            try:
                kind, payload = receive.recv()
            except EOFError as exc:
                raise RuntimeError("the demo generator process stopped without a word") from exc
            if kind == "batch":
                yield payload
            elif kind == "error":
                raise RuntimeError(f"the demo generator process failed:\n{payload}")
            else:
                return
    finally:
        receive.close()
        if process.is_alive():
            process.terminate()
        process.join()


def demo_load(
    *, customers: int, seed: int, progress: Callable[[str, int, int], None] | None = None,
    batch_size: int = BATCH_SIZE, now: datetime | None = None, parallel: bool | None = None,
    rebuild_indexes: bool | None = None,
) -> DemoResult:
    """Create the demo teams and users and `customers` customers (with contacts, family and tags)
    in one transaction. Customer ids are reserved up front (core.db.reserve_ids) so that the rows
    of a batch can refer to them without reading anything back. `parallel` (default: from
    PARALLEL_FROM customers, where fork exists) generates in a second process; the data is the
    same either way. `rebuild_indexes` (default: for loads from PARALLEL_FROM customers into a
    smaller table) drops the tables' indexes during the load and builds them afterwards."""
    report = progress or (lambda _label, _done, _total: None)
    result = DemoResult()
    started = time.monotonic()
    if parallel is None:
        parallel = customers >= PARALLEL_FROM
    parallel = parallel and "fork" in multiprocessing.get_all_start_methods()
    with _bulk_mode(), transaction.atomic():
        owners, result.logins, result.skipped = demo_users_ensure()
        if not owners:
            raise ValueError("no demo user may own customers: all demo usernames belong to real users")
        tag_ids = {}
        for name in TAGS:
            tag, _created = Tag.objects.get_or_create(name=name)
            tag_ids[name] = tag.pk
        gen = DemoGenerator(seed, owners, now=now)
        writers = _writers()[0]
        ids = reserve_ids(Customer, customers)
        done = 0
        report("customers", 0, customers)
        batches = _prepared_batches(gen, ids, tag_ids, batch_size)
        tables = [Customer, Contact, FamilyMember, Customer.tags.through]
        # Into an (almost) empty table, indexes are built faster afterwards than kept up to date.
        rebuild = (customers >= PARALLEL_FROM and Customer.objects.count() < customers
                   if rebuild_indexes is None else rebuild_indexes)
        phase = time.monotonic()

        def lap(name: str) -> None:
            nonlocal phase
            now = time.monotonic()
            result.phases[name] = round(now - phase, 1)
            phase = now

        with indexes_deferred(tables) if rebuild else contextlib.nullcontext():
            with text_index_deferred(CUSTOMER_TEXT_INDEX) as indexed:
                for prepared in _produce_in_child(batches) if parallel else batches:
                    _insert(writers.customer, prepared.customers)
                    _insert(writers.contact, prepared.contacts)
                    _insert(writers.family, prepared.family)
                    _insert(writers.tag, prepared.tags)
                    indexed.append((prepared.first_id, prepared.last_id))
                    done += prepared.size
                    result.contacts += len(prepared.contacts)
                    result.family_members += len(prepared.family)
                    result.tag_links += len(prepared.tags)
                    report("customers", done, customers)
                lap("rows")
            lap("search index")
        lap("indexes")
        if ids:
            result.first_id, result.last_id = min(ids), max(ids)
        result.customers = done
        # One audit entry for the whole load (an unsaved stand-in names it; customer_id stays empty
        # so only administrators see it).
        summary = Customer(pk=0, name=f"Demo dataset: {done} customers (seed {seed})")
        change_record(
            user=None, instance=summary, action=ChangeAction.CREATE,
            changes={"customers": [None, done], "contacts": [None, result.contacts],
                     "family_members": [None, result.family_members], "tags": [None, result.tag_links],
                     "demo_users": [None, len(result.logins)]},
            note=f"kehu demo --customers {customers} --seed {seed}",
        )
    lap("commit")
    analyze([Customer._meta.db_table, Contact._meta.db_table, FamilyMember._meta.db_table,
             Customer.tags.through._meta.db_table])
    lap("statistics")
    result.seconds = time.monotonic() - started
    return result


# For the other apps' demo generators (core.registry "demo_generators"): the same bulk-load mode.
bulk_mode = _bulk_mode


@dataclass
class CustomerFrame:
    """The demo customers of an id range as NumPy arrays (one entry per customer, by id), read once
    for a demo generator: no generator has to query the customers again."""

    ids: Any  # np.ndarray of int64, ascending
    org: Any  # bool: an organisation
    owner: Any  # owner_id (0: none)
    since: Any  # relationship_since as an ordinal day (date.toordinal()), 0 when unknown
    province: Any  # index into provinces
    city: Any  # index into cities
    risk: Any  # index into risks
    provinces: list[str]
    cities: list[str]
    risks: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, lo: int, hi: int) -> CustomerFrame:
        """The customers at positions lo..hi-1."""
        return CustomerFrame(ids=self.ids[lo:hi], org=self.org[lo:hi], owner=self.owner[lo:hi],
                             since=self.since[lo:hi], province=self.province[lo:hi], city=self.city[lo:hi],
                             risk=self.risk[lo:hi], provinces=self.provinces, cities=self.cities, risks=self.risks)

    def blocks(self) -> Iterator[tuple[int, CustomerFrame]]:
        """(block number, the customers in that block of core.demo.BLOCK ids) in id order: each demo
        generator draws a block's rows from that block's own random stream."""
        import numpy as np

        from core.demo import BLOCK

        if not len(self):
            return
        block_of = self.ids // BLOCK
        for block in np.unique(block_of).tolist():
            lo, hi = np.searchsorted(block_of, [block, block + 1])
            yield block, self.take(int(lo), int(hi))


def customer_frame(first_id: int, last_id: int) -> CustomerFrame:
    """The customers first_id..last_id that are not deleted, in one pass over the table."""
    import numpy as np

    from core.demo import codes

    rows = Customer.objects.filter(pk__range=(first_id, last_id), deleted_at__isnull=True).order_by("pk")
    values = list(rows.values_list("pk", "kind", "owner_id", "relationship_since", "province", "city",
                                   "risk_preference").iterator(chunk_size=50_000))
    n = len(values)
    ids, kinds, owners, since, provinces, cities, risks = zip(*values, strict=True) if values else ([],) * 7
    province, province_list = codes(provinces)
    city, city_list = codes(cities)
    risk, risk_list = codes([r or "" for r in risks])
    return CustomerFrame(
        ids=np.fromiter(ids, dtype=np.int64, count=n),
        org=np.fromiter((k == CustomerKind.ORGANISATION for k in kinds), dtype=bool, count=n),
        owner=np.fromiter((o or 0 for o in owners), dtype=np.int64, count=n),
        since=np.fromiter((d.toordinal() if d else 0 for d in since), dtype=np.int64, count=n),
        province=province, city=city, risk=risk, provinces=province_list, cities=city_list, risks=risk_list,
    )


@transaction.atomic
def demo_users_remove() -> int:
    """Disable every demo user (unusable password, inactive; is_demo stays so they remain
    recognisable). Returns how many were changed."""
    users = list(User.objects.filter(is_demo=True, is_active=True))
    for user in users:
        user.set_unusable_password()
        user.is_active = False
        user.save(update_fields=["password", "is_active"])
        change_record(user=None, instance=user, action=ChangeAction.UPDATE,
                      changes={"is_active": [True, False], "password": ["demo", "unusable"]},
                      note="kehu demo --remove-users")
    return len(users)
