"""The demo as plain data: sites and enterprises with dated events, apportioned so the published figures come out exactly."""

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from ..choices import Category, Disposal, Stage
from .facts import (
    ANNUAL_PER_FREED,
    CAOQIAO,
    CENT,
    CITY_TARGETS,
    CLOSED,
    DIRTY_TRADES,
    ENERGY,
    EXAMPLE_PARCELS,
    FIRST_WORKING_DAY,
    GONGMAO_TENANTS,
    IN_PLACE_DISPOSALS,
    IN_PLACE_NOTES,
    LAND,
    LAST_DAY,
    LINDAI,
    LINDAI_GROUPS,
    LIUDIAN,
    LIUDIAN_EXAMPLE_TENANTS,
    LIUDIAN_VACATED_MU,
    PACE,
    PUBLISHED,
    SHENGLI,
    SHENGLI_MOVING,
    SHENGLI_TENANTS,
    SHENGLI_TRADES,
    TENANT_DISPOSALS,
    TOWN_FIGURES,
    TOWN_TRADES,
    TRADES,
    UNIT,
    XUJIADAI,
    XUJIADAI_PARCELS,
    XUJIADAI_VACATED_MU,
    YEAR,
)


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
