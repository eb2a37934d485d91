"""What the article and Jiaxing's bulletins say about Pinghu in 2022, and the demo's choices where they are silent."""

from datetime import date
from decimal import Decimal

from ..choices import Disposal, MemberRole, Metric, TownKind

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

# Bureaus that join a task force without being paired: the article names no head for them.
OTHER_BUREAUS = ("市国资办", "市建设局")
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

# 亩均效益评价 (issue 14): the demo's choices, the article being silent. The years evaluated, the seed that makes the
# figures the same on every run, how many of the clearance enterprises were evaluated (a share: the evaluation
# covers registered industrial enterprises, not every tenant), how many further 示例 enterprises each town has, and
# what a typical enterprise returns per 亩 (万元, 2021) in each size class.
EVALUATION_YEARS = (2021, 2022)
EVALUATION_SEED = 14
EVALUATED_CLEARANCE_SHARE = 0.55
EVALUATED_PER_TOWN = 44
EVALUATED_TRADES = ("纺织", "机械", "电子", "化纤", "食品", "家具", "包装", "五金", "服装", "新材料", "汽配", "光伏")
TAX_PER_MU = {"above": 24, "below": 9}
# Enterprises listed without a class (不定等级): utilities and start-ups, one in each of a few towns.
EXEMPT_EVALUATED = {
    "当湖街道": "示例水务有限公司", "独山港经济开发区": "示例热电有限公司", "钟埭街道": "示例燃气有限公司",
    "新仓镇": "示例新建项目有限公司", "广陈镇": "示例初创科技有限公司",
}
# 加分 / 减分, each once (town, 示例 enterprise number within the town, year, points, reason).
EVALUATION_ADJUSTMENTS = (
    ("独山港经济开发区", 1, 2022, Decimal("5"), "高新技术企业"),
    ("新埭镇", 2, 2021, Decimal("-10"), "安全生产事故"),
)
