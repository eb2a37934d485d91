"""/reuse/ and /reuse/commitments/: what a leader reads, worked on paper; the exports; constant queries."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from clearance import services
from clearance.choices import ProjectKind, ProjectStage
from tests.dashboard_helpers import body_rows, text
from tests.evaluation.builders import below
from tests.factories import TownFactory
from tests.reuse.builders import project, reach, vacated_site
from tests.reuse.worlds import reuse_world

pytestmark = pytest.mark.django_db
AUGUST = {"year": 2022, "month": 8}


@pytest.fixture
def leader_in(client, leader):
    client.force_login(leader)
    return client


def page(client, name, **params):
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    return response.content.decode()


def commitment_rows(client, **params):
    """Each row of the commitments table: project, town, investor, committed, 达产 date, year, evaluated, state."""
    return [cells for _attrs, cells in body_rows(page(client, "clearance:reuse_commitments", **params), "commitments")]


def test_reuse_page_shows_the_city_the_towns_ranked_and_the_commitments(leader_in):
    world = reuse_world()
    shown = page(leader_in, "clearance:reuse", **AUGUST)

    assert text(shown.split('data-reuse-value="land_reused_mu">')[1].split("<")[0]) == "45.00"
    assert text(shown.split('data-reuse-value="land_awaiting_mu">')[1].split("<")[0]) == "115.00"
    assert text(shown.split('data-reuse-value="investment_signed_wan">')[1].split("<")[0]) == "8,000.00"
    # Ranked: 换鸟镇 has 45 of 90 亩 (50.0%, red against 66.7); 履约镇 has no target and comes after.
    rows = body_rows(shown, "reuse-towns")
    assert [cells[:3] for _attrs, cells in rows] == [["1", "换鸟镇", "50.0%"], ["—", "履约镇", "—"]]
    assert 'data-light="red"' in rows[0][0] or "红灯" in " ".join(rows[0][1])
    assert rows[1][1][-4:] == ["4", "1", "1", "2"]
    commitments_url = reverse("clearance:reuse_commitments")
    assert f'href="{commitments_url}?year=2022&amp;month=8&amp;state=missed" data-reuse-commitment="missed">1<' in shown
    assert f'href="{reverse("clearance:town_detail", args=[world["town"].pk])}?year=2022&amp;month=8"' in shown


def test_reuse_towns_export_in_both_formats_has_the_numbers_and_the_city_last(leader_in):
    reuse_world()
    csv_rows = list(csv.reader(io.StringIO(
        leader_in.get(reverse("clearance:reuse"), {**AUGUST, "_export": "csv"}).content.decode("utf-8-sig"))))
    workbook = openpyxl.load_workbook(io.BytesIO(
        leader_in.get(reverse("clearance:reuse"), {**AUGUST, "_export": "xlsx"}).content))
    xlsx_rows = list(workbook.active.iter_rows(values_only=True))

    header = csv_rows[0]
    reused = header.index("再利用土地 完成（亩）")
    assert [row[1] for row in csv_rows[1:]] == ["换鸟镇", "履约镇", "全市"]
    assert [row[reused] for row in csv_rows[1:]] == ["45.00", "0.00", "45.00"]
    assert [row[reused] for row in xlsx_rows[1:]] == [45, 0, 45]
    assert xlsx_rows[-1][header.index("待利用土地 完成（亩）")] == 115


def test_commitments_are_listed_missed_first_then_unverified_then_met_with_the_evaluation_used(leader_in):
    reuse_world()
    rows = commitment_rows(leader_in, **AUGUST)

    assert rows == [
        ["未达标项目", "履约镇", "未达标项目投资方", "3.00", "2022-06-30", "2022", "3.00", "未达标"],
        ["无运营企业项目", "履约镇", "无运营企业项目投资方", "3.00", "2022-01-31", "—", "—", "待核验"],
        ["待核验项目", "履约镇", "待核验项目投资方", "3.00", "2022-06-30", "—", "—", "待核验"],
        ["达标项目", "履约镇", "达标项目投资方", "3.00", "2021-12-31", "2022", "3.00", "达标"],
    ]


def test_the_evaluation_shown_is_the_best_of_the_full_production_year_or_later(leader_in):
    world = reuse_world()
    town = world["committed_town"]
    operator = world["projects"]["missed"].operator
    below(town, operator.name, year=2023, land="8", tax="30", power="100")

    rows = commitment_rows(leader_in, year=2023, month=12, state="met", town=town.pk)

    # 2023: 30 万元 over 8 亩 = 3.75 reaches 3: met, judged by 2023's row (2022's 2.999 fell short).
    assert [row[0] for row in rows] == ["达标项目", "未达标项目"]
    assert rows[1][5:] == ["2023", "3.75", "达标"]


def test_the_state_and_town_filters(leader_in):
    world = reuse_world()

    assert [row[0] for row in commitment_rows(leader_in, **AUGUST, state="missed")] == ["未达标项目"]
    assert [row[0] for row in commitment_rows(leader_in, **AUGUST, state="unverified")] == ["无运营企业项目", "待核验项目"]
    assert [row[0] for row in commitment_rows(leader_in, year=2022, month=3, state="met")] == ["达标项目"]
    assert commitment_rows(leader_in, **AUGUST, town=world["town"].pk) == [["没有符合条件的承诺。"]]
    assert len(commitment_rows(leader_in, **AUGUST, town=world["committed_town"].pk)) == 4


def test_overdue_lists_projects_past_a_committed_date_without_the_stage_by_the_period_end(leader_in):
    world = reuse_world()
    first, farmland = world["first"], world["farmland"]
    # 一号 committed to start construction by 2022-03-31; 开工 recorded 2022-06-01, late.
    services.project_update(project=first, expected_version=first.version, user=None,
                            committed_start_on=date(2022, 3, 31))
    first.refresh_from_db()
    reach(first, ProjectStage.CONSTRUCTION_STARTED, date(2022, 6, 1))
    # 复垦 due for 验收 by 2022-04-30, accepted 2022-05-20.
    services.project_update(project=farmland, expected_version=farmland.version, user=None, deadline=date(2022, 4, 30))

    april = commitment_rows(leader_in, year=2022, month=4, state="overdue", town=world["town"].pk)
    june = commitment_rows(leader_in, year=2022, month=6, state="overdue", town=world["town"].pk)
    august = commitment_rows(leader_in, **AUGUST, state="overdue")

    # Each row ends with the state (not due: 未到期) and the stage overdue.
    assert sorted((row[0], row[-2], row[-1]) for row in april) == [("一号项目", "未到期", "开工"),
                                                                  ("复垦项目", "未到期", "验收")]
    # A 复垦 commits to no 达产 date: its cell shows the dash.
    assert [row[4] for row in april if row[0] == "复垦项目"] == ["—"]
    assert june == [["没有符合条件的承诺。"]]
    # 履约镇's four due projects have no 达产 recorded.
    assert sorted((row[0], row[-1]) for row in august) == [
        ("待核验项目", "达产"), ("无运营企业项目", "达产"), ("未达标项目", "达产"), ("达标项目", "达产")]


def test_commitments_export_has_the_rows_as_shown(leader_in):
    reuse_world()
    response = leader_in.get(reverse("clearance:reuse_commitments"), {**AUGUST, "state": "missed", "_export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))

    assert response["Content-Disposition"].endswith('commitments-2022-08.csv"')
    assert rows[1:] == [["未达标项目", "履约镇", "未达标项目投资方", "3.00", "2022-06-30", "2022", "3.00", "未达标"]]


@pytest.mark.parametrize("params", [{"state": "kept"}, {"town": "abc"}, {"town": "999999"}, {"month": "13"}])
def test_a_bad_filter_is_a_400_that_says_why(leader_in, params):
    response = leader_in.get(reverse("clearance:reuse_commitments"), {**AUGUST, **params})
    assert response.status_code == 400
    assert any(message in response.content.decode() for message in ("没有", "月份须在 1 至 12 之间。"))


def test_the_pages_need_a_login(client):
    for name in ("clearance:reuse", "clearance:reuse_commitments"):
        response = client.get(reverse(name), AUGUST)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _projects_of_size(size):
    for index in range(size):
        town = TownFactory()
        site = vacated_site(town, f"地块{index}", "20", date(2021, 3, 1))
        taken = project(town, f"项目{index}", investment="100", tax="2", full_production_on=date(2022, 2, 1),
                        land=[(site, "5")])
        reach(taken, ProjectStage.SIGNED, date(2022, 1, 4))
        reach(taken, ProjectStage.LAND_SUPPLIED, date(2022, 1, 5))
        farmland = project(town, f"复垦{index}", kind=ProjectKind.RECLAMATION, land=[(site, "5")])
        reach(farmland, ProjectStage.LAND_SUPPLIED, date(2022, 1, 5))
        services.target_set(year=2022, metric="land_reused_mu", town=town, value=10)


@pytest.mark.parametrize("size", [2, 20])
def test_reuse_page_runs_a_fixed_number_of_queries(leader_in, django_assert_num_queries, size):
    _projects_of_size(size)
    leader_in.get(reverse("clearance:reuse"), AUGUST)

    # session, user; the reuse summary (5); years; whether the month is closed
    with django_assert_num_queries(9):
        shown = page(leader_in, "clearance:reuse", **AUGUST)
    with django_assert_num_queries(9):
        exported = leader_in.get(reverse("clearance:reuse"), {**AUGUST, "_export": "csv"})

    assert len(body_rows(shown, "reuse-towns")) == size
    assert len(exported.content.decode("utf-8-sig").strip().splitlines()) == 1 + size + 1


@pytest.mark.parametrize("size", [2, 20])
def test_commitments_page_runs_a_fixed_number_of_queries(leader_in, django_assert_num_queries, size):
    _projects_of_size(size)
    leader_in.get(reverse("clearance:reuse_commitments"), AUGUST)

    # session, user; years; whether the month is closed; the rows' count and one page of them; the towns
    with django_assert_num_queries(7):
        shown = page(leader_in, "clearance:reuse_commitments", **AUGUST)
    with django_assert_num_queries(7):
        overdue = page(leader_in, "clearance:reuse_commitments", **AUGUST, state="overdue")

    assert len(body_rows(shown, "commitments")) == size
    assert len(body_rows(overdue, "commitments")) == size
