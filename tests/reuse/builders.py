"""Hand-built 换鸟 data for the tests: vacated sites, projects taking their land, stages recorded by the services."""

from datetime import date
from decimal import Decimal

from clearance import services
from clearance.choices import ProjectKind, ProjectStage, Stage
from tests.factories import SiteFactory, TownFactory


def vacated_site(town, name, area, on: date | None, *, parent=None):
    """A site of AREA mu with no enterprises, vacated ON (not vacated when None)."""
    site = SiteFactory(town=town, name=name, area_mu=Decimal(area), parent=parent)
    if on is not None:
        services.event_record(site=site, stage=Stage.VACATED, on=on, user=None)
    return site


def project(town, name, *, kind=ProjectKind.INVESTMENT, investment=None, tax=None, full_production_on=None,
            operator=None, land=(), user=None):
    """A project of TOWN taking LAND: (site, area) pairs."""
    fields = {"town": town, "name": name, "kind": kind, "operator": operator}
    if kind == ProjectKind.INVESTMENT:
        fields.update(investor=f"{name}投资方", committed_investment_wan=None if investment is None else Decimal(investment),
                      committed_tax_per_mu_wan=None if tax is None else Decimal(tax),
                      committed_full_production_on=full_production_on)
    created = services.project_create(user=user, **fields)
    for site, area in land:
        services.project_land_set(project=created, site=site, area_mu=Decimal(area),
                                  expected_version=created.version, user=user)
        created.refresh_from_db()
    return created


def reach(project, stage: ProjectStage, on: date, *, user=None, note=""):
    return services.project_event_record(project=project, stage=stage, on=on, user=user, note=note)


def one_town_worked_on_paper():
    """One town, its sites and three projects, with the figures worked on paper in test_figures.

    Sites: 甲地块 30 亩 vacated 2021-11-10, 乙地块 20 亩 vacated 2022-03-01, 丙区域 (an area) with 丙一 10 亩
    vacated 2022-02-01 and 丙二 5 亩 not vacated.
    Projects: 一号 (investment 5000) takes 甲 20, signed 2021-12-20, land supplied 2022-01-15;
    二号 (investment 8000) takes 甲 10 and 乙 5, signed 2022-02-10, land supplied 2022-04-01;
    复垦 takes 丙一 10, land supplied 2022-02-15, accepted 2022-05-20.
    """
    town = TownFactory(name="换鸟镇")
    jia = vacated_site(town, "甲地块", "30", date(2021, 11, 10))
    yi = vacated_site(town, "乙地块", "20", date(2022, 3, 1))
    area = SiteFactory(town=town, name="丙区域", area_mu=Decimal("15"))
    bing1 = vacated_site(town, "丙一", "10", date(2022, 2, 1), parent=area)
    bing2 = vacated_site(town, "丙二", "5", None, parent=area)
    first = project(town, "一号项目", investment="5000", land=[(jia, "20")])
    reach(first, ProjectStage.SIGNED, date(2021, 12, 20))
    reach(first, ProjectStage.LAND_SUPPLIED, date(2022, 1, 15))
    second = project(town, "二号项目", investment="8000", land=[(jia, "10"), (yi, "5")])
    reach(second, ProjectStage.SIGNED, date(2022, 2, 10))
    reach(second, ProjectStage.LAND_SUPPLIED, date(2022, 4, 1))
    farmland = project(town, "复垦项目", kind=ProjectKind.RECLAMATION, land=[(bing1, "10")])
    reach(farmland, ProjectStage.LAND_SUPPLIED, date(2022, 2, 15))
    reach(farmland, ProjectStage.ACCEPTED, date(2022, 5, 20))
    return {"town": town, "jia": jia, "yi": yi, "area": area, "bing1": bing1, "bing2": bing2,
            "first": first, "second": second, "farmland": farmland}
