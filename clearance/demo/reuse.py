"""The demo's 换鸟: projects on vacated parcels, written through the services; a second run changes nothing.

The article shows the second half of 腾笼换鸟 in pictures: a batch of quality manufacturing projects signed,
land returned to farmland. The demo has, on parcels the clearance demo vacates in 2022:
- 六店区域优质制造业项目 on part of 原胜利钢厂地块 and of a neighbouring parcel of 六店区域 (signed, land
  supplied, construction started in 2022; committed to full production in 2024, so not due yet);
- a 复垦 parcel in 广陈镇 (land supplied and accepted in 2022);
- three small projects committed to full production by the end of August 2022, each run by an enterprise of the
  evaluation demo or one created for it: 独山港经济开发区's kept its commitment (its 2022 亩均税收 41.48 reaches the
  committed 40), 当湖街道's missed it (25.66 against 30), 新埭镇's cannot be checked yet (a new company, no
  evaluation of 2022);
- a project of 徐家埭工业集聚点 signed in August, its land not supplied yet.
And the city's 2022 targets for the reuse figures, allocated to the eight towns (adding up, so no allocation gap).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from .. import services
from ..choices import ProjectKind, ProjectStage, ReuseMetric
from ..models import Project, ProjectEvent, ProjectSite, ReportingPeriod, Site
from ..services.evaluation import evaluated_enterprise_upsert
from .evaluation import EvaluatedPlan, evaluated_example_name
from .facts import CAOQIAO, YEAR

S = ProjectStage


@dataclass
class ProjectPlan:
    town: str
    name: str
    land: tuple  # (site name, area taken in 亩)
    events: dict  # ProjectStage -> date, in stage order
    kind: str = ProjectKind.INVESTMENT
    investor: str = ""
    industry: str = ""
    investment: str | None = None  # 万元
    tax_per_mu: str | None = None  # committed 亩均税收 at full production, 万元/亩
    committed: tuple = (None, None, None)  # 开工, 投产, 达产
    deadline: date | None = None
    # The operating enterprise: the INDEX-th 示例 enterprise of the evaluation demo in the town, or a name created
    # for the project (a new company, not evaluated yet).
    operator_index: int | None = None
    operator_name: str = ""
    notes: str = ""


PROJECTS = (
    ProjectPlan(
        CAOQIAO, "六店区域优质制造业项目", land=(("原胜利钢厂地块", "15.00"), ("示例地块04", "30.00")),
        investor="示例精密装备有限公司", industry="高端装备制造", investment="52000", tax_per_mu="35",
        committed=(date(2022, 8, 31), date(2023, 12, 31), date(2024, 12, 31)),
        events={S.SIGNED: date(2022, 5, 20), S.LAND_SUPPLIED: date(2022, 7, 8),
                S.CONSTRUCTION_STARTED: date(2022, 8, 18)},
        notes="腾退后的原胜利钢厂地块与相邻地块整合供地，引进优质制造业项目",
    ),
    ProjectPlan(
        "广陈镇", "示例地块57复垦项目", kind=ProjectKind.RECLAMATION, land=(("示例地块57", "97.11"),),
        deadline=date(2022, 9, 30),
        events={S.LAND_SUPPLIED: date(2022, 4, 12), S.ACCEPTED: date(2022, 7, 26)},
        notes="拆除后复垦为耕地，验收合格",
    ),
    ProjectPlan(
        "独山港经济开发区", "示例机械扩产项目", land=(("示例地块64", "30.00"),),
        investor="示例机械有限公司", industry="通用设备制造", investment="18000", tax_per_mu="40",
        committed=(date(2022, 4, 1), date(2022, 6, 30), date(2022, 8, 31)),
        events={S.SIGNED: date(2021, 11, 18), S.LAND_SUPPLIED: date(2022, 3, 10),
                S.CONSTRUCTION_STARTED: date(2022, 3, 25), S.IN_PRODUCTION: date(2022, 6, 15),
                S.FULL_PRODUCTION: date(2022, 8, 20)},
        operator_index=1, notes="现有企业扩产，利用腾退厂房改造",
    ),
    ProjectPlan(
        "当湖街道", "示例智能装备项目", land=(("示例地块40", "20.00"),),
        investor="示例智能装备投资有限公司", industry="智能装备", investment="12000", tax_per_mu="30",
        committed=(date(2022, 4, 30), date(2022, 6, 30), date(2022, 8, 15)),
        events={S.SIGNED: date(2022, 1, 12), S.LAND_SUPPLIED: date(2022, 3, 28),
                S.CONSTRUCTION_STARTED: date(2022, 4, 15), S.IN_PRODUCTION: date(2022, 7, 20)},
        operator_index=5, notes="投产晚于承诺，亩均税收未达承诺值",
    ),
    ProjectPlan(
        "新埭镇", "示例箱包新材料项目", land=(("示例地块49", "25.00"),),
        investor="示例箱包新材料有限公司", industry="箱包面料", investment="15000", tax_per_mu="28",
        committed=(date(2022, 4, 15), date(2022, 6, 30), date(2022, 8, 31)),
        events={S.SIGNED: date(2022, 1, 20), S.LAND_SUPPLIED: date(2022, 3, 20),
                S.CONSTRUCTION_STARTED: date(2022, 4, 6), S.IN_PRODUCTION: date(2022, 6, 28),
                S.FULL_PRODUCTION: date(2022, 8, 26)},
        operator_name="示例箱包新材料有限公司",
        notes="新设企业，尚无达产年度的亩均效益评价",
    ),
    ProjectPlan(
        "林埭镇", "徐家埭数字经济产业园项目", land=(("示例地块07", "9.03"), ("示例地块08", "14.44")),
        investor="示例数字科技有限公司", industry="数字经济", investment="30000", tax_per_mu="50",
        committed=(date(2023, 3, 31), date(2024, 6, 30), date(2025, 6, 30)),
        events={S.SIGNED: date(2022, 8, 5)},
        notes="徐家埭工业集聚点规划聚焦服务业、高端消费、数字经济、专业市场",
    ),
)

# The city's 2022 targets for the reuse figures, and their allocation to the towns (each adds up to the city's).
REUSE_TARGETS = {
    ReuseMetric.PROJECTS_SIGNED: "8",
    ReuseMetric.INVESTMENT_SIGNED_WAN: "150000",
    ReuseMetric.LAND_REUSED_MU: "350",
}
TOWN_REUSE_TARGETS = {
    #                    projects investment land
    "当湖街道": ("1", "20000", "40"),
    "钟埭街道": ("1", "15000", "30"),
    "曹桥街道": ("1", "30000", "70"),
    "新埭镇": ("1", "20000", "50"),
    "新仓镇": ("1", "15000", "40"),
    "广陈镇": ("1", "10000", "40"),
    "林埭镇": ("1", "25000", "50"),
    "独山港经济开发区": ("1", "15000", "30"),
}


def _targets(towns: dict, admin) -> None:
    for metric, value in REUSE_TARGETS.items():
        services.target_set(year=YEAR, metric=metric, value=Decimal(value), user=admin)
    for name, values in TOWN_REUSE_TARGETS.items():
        for metric, value in zip(REUSE_TARGETS, values):
            services.target_set(year=YEAR, metric=metric, value=Decimal(value), town=towns[name], user=admin)


def _operator(item: ProjectPlan, towns: dict, evaluated: list[EvaluatedPlan], admin):
    if item.operator_index is not None:
        name = evaluated_example_name(evaluated, item.town, item.operator_index)
    elif item.operator_name:
        name = item.operator_name
    else:
        return None
    return evaluated_enterprise_upsert(town=towns[item.town], name=name, user=admin)


def _project_fields(item: ProjectPlan, town, operator) -> dict:
    start, production, full_production = item.committed
    return {
        "town": town, "name": item.name, "kind": item.kind, "investor": item.investor, "industry": item.industry,
        "operator": operator,
        "committed_investment_wan": None if item.investment is None else Decimal(item.investment),
        "committed_tax_per_mu_wan": None if item.tax_per_mu is None else Decimal(item.tax_per_mu),
        "committed_start_on": start, "committed_production_on": production,
        "committed_full_production_on": full_production, "deadline": item.deadline, "notes": item.notes,
    }


def _project(fields: dict, user) -> Project:
    """Create the project, or put back the fields edited since; write nothing when it is as the demo has it."""
    project = Project.objects.filter(town=fields["town"], name=fields["name"]).first()
    if project is None:
        return services.project_create(user=user, **fields)
    differing = {name: value for name, value in fields.items()
                 if getattr(project, name if name != "operator" else "operator_id")
                 != (value.pk if name == "operator" and value is not None else value)}
    if not differing:
        return project
    return services.project_update(project=project, expected_version=project.version, user=user, **differing)


def _land(project: Project, item: ProjectPlan, sites: dict, user) -> None:
    taken = dict(ProjectSite.objects.filter(project=project).values_list("site_id", "area_mu"))
    for name, area in item.land:
        site = sites[(item.town, name)]
        if taken.get(site.pk) == Decimal(area):
            continue
        project.refresh_from_db()
        services.project_land_set(project=project, site=site, area_mu=Decimal(area),
                                  expected_version=project.version, user=user)


def _events(project: Project, item: ProjectPlan, closed: set, user) -> None:
    """Record the stages missing, put back those moved since; a date in a closed month carries a note."""
    recorded = {event.stage: event for event in ProjectEvent.objects.filter(project=project)}
    restored = _("Put back as the demo has it (load_demo).")
    # Later stages first, so that stages moved earlier come back without crossing each other.
    for stage, on in sorted(item.events.items(), reverse=True):
        event = recorded.get(stage)
        if event is not None and event.occurred_on != on:
            late = {(event.occurred_on.year, event.occurred_on.month), (on.year, on.month)} & closed
            services.project_event_correct(event=event, expected_version=event.version, on=on, user=user,
                                           correction_note=restored if late else "")
    for stage, on in item.events.items():
        if stage not in recorded:
            note = restored if (on.year, on.month) in closed else ""
            services.project_event_record(project=project, stage=stage, on=on, user=user, note=note)


def reuse_load(*, towns: dict, evaluated: list[EvaluatedPlan], admin, official) -> int:
    """Write the demo's reuse targets and projects through the services; return how many projects the demo has.

    Projects, their land and their stages already as the demo has them are left alone; fields, areas and dates
    changed since are put back. Stages recorded since on the pages stay.
    """
    _targets(towns, admin)
    sites = {(site.town.name, site.name): site
             for site in Site.objects.filter(town__in=towns.values()).select_related("town")}
    closed = set(ReportingPeriod.objects.filter(closed=True).values_list("year", "month"))
    for item in PROJECTS:
        # 曹桥街道's projects are logged by its task force's official, the rest by the admins.
        user = official if item.town == CAOQIAO else admin
        operator = _operator(item, towns, evaluated, admin)
        project = _project(_project_fields(item, towns[item.town], operator), user)
        _land(project, item, sites, user)
        _events(project, item, closed, user)
    return len(PROJECTS)

