"""The demo's register of order (快中求稳): a handful of 2022 disputes, a petition and hazards, some resolved, some open."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils.translation import gettext as _

from .. import services
from ..choices import RegisterKind
from ..models import AttackGroup, Enterprise, RegisterItem, Site
from ..selectors import closed_months
from .facts import CAOQIAO, LINDAI, SHENGLI, XUJIADAI, YEAR

# A tenant of 原胜利钢厂地块 by its place among the site's tenants in name order (their names are generated).
FIRST_TENANT, MOVING_TENANT = "tenant:0", "tenant:5"


@dataclass(frozen=True)
class DemoItem:
    town: str
    site: str | None  # the site the item is on, or the site of its enterprise
    enterprise: str | None  # a name, or FIRST_TENANT / MOVING_TENANT of SHENGLI
    kind: RegisterKind
    raised_on: date
    description: str
    group: str = ""
    resolved_on: date | None = None
    resolution: str = ""


ITEMS = (
    DemoItem(CAOQIAO, SHENGLI, FIRST_TENANT, RegisterKind.DISPUTE, date(YEAR, 3, 5),
             "小业主与房东某贸易公司就剩余租期租金、押金退还发生纠纷", resolved_on=date(YEAR, 3, 25),
             resolution="镇司法所、村调委会联合调解，房东按剩余租期退还押金，双方签订调解协议"),
    DemoItem(CAOQIAO, SHENGLI, "某贸易公司", RegisterKind.DISPUTE, date(YEAR, 4, 12),
             "业主对厂房评估价值有异议，腾退补偿协商一度停滞", resolved_on=date(YEAR, 4, 20),
             resolution="委托第三方重新评估并公示结果，业主认可后签订腾退合同"),
    DemoItem(CAOQIAO, SHENGLI, MOVING_TENANT, RegisterKind.DISPUTE, date(YEAR, 7, 18),
             "搬迁入园过渡期设备存放场地费用由谁承担存在争议"),
    DemoItem(CAOQIAO, "龙牌糟厂地块", "平湖市龙牌糟厂", RegisterKind.PETITION, date(YEAR, 6, 20),
             "部分老职工来信反映搬迁后上班路程远，要求明确安置和交通补贴"),
    DemoItem(LINDAI, XUJIADAI, None, RegisterKind.HAZARD, date(YEAR, 2, 10),
             "群租厂房消防通道被杂物堵塞，存在私拉乱接电线", group="攻坚小组一", resolved_on=date(YEAR, 3, 20),
             resolution="联合消防、电力部门集中整治，清理通道、拆除违规线路，落实专人巡查"),
    DemoItem(LINDAI, "某工贸企业地块", None, RegisterKind.HAZARD, date(YEAR, 3, 30),
             "厂房拆除前部分钢结构锈蚀，存在坍塌风险", group="攻坚小组二", resolved_on=date(YEAR, 4, 2),
             resolution="设置警戒区域，拆除作业由专业队伍实施并全程监护"),
    DemoItem(LINDAI, XUJIADAI, None, RegisterKind.HAZARD, date(YEAR, 8, 5),
             "已腾空厂房无人看管，存在人员闯入和堆放易燃物的风险", group="攻坚小组三"),
)


def _subjects(towns: dict) -> tuple[dict, dict]:
    """Return the demo's sites by (town, name) and the enterprises the items name by (town, site, name) (two queries)."""
    names = {(towns[item.town].pk, item.site) for item in ITEMS}
    wanted = Q()
    for town_id, name in names:
        wanted |= Q(town_id=town_id, name=name)
    sites = {(site.town_id, site.name): site for site in Site.objects.filter(wanted)}
    enterprises = {}
    for enterprise in Enterprise.objects.filter(site__in=sites.values()).select_related("site").order_by("name"):
        enterprises[(enterprise.town_id, enterprise.site.name, enterprise.name)] = enterprise
    shengli = sites[(towns[CAOQIAO].pk, SHENGLI)]
    tenants = [each for each in enterprises.values() if each.site_id == shengli.pk and each.is_tenant]
    for marker in (FIRST_TENANT, MOVING_TENANT):
        enterprises[(shengli.town_id, SHENGLI, marker)] = tenants[int(marker.split(":")[1])]
    return sites, enterprises


def demo_register(*, towns: dict, admin, official) -> int:
    """Record the demo's items not there yet (one is found by subject, kind and date raised); return how many it has.

    曹桥街道's (on 六店区域's parcels) are recorded by its task force's official, 林埭镇's (at 徐家埭工业集聚点) by
    the admins; a date in a closed month (a run after the months were closed) carries a note.
    """
    sites, enterprises = _subjects(towns)
    groups = {group.name: group for group in AttackGroup.objects.filter(
        task_force__pairing__town=towns[LINDAI], task_force__pairing__ended_on__isnull=True)}
    late = _("Recorded with the demo (load_demo).")
    for item in ITEMS:
        town = towns[item.town]
        if item.enterprise:
            subject = {"enterprise": enterprises[(town.pk, item.site, item.enterprise)]}
        else:
            subject = {"site": sites[(town.pk, item.site)]}
        if RegisterItem.objects.filter(kind=item.kind, raised_on=item.raised_on, **subject).exists():
            continue
        services.register_item_create(
            kind=item.kind, raised_on=item.raised_on, description=item.description,
            responsible_group=groups.get(item.group), resolved_on=item.resolved_on, resolution=item.resolution,
            user=official if item.town == CAOQIAO else admin,
            note=late if closed_months([item.raised_on, item.resolved_on]) else "", **subject,
        )
    return len(ITEMS)

