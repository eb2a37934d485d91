"""The demo's 换鸟: its reuse figures for January–August 2022 worked out by hand, the three commitment states,
the projects on 六店区域's vacated parcels, and a second load that changes nothing."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from clearance import services
from clearance.choices import (
    CommitmentState,
    ProjectKind,
    ProjectStage,
    ReuseMetric,
    Stage,
)
from clearance.demo.evaluation import evaluation_plan
from clearance.demo.plan import demo_plan
from clearance.demo.reuse import reuse_load
from clearance.models import (
    Project,
    ProjectSite,
    Town,
)
from clearance.selectors.reuse import due_projects, reuse_summary

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_db")]

# The demo's projects (clearance/demo/reuse.py) and what counts in January–August 2022:
#   六店区域优质制造业项目 (曹桥街道) 52000 万元, 15 + 30 亩, signed 2022-05-20, land supplied 2022-07-08
#   示例地块57复垦项目 (广陈镇) 97.11 亩, accepted 2022-07-26
#   示例机械扩产项目 (独山港经济开发区) 18000 万元, 30 亩, signed 2021-11-18 (not in 2022), supplied 2022-03-10
#   示例智能装备项目 (当湖街道) 12000 万元, 20 亩, signed 2022-01-12, supplied 2022-03-28
#   示例箱包新材料项目 (新埭镇) 15000 万元, 25 亩, signed 2022-01-20, supplied 2022-03-20
#   徐家埭数字经济产业园项目 (林埭镇) 30000 万元, 23.47 亩, signed 2022-08-05, land not supplied
PROJECTS_SIGNED = 4  # 六店 + 智能装备 + 箱包 + 徐家埭
INVESTMENT_SIGNED = Decimal("109000.00")  # 52000 + 12000 + 15000 + 30000
LAND_REUSED = Decimal("217.11")  # 45 + 97.11 + 30 + 20 + 25
LAND_AWAITING = Decimal("2945.89")  # 3163.00 vacated − 217.11 reused
CAOQIAO = {"projects_signed": 1, "investment_signed_wan": Decimal("52000.00"), "land_reused_mu": Decimal("45.00"),
           "land_awaiting_mu": Decimal("447.62")}  # 492.62 vacated − 45
LINDAI = {"projects_signed": 1, "investment_signed_wan": Decimal("30000.00"), "land_reused_mu": Decimal("0.00"),
          "land_awaiting_mu": Decimal("760.30")}  # signed, nothing supplied: all its vacated land awaits


def _town(summary, name):
    return next(town for town in summary.towns if town.name == name)


def test_demo_reuse_figures_of_january_to_august_2022():
    summary = reuse_summary(year=2022, month=8)

    assert summary.city.figures == {
        "projects_signed": PROJECTS_SIGNED, "investment_signed_wan": INVESTMENT_SIGNED,
        "land_reused_mu": LAND_REUSED, "land_awaiting_mu": LAND_AWAITING,
    }
    assert _town(summary, "曹桥街道").figures == CAOQIAO
    assert _town(summary, "林埭镇").figures == LINDAI
    assert _town(summary, "广陈镇").figures["land_reused_mu"] == Decimal("97.11")
    assert summary.city.commitments == {"due": 3, "met": 1, "missed": 1, "unverified": 1}


def test_demo_reuse_targets_give_each_light():
    city = reuse_summary(year=2022, month=8).city.metrics

    # 4 of 8 = 50% (red, 66.7% of the year gone); 109000 of 150000 = 72.7% (green); 217.11 of 350 = 62.0% (yellow).
    assert [city[metric].light for metric in ReuseMetric] == ["red", "green", "yellow", None]
    assert city[ReuseMetric.LAND_AWAITING_MU].target is None


def test_demo_commitments_one_met_one_missed_one_unverified():
    due = dict(due_projects(period_end=date(2022, 8, 31)).values_list("name", "commitment"))

    assert due == {
        # 示例机械265有限公司's 2022 亩均税收: 3815.98 / 92 = 41.48 ≥ 40 committed.
        "示例机械扩产项目": CommitmentState.MET,
        # 示例机械049有限公司's 2022: 949.31 / 37 = 25.66 < 30 committed.
        "示例智能装备项目": CommitmentState.MISSED,
        # A new company: no evaluation of 2022 or later.
        "示例箱包新材料项目": CommitmentState.UNVERIFIED,
    }
    assert not Project.objects.get(name="示例箱包新材料项目").operator.indicator_rows.exists()


def test_demo_liudian_project_takes_part_of_the_shengli_steel_parcel_and_has_started_construction():
    project = Project.objects.get(name="六店区域优质制造业项目")
    taken = dict(project.allocations.values_list("site__name", "area_mu"))
    stages = dict(project.events.values_list("stage", "occurred_on"))

    assert project.town.name == "曹桥街道" and project.land_mu == Decimal("45.00")
    assert taken["原胜利钢厂地块"] == Decimal("15.00")
    assert set(ProjectSite.objects.filter(project=project).values_list("site__parent__name", flat=True)) == {"六店区域"}
    assert list(stages) == [ProjectStage.SIGNED, ProjectStage.LAND_SUPPLIED, ProjectStage.CONSTRUCTION_STARTED]
    assert all(on.year == 2022 for on in stages.values())


def test_demo_reclamation_is_supplied_and_accepted_in_2022_on_a_vacated_parcel():
    farmland = Project.objects.get(kind=ProjectKind.RECLAMATION)
    stages = dict(farmland.events.values_list("stage", "occurred_on"))
    site = farmland.allocations.get().site

    assert farmland.land_mu == site.area_mu
    assert site.events.get(stage=Stage.VACATED).occurred_on < stages[ProjectStage.LAND_SUPPLIED]
    assert stages[ProjectStage.LAND_SUPPLIED] < stages[ProjectStage.ACCEPTED] <= date(2022, 8, 31)


# A second load_demo writes no project history and leaves the reuse rollup as it was:
# tests/services/test_demo.py::test_demo_second_run_changes_nothing (one rerun for the suite, not one per part).


def test_demo_rerun_puts_back_a_project_edited_since_with_a_note_in_closed_months():
    admin = get_user_model().objects.get(username="admin")
    project = Project.objects.get(name="示例智能装备项目")
    services.project_update(project=project, expected_version=project.version, user=admin,
                            committed_tax_per_mu_wan=Decimal("20"))
    started = project.events.get(stage=ProjectStage.CONSTRUCTION_STARTED)
    services.project_event_correct(event=started, expected_version=started.version, on=date(2022, 5, 3), user=admin,
                                   correction_note="日期录错")

    # The demo's reuse part alone (load_demo runs it the same way; the whole demo takes half a minute).
    reuse_load(towns={town.name: town for town in Town.objects.all()}, evaluated=evaluation_plan(demo_plan()),
               admin=admin, official=get_user_model().objects.get(username="official"))

    project.refresh_from_db()
    started.refresh_from_db()
    assert project.committed_tax_per_mu_wan == Decimal("30.00")
    assert started.occurred_on == date(2022, 4, 15)
    # April is closed in the demo: putting the date back is a late correction and says so.
    assert started.history.order_by("-history_date").first().history_change_reason == "按演示数据恢复（load_demo）。"
    assert due_projects(period_end=date(2022, 8, 31)).get(pk=project.pk).commitment == CommitmentState.MISSED


def test_verify_rollups_agrees_after_load_demo():
    out = io.StringIO()

    call_command("verify_rollups", stdout=out)

    assert "reuse rollup agrees with the project events, and each project's land with its sites" in out.getvalue()
    assert Town.objects.filter(reuse_figures__isnull=False).distinct().count() == 6
