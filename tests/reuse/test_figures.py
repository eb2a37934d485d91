"""The four reuse figures for any period, worked on paper (tests/reuse/builders.one_town_worked_on_paper)."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from clearance import services
from clearance.choices import ProjectStage, Stage
from clearance.models import ReuseMonthlyFigure, ReuseYearlyFigure
from clearance.selectors.reuse import reuse_summary
from tests.reuse.builders import one_town_worked_on_paper, project, reach, vacated_site

pytestmark = pytest.mark.django_db


def town_figures(town, year, month):
    summary = reuse_summary(year=year, month=month)
    return next(scope.figures for scope in summary.towns if scope.pk == town.pk), summary.city.figures


@pytest.mark.parametrize(
    ("year", "month", "signed", "investment", "reused", "awaiting"),
    [
        # Only 甲 (30) is vacated; 一号 signed in December, its land supplied in January.
        (2021, 11, 0, "0", "0", "30"),
        (2021, 12, 1, "5000", "0", "30"),
        # A new year starts the period afresh; 一号's 20 mu of 甲 are reused in January.
        (2022, 1, 0, "0", "20", "10"),
        # 丙一 vacated in February (10); 复垦's 供地 does not count: 验收 does. 二号 signed in February.
        (2022, 2, 1, "8000", "20", "20"),
        # 乙 vacated in March (20).
        (2022, 3, 1, "8000", "20", "40"),
        # 二号's 15 mu (10 of 甲, 5 of 乙) in April; 复垦's 10 mu accepted in May.
        (2022, 4, 1, "8000", "35", "25"),
        (2022, 5, 1, "8000", "45", "15"),
        (2022, 12, 1, "8000", "45", "15"),
        # Across the year boundary: nothing in 2023's period, the land awaiting carried over.
        (2023, 1, 0, "0", "0", "15"),
    ],
)
def test_reuse_figures_by_hand(year, month, signed, investment, reused, awaiting):
    world = one_town_worked_on_paper()
    figures, city = town_figures(world["town"], year, month)
    expected = {"projects_signed": signed, "investment_signed_wan": Decimal(investment),
                "land_reused_mu": Decimal(reused), "land_awaiting_mu": Decimal(awaiting)}
    assert figures == expected
    assert city == expected  # the only town with anything


def test_an_area_s_own_row_is_not_land_awaiting():
    """丙区域 (an area, not vacated itself) and 丙二 (not vacated) never count; only leaf sites vacated do."""
    world = one_town_worked_on_paper()
    services.event_record(site=world["bing2"], stage=Stage.VACATED, on=date(2022, 6, 1), user=None)
    figures, _ = town_figures(world["town"], 2022, 6)
    assert figures["land_awaiting_mu"] == Decimal("20")


def test_moving_an_event_moves_the_figures_and_the_rollup_agrees():
    world = one_town_worked_on_paper()
    supplied = world["second"].events.get(stage=ProjectStage.LAND_SUPPLIED)
    services.project_event_correct(event=supplied, expected_version=supplied.version, on=date(2022, 6, 1), user=None)
    figures, _ = town_figures(world["town"], 2022, 5)
    assert figures["land_reused_mu"] == Decimal("30")
    assert figures["land_awaiting_mu"] == Decimal("30")
    call_command("verify_rollups")  # raises when the rollup and the events disagree


def test_deleting_a_stage_and_changing_the_investment_keep_the_rollup_exact():
    world = one_town_worked_on_paper()
    accepted = world["farmland"].events.get(stage=ProjectStage.ACCEPTED)
    services.project_event_delete(event=accepted, expected_version=accepted.version, user=None)
    second = world["second"]
    second.refresh_from_db()
    services.project_update(project=second, expected_version=second.version, user=None,
                            committed_investment_wan=Decimal("9000.50"))
    figures, _ = town_figures(world["town"], 2022, 12)
    assert figures["land_reused_mu"] == Decimal("35")
    assert figures["investment_signed_wan"] == Decimal("9000.50")
    assert ReuseMonthlyFigure.objects.filter(town=world["town"], year=2022, month=5).exists() is False
    call_command("verify_rollups")


def test_the_land_of_a_project_changes_its_reused_land():
    world = one_town_worked_on_paper()
    second = world["second"]
    second.refresh_from_db()
    services.project_land_set(project=second, site=world["yi"], area_mu=Decimal("12.5"),
                              expected_version=second.version, user=None)
    second.refresh_from_db()
    assert second.land_mu == Decimal("22.50")
    figures, _ = town_figures(world["town"], 2022, 12)
    assert figures["land_reused_mu"] == Decimal("52.50")
    assert figures["land_awaiting_mu"] == Decimal("7.50")
    call_command("verify_rollups")


def test_the_summary_runs_the_same_queries_with_more_projects(django_assert_num_queries):
    world = one_town_worked_on_paper()
    with django_assert_num_queries(5):
        reuse_summary(year=2022, month=8)
    for number in range(5):
        extra = vacated_site(world["town"], f"新地块{number}", "8", date(2022, 1, 5))
        more = project(world["town"], f"新项目{number}", investment="100", land=[(extra, "8")])
        reach(more, ProjectStage.SIGNED, date(2022, 2, 1))
        reach(more, ProjectStage.LAND_SUPPLIED, date(2022, 3, 1))
    with django_assert_num_queries(5):
        summary = reuse_summary(year=2022, month=8)
    assert summary.city.figures["projects_signed"] == 6


def test_verify_rollups_finds_and_repairs_a_wrong_yearly_row():
    """The land awaiting reuse reads the earlier years from ReuseYearlyFigure: a wrong row there moves it, and
    verify_rollups reports it and repairs it."""
    world = one_town_worked_on_paper()
    ReuseYearlyFigure.objects.filter(town=world["town"], year=2022).update(land_reused_mu=Decimal("40"))  # as a bug would
    figures, _ = town_figures(world["town"], 2023, 1)
    assert figures["land_awaiting_mu"] == Decimal("20")  # 60 vacated less 40, where 45 were reused

    out = io.StringIO()
    with pytest.raises(Exception, match="in the reuse figures"):
        call_command("verify_rollups", stdout=out)
    assert f"{world['town'].name} 2022 land_reused_mu: reuse rollup 40.00, project events 45.00" in out.getvalue()
    call_command("verify_rollups", "--repair", stdout=io.StringIO())
    figures, _ = town_figures(world["town"], 2023, 1)
    assert figures["land_awaiting_mu"] == Decimal("15")
