"""The dashboard's evaluation panel: the latest evaluated year against the year before, worked on paper."""

import re

import pytest
from django.urls import NoReverseMatch, reverse

from clearance.services.evaluation import scores_recompute
from tests.dashboard_helpers import body_rows, embedded_json, text
from tests.evaluation.builders import CODE_DING, below, two_towns_worked_on_paper
from tests.factories import EnterpriseFactory, SiteFactory, TownFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated(django_user_model):
    return two_towns_worked_on_paper(django_user_model.objects.create_superuser("boss", password="x"))


def dashboard(client) -> str:
    response = client.get(reverse("clearance:home"))
    assert response.status_code == 200
    return response.content.decode()


def city_figure(page: str, key: str) -> str:
    match = re.search(rf'data-evaluation-figure="{key}">(.*?)</div>\s*</div>', page, re.DOTALL)
    assert match, f"no figure {key}"
    return text(match.group(1))


def test_panel_shows_each_town_in_both_years_worked_on_paper(evaluated, leader, client):
    client.force_login(leader)
    page = dashboard(client)
    assert 'data-year="2022"' in page and 'data-year-before="2021"' in page
    # 亩均税收: 曹桥 (100 + 100) ÷ (10 + 20) = 6.67 (戊 has no land); 新埭 (−10 + 1) ÷ (5 + 8) = −0.69 (丁 gives no
    # tax); the same figures in 2021. Nobody reports value added.
    assert [cells for _attrs, cells in body_rows(page, "evaluation-per-mu")] == [
        ["曹桥街道", "6.67 6.67", "— —"],
        ["新埭镇", "-0.69 -0.69", "— —"],
    ]
    # Classes A B C D of 2022 over 2021's; class D land and energy (丁: 10 亩, 12.5 tce), none yet in clearance.
    assert [cells for _attrs, cells in body_rows(page, "evaluation-classes")] == [
        ["曹桥街道", "0 0", "2 2", "0 0", "0 0", "0.00 已纳入腾退 0.00", "0.00 已纳入腾退 0.00"],
        ["新埭镇", "0 0", "0 0", "1 2", "1 0", "10.00 已纳入腾退 0.00", "12.50 已纳入腾退 0.00"],
    ]
    # The city: 191 ÷ 43 = 4.44.
    assert city_figure(page, "tax_per_mu") == "亩均税收 4.44 万元/亩 2021: 4.44"
    assert city_figure(page, "d_land_mu") == "D 类企业用地 10.00 亩 其中已纳入腾退 0.00 (0.0%) 2021: 0.00"
    chart = embedded_json(page, "evaluation-chart-data")
    assert chart["towns"] == ["曹桥街道", "新埭镇"]
    assert [(series["label"], series["values"]) for series in chart["series"]] == [
        ("A 类", [0, 0]), ("B 类", [2, 0]), ("C 类", [0, 1]), ("D 类", [0, 1]),
    ]


def test_panel_counts_class_d_land_and_energy_already_in_clearance(evaluated, leader, client):
    caoqiao, _xindai = evaluated
    # 丁 (class D) is on a clearance site, found by its credit code although named and placed otherwise.
    EnterpriseFactory(site=SiteFactory(town=caoqiao), name="平湖丁厂有限公司", credit_code=CODE_DING)
    client.force_login(leader)
    page = dashboard(client)
    assert body_rows(page, "evaluation-classes")[1][1][5:] == ["10.00 已纳入腾退 10.00", "12.50 已纳入腾退 12.50"]
    assert city_figure(page, "d_energy_tce") == "D 类企业用能 12.50 吨标准煤 其中已纳入腾退 12.50 (100.0%) 2021: 0.00"


def test_panel_without_the_year_before_says_so(leader, client):
    town = TownFactory(name="林埭镇")
    below(town, "示例甲", year=2022, land="10", tax="30", power="5")
    scores_recompute(year=2022)
    client.force_login(leader)
    page = dashboard(client)
    assert "data-year-before" not in page
    assert "2021 年度无评价数据可供对比。" in page
    assert body_rows(page, "evaluation-per-mu") == [(' data-town="林埭镇"', ["林埭镇", "3.00", "—"])]


def test_panel_is_hidden_when_no_year_is_evaluated(leader, client):
    client.force_login(leader)
    page = dashboard(client)
    assert "data-evaluation-panel" not in page and "evaluation-chart-data" not in page


def test_panel_links_to_the_candidates_and_each_towns_evaluation_where_those_pages_exist(evaluated, leader, client):
    client.force_login(leader)
    page = dashboard(client)
    try:
        candidates = reverse("clearance:evaluation_candidates")
    except NoReverseMatch:  # the candidates page is built beside this panel; without it there is no link
        assert "data-candidates-link" not in page
        return
    assert f'href="{candidates}?year=2022" data-candidates-link' in page
    assert "腾笼换鸟候选企业（2 家）" in page
    assert f'href="{reverse("clearance:evaluation_town", args=[evaluated[0].pk])}?year=2022"' in page


@pytest.mark.parametrize("towns", [2, 12])
def test_dashboard_with_the_panel_runs_a_fixed_number_of_queries(leader, client, django_assert_num_queries, towns):
    for index in range(towns):
        town = TownFactory(name=f"示例镇{index:02d}")
        for year in (2021, 2022):
            for number in range(3):
                below(town, f"示例企业{number}", year=year, land="10", tax=str(10 * number + index), power="5")
    for year in (2021, 2022):
        scores_recompute(year=year)
    client.force_login(leader)
    dashboard(client)
    # The dashboard's own queries for its default period (the economy's, the register's and the reuse section's 5
    # among them), and the panel's: the latest evaluated year, the towns' figures of it and the year before
    # (EvaluationTownFigure, one query), the towns and whether either year's scoring waits for the task worker.
    with django_assert_num_queries(27):
        page = dashboard(client)
    assert len(body_rows(page, "evaluation-per-mu")) == towns
