"""The Pinghu demo of DOMAIN.md: the article's towns, pairings, sites and published January–August 2022 figures."""

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q

from . import services
from .choices import Category, Disposal, MemberRole, Metric, Stage, TownKind
from .models import County, Enterprise, Event, Pairing, Site, Target
from .permissions import LEADERS_GROUP, OFFICIALS_GROUP
from .selectors import city_figures, town_figures

YEAR, MONTH = 2022, 8
LAST_DAY = date(YEAR, MONTH, 31)
# 1–3 January 2022 was the New Year holiday: no event is dated before the first working day.
FIRST_WORKING_DAY = date(YEAR, 1, 4)
PAIRED_ON = date(YEAR, 1, 1)
DEMO_PASSWORD = "demo-pass-2022"

CLOSED, LAND, ENERGY = Metric.ENTERPRISES_RECTIFIED, Metric.LAND_VACATED_MU, Metric.ENERGY_FREED_TCE
CENT, UNIT = Decimal("0.01"), Decimal("1")

# The article: 190 家, 3163 亩 and 5万吨标煤 in January–August, against Jiaxing's yearly targets.
PUBLISHED = {CLOSED: 190, LAND: Decimal("3163.00"), ENERGY: Decimal("50000.00")}
CITY_TARGETS = {CLOSED: Decimal("190"), LAND: Decimal("2500"), ENERGY: Decimal("45000")}

# Town, kind, paired bureau and its head. The article names two heads and five
# pairings; the rest are examples.
TOWNS = (
    ("当湖街道", TownKind.SUBDISTRICT, "市综合执法局", "示例局长甲"),
    ("钟埭街道", TownKind.SUBDISTRICT, "示例局办一", "示例局长乙"),
    ("曹桥街道", TownKind.SUBDISTRICT, "市应急管理局", "马根良"),
    ("新埭镇", TownKind.TOWN, "市市场监管局", "示例局长丙"),
    ("新仓镇", TownKind.TOWN, "示例局办二", "示例局长丁"),
    ("广陈镇", TownKind.TOWN, "示例局办三", "示例局长戊"),
    ("林埭镇", TownKind.TOWN, "市自然资源和规划局", "示例局长己"),
    ("独山港经济开发区", TownKind.DEVELOPMENT_ZONE, "市经信局", "沈洪"),
)
CAOQIAO, LINDAI = "曹桥街道", "林埭镇"

# Bureaus that join a task force without being paired. They get a head each
# because bureau_head_upsert is the only service that creates a bureau.
OTHER_BUREAUS = (("市国资办", "示例局长庚"), ("市建设局", "示例局长辛"))
# "市级联挂到曹桥街道的应急管理、国资、建设、综合执法等单位".
CAOQIAO_MEMBER_BUREAUS = ("市应急管理局", "市国资办", "市建设局", "市综合执法局")
# Person, unit, role: the demo official is town staff, so the membership survives a re-pairing.
CAOQIAO_MEMBERS = (
    ("示例工作人员", CAOQIAO, MemberRole.MEMBER),
    ("龚华锋", "曹桥街道经发办", MemberRole.LIAISON),
    ("示例联络员一", "市国资办", MemberRole.LIAISON),
    ("示例联络员二", "市建设局", MemberRole.LIAISON),
    ("示例联络员三", "市综合执法局", MemberRole.LIAISON),
)
OFFICIAL_PERSON = CAOQIAO_MEMBERS[0][0]
# "组建了13个攻坚小组，分解包干企业".
LINDAI_GROUPS = tuple(f"攻坚小组{n}" for n in "一 二 三 四 五 六 七 八 九 十 十一 十二 十三".split())

# Per town: enterprises closed out, land vacated (亩) and energy freed (吨标煤) in
# January–August 2022, then the city's allocation of Jiaxing's targets. Each
# column adds up to the published figure or to the city's target.
TOWN_FIGURES = {
    #                      closed  land       energy      targets: closed land energy
    "当湖街道": (14, "168.40", "3120.50", 18, 200, 3500),
    "钟埭街道": (8, "150.20", "2480.00", 15, 210, 4000),
    "曹桥街道": (44, "492.62", "7650.40", 32, 400, 6500),
    "新埭镇": (18, "402.35", "5210.30", 22, 300, 5500),
    "新仓镇": (11, "240.18", "3390.60", 17, 290, 5000),
    "广陈镇": (13, "310.75", "4270.20", 18, 260, 4500),
    "林埭镇": (60, "760.30", "11260.80", 42, 460, 8500),
    "独山港经济开发区": (22, "638.20", "12617.20", 26, 380, 7500),
}

# Example parcels outside the article's areas: the tenants on each cleared parcel
# (each has a landlord too), and how many enterprises are still in progress on
# the town's example cluster. Enterprises closed out in place (改造提升, 兼并重组)
# make up the rest of the town's count.
EXAMPLE_PARCELS = {
    "当湖街道": ((1, 2, 0), 1),
    "钟埭街道": ((0, 1), 1),
    "曹桥街道": ((1,), 1),
    "新埭镇": ((2, 0, 1, 1), 1),
    "新仓镇": ((1, 0), 1),
    "广陈镇": ((0, 2, 1), 1),
    "林埭镇": ((1, 0), 1),
    "独山港经济开发区": ((1, 0, 2, 0, 1), 1),
}

# 六店区域: "六店区域内360.5亩低效用地已基本完成腾退".
LIUDIAN = "六店区域"
LIUDIAN_VACATED_MU = Decimal("360.50")
LIUDIAN_EXAMPLE_TENANTS = (2, 1, 3, 2, 1, 2)
SHENGLI = "原胜利钢厂地块"
SHENGLI_TRADES = ("针织制造", "机械生产", "废品回收")
SHENGLI_TENANTS = 21  # "租赁给大小20余户小业主"
SHENGLI_MOVING = (5, 13)  # tenants moving into a park: vacated, not yet closed out

# 徐家埭工业集聚点: "涉及企业106家(含租赁企业71家),如今已完成签约90家". Its
# example parcels are cleared, signed or in talks; with the 工贸企业, its 4
# tenants and the 纺织企业 they hold 106 enterprises, 71 tenants, 90 signed.
# Landlords of cleared parcels are vacated but not closed out: "一手抓好已签约企业的房屋处置工作".
XUJIADAI = "徐家埭工业集聚点"
XUJIADAI_VACATED_MU = Decimal("241.65")
XUJIADAI_PARCELS = {"cleared": (20, 42), "signed": (7, 15), "talks": (6, 10)}  # parcels, tenants
GONGMAO_TENANTS = 4

# Share of the period's work done by the end of each month, January to August:
# the pace quickens as the task forces find their feet.
PACE = (Decimal("0.06"), Decimal("0.13"), Decimal("0.24"), Decimal("0.36"),
        Decimal("0.50"), Decimal("0.65"), Decimal("0.82"), Decimal("1.00"))

TRADES = ("针织制造", "机械加工", "废品回收", "五金配件", "塑料制品", "木制品加工", "纸制品", "服装加工")
TOWN_TRADES = {
    "新埭镇": ("箱包加工", "服装加工", "箱包面料", "辅料加工", "印花"),
    "独山港经济开发区": ("化工助剂", "金属铸造", "印染", "建材", "塑料制品"),
}
DIRTY_TRADES = {"废品回收", "印染", "金属铸造", "化工助剂", "印花"}
TENANT_DISPOSALS = (Disposal.SHUT_DOWN, Disposal.SHUT_DOWN, Disposal.MOVE_TO_PARK, Disposal.VACATE)
IN_PLACE_DISPOSALS = (Disposal.UPGRADE, Disposal.UPGRADE, Disposal.MERGE)
# Written out rather than translated, so that the notes do not depend on the active language.
IN_PLACE_NOTES = {Disposal.UPGRADE: "就地改造提升", Disposal.MERGE: "兼并重组"}
# Annual use ÷ energy freed: a shut-down frees it all, an upgrade about a quarter.
ANNUAL_PER_FREED = {
    Disposal.SHUT_DOWN: Decimal("1"),
    Disposal.VACATE: Decimal("1"),
    Disposal.MOVE_TO_PARK: Decimal("1.25"),
    Disposal.MERGE: Decimal("2"),
    Disposal.UPGRADE: Decimal("4"),
}

COUNTIES = ("平湖市", "南湖区", "秀洲区", "嘉善县", "海盐县", "海宁市", "桐乡市")
HOME_COUNTY = "平湖市"
# Jiaxing's August bulletin for the other six counties: (actual, yearly target)
# per metric. Pinghu (100% / 126.5% / 111.1%) leads on the first two; 嘉善县 and
# 桐乡市 free more energy against their targets.
BULLETIN_AUGUST = {
    "南湖区": ((129, 150), ("2080.00", 2000), ("36480.00", 38000)),
    "秀洲区": ((134, 170), ("2261.50", 2300), ("37000.00", 42000)),
    "嘉善县": ((166, 180), ("2760.30", 2400), ("52200.00", 43000)),
    "海盐县": ((99, 140), ("1679.20", 1900), ("27800.00", 35000)),
    "海宁市": ((191, 200), ("2988.60", 2700), ("55000.00", 52000)),
    "桐乡市": ((190, 210), ("3399.10", 2800), ("64000.00", 55000)),
}


@dataclass
class SitePlan:
    town: str
    name: str
    area_mu: Decimal | None = None  # None: a share of the town's vacated land, or the sum of its parcels
    parent: str | None = None
    vacated_on: date | None = None
    land_use: str = "工业用地"
    ownership_notes: str = ""
    notes: str = ""
    deadline: date | None = None


@dataclass
class EnterprisePlan:
    town: str
    name: str
    site: str
    disposal: str
    categories: frozenset
    events: dict = field(default_factory=dict)  # Stage -> date, in stage order
    weight: int = 1  # share of the town's energy freed
    energy_freed_tce: Decimal | None = None
    annual_energy_tce: Decimal | None = None
    group: str | None = None
    plan_notes: str = ""
    plan_deadline: date | None = None

    @property
    def closed(self) -> bool:
        return Stage.CLOSED in self.events


class DemoPlan:
    """The demo as plain data: sites and enterprises with their dated events, before anything is written."""

    def __init__(self):
        self.sites: list[SitePlan] = []
        self.enterprises: list[EnterprisePlan] = []
        self._numbers = Counter()

    def site(self, town: str, name: str = "", **fields) -> SitePlan:
        if not name:
            self._numbers["site"] += 1
            name = f"示例地块{self._numbers['site']:02d}"
        site = SitePlan(town=town, name=name, **fields)
        self.sites.append(site)
        return site

    def enterprise(self, town: str, site: SitePlan, name: str = "", **fields) -> EnterprisePlan:
        if not name:
            self._numbers["enterprise"] += 1
            name = f"示例企业{self._numbers['enterprise']:03d}"
        enterprise = EnterprisePlan(town=town, name=name, site=site.name, **fields)
        self.enterprises.append(enterprise)
        return enterprise


# Dates -----------------------------------------------------------------------


def _on(share: Decimal) -> date:
    """Return the day by which SHARE (0…1) of January–August's work is done, following PACE."""
    previous = Decimal("0")
    for month, reached in enumerate(PACE, start=1):
        if share <= reached:
            days = calendar.monthrange(YEAR, month)[1]
            day = 1 + int(((share - previous) / (reached - previous) * (days - 1)).to_integral_value(ROUND_HALF_UP))
            return date(YEAR, month, day)
        previous = reached
    return LAST_DAY


def _spread(count: int, low: str = "0.03", high: str = "0.98") -> list[date]:
    """Return COUNT days spread evenly over the work between the shares LOW and HIGH."""
    low, high = Decimal(low), Decimal(high)
    return [_on(low + (high - low) * (2 * k + 1) / (2 * count)) for k in range(count)]


def _chain(*steps: tuple[Stage, date]) -> dict:
    """Return the events STEPS in stage order, kept inside the period and never dated before the previous stage."""
    events, floor = {}, FIRST_WORKING_DAY
    for stage, on in steps:
        floor = events[stage] = min(max(on, floor), LAST_DAY)
    return events


def _days(n: int) -> timedelta:
    return timedelta(days=n)


# Exact totals ------------------------------------------------------------------


def _apportion(total: Decimal, weights: list[int], quantum: Decimal) -> list[Decimal]:
    """Split TOTAL in proportion to WEIGHTS, in steps of QUANTUM, so that the parts add up to TOTAL exactly."""
    whole = sum(weights)
    parts = [(total * weight / whole).quantize(quantum, rounding=ROUND_DOWN) for weight in weights]
    # Rounding down loses less than one quantum per part: hand the lost quanta out one each.
    for k in range(int((total - sum(parts)) / quantum)):
        parts[k] += quantum
    return parts


def _counts(total: int, parts: int) -> list[int]:
    """Split TOTAL into PARTS whole numbers that vary (2, 3, 1, …) and add up to TOTAL."""
    weights = [(2, 3, 1, 2, 4, 1, 3)[k % 7] for k in range(parts)]
    return [int(n) for n in _apportion(Decimal(total), weights, UNIT)]


# The plan ----------------------------------------------------------------------


def _trade(town: str, k: int) -> str:
    trades = TOWN_TRADES.get(town, TRADES)
    return trades[k % len(trades)]


def _tenant_categories(trade: str, k: int) -> frozenset:
    categories = {Category.TENANT}
    if k % 2 == 0:
        categories.add(Category.FACTORY_IN_FACTORY)
    categories.add(Category.LOW_SCATTERED if trade in DIRTY_TRADES or k % 3 == 0 else Category.HIGH_CONSUMPTION)
    return frozenset(categories)


def _landlord_categories(k: int) -> frozenset:
    return frozenset({Category.TWO_HIGH_ONE_LOW} if k % 3 == 1 else {Category.HIGH_CONSUMPTION})


def _cleared_parcel(plan: DemoPlan, town: str, *, tenants: int, cleared_on: date, parent: str | None = None,
                    landlord_closes: bool = True, demolished: bool = False, k: int = 0) -> SitePlan:
    """Add a parcel cleared on CLEARED_ON: its tenants leave first, then the landlord; then the land is vacated."""
    site = plan.site(town, parent=parent, vacated_on=cleared_on)
    for i in range(tenants):
        trade = _trade(town, k + i)
        disposal = TENANT_DISPOSALS[(k + i) % len(TENANT_DISPOSALS)]
        vacated = cleared_on - _days(2 + 3 * (tenants - i))
        events = _chain(
            (Stage.SIGNED, vacated - _days(12 + 3 * (i % 3))),
            (Stage.VACATED, vacated),
            (Stage.CLOSED, vacated + _days(4 + 3 * (i % 4))),
        )
        plan.enterprise(town, site, disposal=disposal, categories=_tenant_categories(trade, k + i),
                        events=events, weight=1 + (k + i) % 3, plan_notes=trade)
    steps = [(Stage.SIGNED, cleared_on - _days(28)), (Stage.VACATED, cleared_on - _days(1))]
    if demolished:
        steps.append((Stage.DEMOLISHED, cleared_on + _days(3)))
    if landlord_closes:
        steps.append((Stage.CLOSED, cleared_on + _days(8)))
    disposal = Disposal.VACATE if k % 2 == 0 else Disposal.SHUT_DOWN
    plan.enterprise(town, site, disposal=disposal, categories=_landlord_categories(k), events=_chain(*steps),
                    weight=4 + k % 5, plan_notes=f"业主；{_trade(town, k + 3)}")
    # The land is vacated once the last enterprise on it is out, even where dates were moved into the period.
    on_site = [e for e in plan.enterprises if e.town == town and e.site == site.name]
    site.vacated_on = max(cleared_on, *(e.events[Stage.VACATED] for e in on_site))
    return site


def _cleared_parcels(plan: DemoPlan, town: str, tenant_counts, *, parent: str | None = None,
                     landlords_close: bool | None = None, demolish_every: int = 0, low: str = "0.03",
                     high: str = "0.97") -> None:
    """Add cleared parcels with TENANT_COUNTS tenants; by default every third landlord is vacated but not closed out."""
    for k, (tenants, cleared_on) in enumerate(zip(tenant_counts, _spread(len(tenant_counts), low, high))):
        closes = (k % 3 != 2) if landlords_close is None else landlords_close
        demolished = bool(demolish_every) and k % demolish_every == 0
        _cleared_parcel(plan, town, tenants=tenants, cleared_on=cleared_on, parent=parent, landlord_closes=closes,
                        demolished=demolished, k=k)


def _open_enterprise(plan: DemoPlan, site: SitePlan, town: str, *, status: Stage, last_on: date, k: int,
                     tenant: bool) -> EnterprisePlan:
    """Add an enterprise still in progress: surveyed, in talks, signed, or vacated ahead of its landlord."""
    trade = _trade(town, k)
    if status == Stage.VACATED:
        events = _chain((Stage.SIGNED, last_on - _days(15)), (Stage.VACATED, last_on))
    else:
        events = {status: last_on}
    categories = _tenant_categories(trade, k) if tenant else _landlord_categories(k)
    disposal = (Disposal.MOVE_TO_PARK, Disposal.SHUT_DOWN, Disposal.VACATE, Disposal.UPGRADE)[k % 4]
    if status == Stage.VACATED and disposal == Disposal.UPGRADE:
        disposal = Disposal.SHUT_DOWN
    return plan.enterprise(town, site, disposal=disposal, categories=categories, events=events,
                           weight=1 + k % 3 if tenant else 4 + k % 5, plan_notes=trade,
                           plan_deadline=date(YEAR, 10 + k % 3, 31 if k % 3 != 1 else 30))


def _example_cluster(plan: DemoPlan, town: str, *, in_place: int, in_progress: int) -> None:
    """Add the town's example cluster: enterprises closed out in place, and others still in progress."""
    site = plan.site(town, area_mu=Decimal(60 + (13 * len(plan.sites)) % 90) + Decimal("0.35"),
                     deadline=date(YEAR, 12, 31), notes="企业就地改造提升、兼并重组为主")
    for k, closed_on in enumerate(_spread(in_place, "0", "0.99")):
        disposal = IN_PLACE_DISPOSALS[k % len(IN_PLACE_DISPOSALS)]
        events = _chain((Stage.SIGNED, closed_on - _days(21 + 7 * (k % 3))), (Stage.CLOSED, closed_on))
        plan.enterprise(town, site, disposal=disposal, categories=_landlord_categories(k + 1), events=events,
                        weight=8 + 2 * (k % 4), plan_notes=f"{_trade(town, k + 5)}；{IN_PLACE_NOTES[disposal]}")
    statuses = (Stage.SIGNED, Stage.NEGOTIATING, Stage.VACATED, Stage.SURVEYED)
    for k, last_on in enumerate(_spread(in_progress, "0.45", "0.98")):
        _open_enterprise(plan, site, town, status=statuses[k % 4], last_on=last_on, k=k, tenant=k % 2 == 1)


def _liudian(plan: DemoPlan) -> None:
    """Add 六店区域 of 曹桥街道: 原胜利钢厂地块 and its tenants, the other cleared parcels, and two still in talks."""
    town = CAOQIAO
    plan.site(town, LIUDIAN, land_use="", ownership_notes="土地性质复杂、权属复杂",
              notes="乍嘉甬道南北贯通，老07省道东西横跨；六店大桥北侧多个地块整治腾退")
    shengli = plan.site(town, SHENGLI, area_mu=Decimal("20.43"), parent=LIUDIAN, vacated_on=date(YEAR, 6, 28),
                        ownership_notes="土地归属某贸易公司，租赁给大小20余户小业主",
                        notes="业态复杂、环境脏乱、安全隐患多；先从厂房内不同类型的小企业入手，分类处置")
    for i in range(SHENGLI_TENANTS):
        trade = SHENGLI_TRADES[i % len(SHENGLI_TRADES)]
        signed = date(YEAR, 3, 1) + _days(2 * i)
        steps = [(Stage.SIGNED, signed), (Stage.VACATED, signed + _days(21 + i % 4))]
        moving = i in SHENGLI_MOVING
        if not moving:
            steps.append((Stage.CLOSED, signed + _days(31 + i % 4)))
        dirty = trade == "废品回收" or i % 4 == 1
        categories = {Category.TENANT, Category.LOW_SCATTERED if dirty else Category.HIGH_CONSUMPTION}
        if i % 3 != 2:
            categories.add(Category.FACTORY_IN_FACTORY)
        plan.enterprise(town, shengli, disposal=Disposal.MOVE_TO_PARK if moving else Disposal.SHUT_DOWN,
                        categories=frozenset(categories), events=_chain(*steps), weight=1 + i % 3, plan_notes=trade)
    plan.enterprise(town, shengli, "某贸易公司", disposal=Disposal.VACATE, categories=frozenset(),
                    events=_chain((Stage.SIGNED, date(YEAR, 4, 20)), (Stage.VACATED, date(YEAR, 6, 20))),
                    plan_notes="业主；签订腾退合同后组织执法力量推进腾后搬离")
    _cleared_parcels(plan, town, LIUDIAN_EXAMPLE_TENANTS, parent=LIUDIAN, demolish_every=3, low="0.05", high="0.95")
    zaochang = plan.site(town, "龙牌糟厂地块", area_mu=Decimal("15.60"), parent=LIUDIAN, deadline=date(YEAR, 12, 31))
    plan.enterprise(town, zaochang, "平湖市龙牌糟厂", disposal=Disposal.MOVE_TO_PARK,
                    categories=frozenset({Category.HIGH_CONSUMPTION}), weight=6,
                    events=_chain((Stage.SURVEYED, date(YEAR, 2, 16)), (Stage.NEGOTIATING, date(YEAR, 6, 15))),
                    plan_notes="平湖老字号；全市范围内对接新址，只等企业拍板即可签约腾退",
                    plan_deadline=date(YEAR, 10, 31))
    yanye = plan.site(town, "盐业公司地块", area_mu=Decimal("9.80"), parent=LIUDIAN, deadline=date(YEAR, 12, 31))
    plan.enterprise(town, yanye, "某盐业公司", disposal=Disposal.VACATE, categories=frozenset(), weight=2,
                    events=_chain((Stage.SURVEYED, date(YEAR, 3, 8)), (Stage.NEGOTIATING, date(YEAR, 7, 20))),
                    plan_notes="洽谈中", plan_deadline=date(YEAR, 12, 31))


def _xujiadai(plan: DemoPlan) -> None:
    """Add 徐家埭工业集聚点 of 林埭镇: 106 enterprises, 71 of them tenants, 90 signed."""
    town = LINDAI
    plan.site(town, XUJIADAI, land_use="", notes="租赁企业多、“房东经济”特点明显；规划聚焦服务业、高端消费、数字经济、专业市场")
    gongmao = plan.site(town, "某工贸企业地块", area_mu=Decimal("6.93"), parent=XUJIADAI,
                        vacated_on=date(YEAR, 3, 28), notes="一个月内完成企业评估、数据核对、签约关停并拆除")
    plan.enterprise(town, gongmao, "某工贸企业", disposal=Disposal.SHUT_DOWN, weight=5,
                    categories=frozenset({Category.FACTORY_IN_FACTORY, Category.HIGH_CONSUMPTION}),
                    events=_chain((Stage.SURVEYED, date(YEAR, 3, 7)), (Stage.SIGNED, date(YEAR, 3, 14)),
                                  (Stage.VACATED, date(YEAR, 3, 25)), (Stage.DEMOLISHED, date(YEAR, 4, 2)),
                                  (Stage.CLOSED, date(YEAR, 4, 6))),
                    plan_notes="典型“厂中厂”群租企业")
    for i in range(GONGMAO_TENANTS):
        plan.enterprise(town, gongmao, disposal=Disposal.SHUT_DOWN, weight=1,
                        categories=frozenset({Category.TENANT, Category.FACTORY_IN_FACTORY, Category.LOW_SCATTERED}),
                        events=_chain((Stage.SIGNED, date(YEAR, 3, 14)), (Stage.VACATED, date(YEAR, 3, 20 + i)),
                                      (Stage.CLOSED, date(YEAR, 4, 6))),
                        plan_notes=f"群租小业主；{_trade(town, i)}")
    fangzhi = plan.site(town, "某纺织企业地块", area_mu=Decimal("20.00"), parent=XUJIADAI,
                        vacated_on=date(YEAR, 6, 10), notes="上门对接10余次，帮助联系搬迁地址")
    plan.enterprise(town, fangzhi, "某纺织企业", disposal=Disposal.MOVE_TO_PARK, weight=9,
                    categories=frozenset({Category.HIGH_CONSUMPTION}),
                    events=_chain((Stage.SIGNED, date(YEAR, 5, 16)), (Stage.VACATED, date(YEAR, 6, 8)),
                                  (Stage.CLOSED, date(YEAR, 6, 24))),
                    plan_notes="不到一个月完成签约、腾退")
    parcels, tenants = XUJIADAI_PARCELS["cleared"]
    # The cluster's campaign opened the year: its first parcel is cleared in January.
    _cleared_parcels(plan, town, _counts(tenants, parcels), parent=XUJIADAI, landlords_close=False,
                     demolish_every=5, low="0.02", high="0.97")
    for status, (parcels, tenants) in (("signed", XUJIADAI_PARCELS["signed"]), ("talks", XUJIADAI_PARCELS["talks"])):
        for k, (count, last_on) in enumerate(zip(_counts(tenants, parcels), _spread(parcels, "0.3", "0.98"))):
            site = plan.site(town, area_mu=Decimal(6 + (5 * k) % 17) + Decimal("0.45"), parent=XUJIADAI,
                             deadline=date(YEAR, 12, 31))
            if status == "signed":
                landlord, tenant_stages = Stage.SIGNED, (Stage.VACATED, Stage.SIGNED)
            else:
                landlord, tenant_stages = Stage.NEGOTIATING, (Stage.SURVEYED, Stage.NEGOTIATING)
            _open_enterprise(plan, site, town, status=landlord, last_on=last_on, k=4 * k + 2, tenant=False)
            for i in range(count):
                _open_enterprise(plan, site, town, status=tenant_stages[i % 2], last_on=last_on - _days(3 * i),
                                 k=4 * k + i, tenant=True)


def demo_plan() -> DemoPlan:
    """Return the whole demo as data, areas and energy apportioned so that the published figures come out exactly."""
    plan = DemoPlan()
    _liudian(plan)
    _xujiadai(plan)
    for town, (tenant_counts, in_progress) in EXAMPLE_PARCELS.items():
        _cleared_parcels(plan, town, tenant_counts)
        closed = sum(e.closed for e in plan.enterprises if e.town == town)
        in_place = TOWN_FIGURES[town][0] - closed
        if in_place < 1:
            raise AssertionError(f"{town}: {closed} enterprises closed out on parcels, more than its figure")
        _example_cluster(plan, town, in_place=in_place, in_progress=in_progress)
    _apportion_land(plan)
    _apportion_energy(plan)
    _assign_groups(plan)
    _check_plan(plan)
    return plan


def _apportion_land(plan: DemoPlan) -> None:
    """Give each example parcel vacated in the period its share of its pool of land; give each area its parcels' sum."""
    pools = {(CAOQIAO, LIUDIAN): LIUDIAN_VACATED_MU, (LINDAI, XUJIADAI): XUJIADAI_VACATED_MU}
    for town, figures in TOWN_FIGURES.items():
        inside = sum((total for (pool_town, _), total in pools.items() if pool_town == town), Decimal("0"))
        pools[(town, None)] = Decimal(figures[1]) - inside
    for (town, parent), total in pools.items():
        vacated = [s for s in plan.sites if s.town == town and s.parent == parent and s.vacated_on]
        fixed = sum((s.area_mu for s in vacated if s.area_mu is not None), Decimal("0"))
        shared = [s for s in vacated if s.area_mu is None]
        weights = [(5, 8, 3, 6, 9, 4, 7)[k % 7] for k in range(len(shared))]
        for site, area in zip(shared, _apportion(total - fixed, weights, CENT)):
            site.area_mu = area
    for site in plan.sites:
        if site.area_mu is None:
            site.area_mu = sum(s.area_mu for s in plan.sites if s.parent == site.name and s.town == site.town)


def _apportion_energy(plan: DemoPlan) -> None:
    """Share each town's energy freed among its closed-out enterprises by weight; others get a planned figure."""
    for town, figures in TOWN_FIGURES.items():
        closed = [e for e in plan.enterprises if e.town == town and e.closed]
        for enterprise, freed in zip(closed, _apportion(Decimal(figures[2]), [e.weight for e in closed], CENT)):
            enterprise.energy_freed_tce = freed
    for enterprise in plan.enterprises:
        if enterprise.energy_freed_tce is None:
            enterprise.energy_freed_tce = Decimal(45 * enterprise.weight) + Decimal("0.60")
        ratio = ANNUAL_PER_FREED[enterprise.disposal]
        enterprise.annual_energy_tce = (enterprise.energy_freed_tce * ratio).quantize(CENT, rounding=ROUND_HALF_UP)


def _assign_groups(plan: DemoPlan) -> None:
    """Assign 林埭镇's enterprises to its 13 attack groups in turn (分解包干企业)."""
    lindai = [e for e in plan.enterprises if e.town == LINDAI]
    for k, enterprise in enumerate(lindai):
        enterprise.group = LINDAI_GROUPS[k % len(LINDAI_GROUPS)]


def _check_plan(plan: DemoPlan) -> None:
    """Fail loudly when the plan does not add up to the article's figures or breaks a stage rule."""
    closed = [e for e in plan.enterprises if e.closed]
    parents = {(s.town, s.parent) for s in plan.sites if s.parent}
    leaves = [s for s in plan.sites if (s.town, s.name) not in parents and s.vacated_on]
    totals = {
        CLOSED: len(closed),
        LAND: sum(s.area_mu for s in leaves),
        ENERGY: sum(e.energy_freed_tce for e in closed),
    }
    if totals != PUBLISHED:
        raise AssertionError(f"The demo adds up to {totals}, not to the published {PUBLISHED}")
    for metric, column in ((CLOSED, 3), (LAND, 4), (ENERGY, 5)):
        allocated = sum(Decimal(row[column]) for row in TOWN_FIGURES.values())
        if allocated != CITY_TARGETS[metric]:
            raise AssertionError(f"Town targets for {metric} add up to {allocated}, not {CITY_TARGETS[metric]}")
    xujiadai = [e for e in plan.enterprises if e.site == XUJIADAI or _parent_of(plan, e) == XUJIADAI]
    counts = (len(xujiadai), sum(Category.TENANT in e.categories for e in xujiadai),
              sum(Stage.SIGNED in e.events for e in xujiadai))
    if counts != (106, 71, 90):
        raise AssertionError(f"徐家埭工业集聚点 has {counts} enterprises, tenants, signed; the article says 106, 71, 90")
    by_site = defaultdict(list)
    for enterprise in plan.enterprises:
        by_site[(enterprise.town, enterprise.site)].append(enterprise)
    for site in plan.sites:
        if not site.vacated_on:
            continue
        for enterprise in by_site[(site.town, site.name)]:
            out = min((on for stage, on in enterprise.events.items() if stage in (Stage.VACATED, Stage.CLOSED)),
                      default=None)
            if out is None or out > site.vacated_on:
                raise AssertionError(f"{site.name} is vacated on {site.vacated_on} before {enterprise.name} is out")
    for enterprise in plan.enterprises:
        dates = list(enterprise.events.values())
        if dates != sorted(dates) or list(enterprise.events) != sorted(enterprise.events):
            raise AssertionError(f"{enterprise.name}: events out of order {enterprise.events}")
        if not FIRST_WORKING_DAY <= dates[0] <= dates[-1] <= LAST_DAY:
            raise AssertionError(f"{enterprise.name}: events outside January–August {enterprise.events}")
        if enterprise.annual_energy_tce < enterprise.energy_freed_tce:
            raise AssertionError(f"{enterprise.name}: frees more energy than it uses")


def _parent_of(plan: DemoPlan, enterprise: EnterprisePlan) -> str | None:
    for site in plan.sites:
        if site.town == enterprise.town and site.name == enterprise.site:
            return site.parent
    return None


# Writing -------------------------------------------------------------------------


def _users() -> tuple:
    """Create the demo users if missing, leaving existing ones as they are; return admin, leader and official."""
    User = get_user_model()
    leaders, _ = Group.objects.get_or_create(name=LEADERS_GROUP)
    officials, _ = Group.objects.get_or_create(name=OFFICIALS_GROUP)
    missing = {"admin", "leader", "official"} - set(
        User.objects.filter(username__in=["admin", "leader", "official"]).values_list("username", flat=True)
    )
    if missing:
        # One hash for the demo accounts: the password is published, and hashing costs most of a second here.
        password = make_password(DEMO_PASSWORD)
        for username in sorted(missing):
            staff = username == "admin"
            user = User(username=username, password=password, is_staff=staff, is_superuser=staff)
            user.save()
            if username == "leader":
                user.groups.add(leaders)
            elif username == "official":
                user.groups.add(officials)
    return tuple(User.objects.get(username=name) for name in ("admin", "leader", "official"))


def _reference_data(admin) -> tuple[dict, dict, dict]:
    """Write towns, counties, bureaus, heads, pairings and task forces; return towns, task forces and heads by name."""
    towns, task_forces = {}, {}
    for order, (name, kind, _, _) in enumerate(TOWNS, start=1):
        towns[name] = services.town_upsert(name=name, kind=kind, display_order=order, user=admin).obj
    for order, name in enumerate(COUNTIES, start=1):
        services.county_upsert(name=name, is_home=name == HOME_COUNTY, display_order=order, user=admin)
    heads = {}
    for bureau, head in [(bureau, head) for _, _, bureau, head in TOWNS] + list(OTHER_BUREAUS):
        heads[bureau] = services.bureau_head_upsert(bureau_name=bureau, head_name=head, user=admin)
    active = {p.town_id: p for p in Pairing.objects.active().select_related("task_force")}
    for name, _, bureau, _ in TOWNS:
        pairing = active.get(towns[name].pk) or services.pairing_start(
            town=towns[name], head=heads[bureau], started_on=PAIRED_ON, task_force_name=f"{name}腾笼换鸟专班",
            user=admin,
        )
        task_forces[name] = pairing.task_force
    return towns, task_forces, heads


def _task_force_members(task_forces: dict, heads: dict, admin, official) -> dict:
    """Fill in 曹桥街道's member bureaus and people, and 林埭镇's 13 attack groups; return the groups by name."""
    caoqiao = task_forces[CAOQIAO]
    # The bureaus it has (its head's) and the article's; task_force_bureaus_set writes nothing when they are there.
    present = list(caoqiao.member_bureaus.all())
    services.task_force_bureaus_set(
        task_force=caoqiao, bureaus=[*present, *(heads[bureau].bureau for bureau in CAOQIAO_MEMBER_BUREAUS)], user=admin
    )
    for person, unit, role in CAOQIAO_MEMBERS:
        services.task_force_member_add(
            task_force=caoqiao, person_name=person, user_account=official if person == OFFICIAL_PERSON else None,
            role=role, unit=unit, user=admin,
        )
    return {
        name: services.attack_group_upsert(
            task_force=task_forces[LINDAI], name=name, leader_name=f"示例组长{name.removeprefix('攻坚小组')}", user=admin
        )
        for name in LINDAI_GROUPS
    }


def _targets_and_bulletins(towns: dict, admin) -> None:
    """Write Jiaxing's 2022 targets, their allocation to the towns, and the other counties' monthly bulletins."""
    metrics = (CLOSED, LAND, ENERGY)
    for metric in metrics:
        services.target_set(year=YEAR, metric=metric, value=CITY_TARGETS[metric], user=admin)
    for name, row in TOWN_FIGURES.items():
        for metric, value in zip(metrics, row[3:]):
            services.target_set(year=YEAR, metric=metric, value=Decimal(value), town=towns[name], user=admin)
    counties = {county.name: county for county in County.objects.filter(name__in=BULLETIN_AUGUST)}
    for name, figures in BULLETIN_AUGUST.items():
        for metric, (august, target), quantum in zip(metrics, figures, (UNIT, CENT, CENT)):
            for month, share in enumerate(PACE, start=1):
                actual = (Decimal(august) * share).quantize(quantum, rounding=ROUND_HALF_UP)
                services.bulletin_figure_set(county=counties[name], year=YEAR, month=month, metric=metric,
                                             actual=actual, target=Decimal(target), user=admin)


def _sites_and_enterprises(plan: DemoPlan, towns: dict, groups: dict, admin) -> tuple[dict, dict]:
    """Write the sites (areas before their parcels) and the enterprises; return both by (town, name)."""
    sites = {}
    for site in sorted(plan.sites, key=lambda s: s.parent is not None):
        sites[(site.town, site.name)] = services.site_upsert(
            town=towns[site.town], name=site.name, user=admin, area_mu=site.area_mu,
            parent=sites[(site.town, site.parent)] if site.parent else None, land_use=site.land_use,
            ownership_notes=site.ownership_notes, notes=site.notes, deadline=site.deadline,
        ).obj
    enterprises = {}
    for e in plan.enterprises:
        flags = {category.value: category in e.categories for category in Category}
        enterprises[(e.town, e.name)] = services.enterprise_upsert(
            town=towns[e.town], name=e.name, user=admin, site=sites[(e.town, e.site)], disposal=e.disposal,
            annual_energy_tce=e.annual_energy_tce, energy_freed_tce=e.energy_freed_tce,
            responsible_group=groups.get(e.group), plan_notes=e.plan_notes, plan_deadline=e.plan_deadline, **flags,
        ).obj
    return sites, enterprises


def _events(plan: DemoPlan, towns: dict, sites: dict, enterprises: dict, admin, official) -> int:
    """Record every enterprise's events in stage order, then each cleared site's own 腾退; return how many the demo has.

    An event already recorded on its date is left alone, and one moved since
    is moved back, so that a second run changes nothing.
    """
    demo_towns = list(towns.values())
    recorded = {
        (event.enterprise_id, event.site_id, event.stage): event.occurred_on
        for event in Event.objects.filter(Q(enterprise__town__in=demo_towns) | Q(site__town__in=demo_towns))
    }

    def record(*, stage, on, town, enterprise=None, site=None):
        key = (enterprise.pk if enterprise else None, site.pk if site else None, stage)
        if recorded.get(key) == on:
            return
        # 曹桥街道's progress is logged by its task force's official, the rest by the admins from the ledgers.
        user = official if town == CAOQIAO else admin
        if key in recorded:
            services.event_upsert(stage=stage, on=on, user=user, enterprise=enterprise, site=site)
        else:
            services.event_record(stage=stage, on=on, user=user, enterprise=enterprise, site=site)

    count = 0
    for e in plan.enterprises:
        for stage, on in e.events.items():
            record(stage=stage, on=on, town=e.town, enterprise=enterprises[(e.town, e.name)])
            count += 1
    for site in plan.sites:
        if site.vacated_on:
            record(stage=Stage.VACATED, on=site.vacated_on, town=site.town, site=sites[(site.town, site.name)])
            count += 1
    return count


def _row_count() -> int:
    """Return the number of rows in the clearance app's tables, history and links included."""
    return sum(model._default_manager.count() for model in apps.get_app_config("clearance").get_models(True))


def _verify(towns: dict) -> dict:
    """Fail loudly unless the database gives the published figures, city-wide and town by town."""
    figures = city_figures(year=YEAR, month=MONTH)
    actual = {metric: figures[metric.value] for metric in (CLOSED, LAND, ENERGY)}
    if actual != PUBLISHED:
        raise AssertionError(f"The demo gives {actual}, not the published {PUBLISHED}")
    by_town = town_figures(year=YEAR, month=MONTH)
    for name, row in TOWN_FIGURES.items():
        got = by_town.get(towns[name].pk, {})
        expected = {CLOSED.value: row[0], LAND.value: Decimal(row[1]), ENERGY.value: Decimal(row[2])}
        if {key: got.get(key) for key in expected} != expected:
            raise AssertionError(f"{name} gives {got}, not {expected}")
    return actual


def demo_load(*, stdout=None) -> dict:
    """Load the Pinghu demo through the services, in one transaction; a second run changes nothing.

    Demo rows edited since are put back. Return the three figures for
    January–August 2022, checked against the article when the database holds
    no other events; write a short summary to STDOUT when given.
    """
    plan = demo_plan()
    with transaction.atomic():
        rows_before = _row_count()
        admin, _, official = _users()
        towns, task_forces, heads = _reference_data(admin)
        groups = _task_force_members(task_forces, heads, admin, official)
        _targets_and_bulletins(towns, admin)
        sites, enterprises = _sites_and_enterprises(plan, towns, groups, admin)
        demo_events = _events(plan, towns, sites, enterprises, admin, official)
        # Progress recorded on the pages since the demo was loaded rightly changes the
        # figures; only a database holding nothing but the demo must give the article's.
        extra_events = Event.objects.count() - demo_events
        if extra_events:
            figures = city_figures(year=YEAR, month=MONTH)
            figures = {metric: figures[metric.value] for metric in (CLOSED, LAND, ENERGY)}
        else:
            figures = _verify(towns)
        added = _row_count() - rows_before
    if stdout is not None:
        _summary(stdout, figures=figures, added=added, extra_events=extra_events)
    return figures


def _summary(stdout, *, figures: dict, added: int, extra_events: int) -> None:
    targets = {t.metric: t.value for t in Target.objects.filter(year=YEAR, town=None)}

    def pct(metric):
        return (Decimal(figures[metric]) / targets[metric] * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    stdout.write(
        f"Pinghu demo: {len(TOWNS)} towns, {Site.objects.count()} sites, {Enterprise.objects.count()} enterprises, "
        f"{Event.objects.count()} events; {added} rows added by this run (history included)."
    )
    stdout.write(
        f"January–August {YEAR}: {figures[CLOSED]} enterprises closed out ({pct(CLOSED)}%), "
        f"{figures[LAND]} mu vacated ({pct(LAND)}%), {figures[ENERGY]} tce freed ({pct(ENERGY)}%)."
    )
    if extra_events:
        stdout.write(f"Events recorded besides the demo's, included in the figures: {extra_events}.")
    stdout.write(f"Demo users admin, leader and official; password {DEMO_PASSWORD}.")
