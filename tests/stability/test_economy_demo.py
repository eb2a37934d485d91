"""The demo's economy: January–August 2022 as the article reports it, on the dashboard and in the bulletin."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clearance.selectors.economy import economy_panel

from tests.dashboard_helpers import body_rows, embedded_json
from tests.stability.economy_helpers import economy_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_db")]

AUGUST = {"year": 2022, "month": 8}


def test_the_demo_gives_the_articles_august():
    panel = economy_panel(**AUGUST)

    pinghu, jiaxing = panel.pinghu, panel.jiaxing
    assert (panel.month, panel.base_month) == (8, 3)
    assert (pinghu.value_added_growth_pct, jiaxing.value_added_growth_pct, panel.growth_gap_points) == (
        Decimal("6.5"), Decimal("3.1"), Decimal("3.4"))
    assert (pinghu.manufacturing_investment_yi, pinghu.manufacturing_investment_growth_pct) == (Decimal("71.7"), 30)
    assert (pinghu.employment, pinghu.employment_base, pinghu.employment_change) == (115_000, 111_800, 3_200)
    assert panel.growth_by_month["pinghu"] == [Decimal(each) for each in
                                               ("9.8", "8.9", "7.2", "5.1", "5.6", "6", "6.3", "6.5")]


def test_the_dashboard_shows_the_articles_figures(client, leader):
    client.force_login(leader)

    page = client.get(reverse("clearance:home"), AUGUST).content.decode()

    assert economy_card(page, "value_added_growth_pct") == "规上工业增加值增速 6.5 % 嘉兴 3.1 % 高于嘉兴 3.4 个百分点"
    assert economy_card(page, "manufacturing_investment_yi") == "制造业投资 71.7 亿元 增速 30 % 嘉兴 597.3 · 18.6 %"
    assert economy_card(page, "employment") == (
        "规上工业企业用工人数 115,000 人 较2022年3月末 +3,200 嘉兴 1,078,900 ( +17,400 )")
    chart = embedded_json(page, "economy-chart-data")
    assert [(series["label"], series["values"][-1]) for series in chart["series"]] == [("平湖", 6.5), ("嘉兴", 3.1)]
    assert len(chart["months"]) == 8


def test_the_bulletin_shows_the_same_figures(client, leader):
    client.force_login(leader)

    page = client.get(reverse("clearance:bulletin"), AUGUST).content.decode()

    assert [cells for _attrs, cells in body_rows(page, "bulletin-economy")] == [
        ["平湖", "6.5", "71.7", "30", "115,000", "+3,200"],
        ["嘉兴", "3.1", "597.3", "18.6", "1,078,900", "+17,400"],
    ]
    assert "较2022年3月末增减" in page
    assert "平湖规上工业增加值增速高于嘉兴 3.4 个百分点。" in page


def test_an_earlier_month_shows_that_months_figures(client, leader):
    client.force_login(leader)

    page = client.get(reverse("clearance:home"), {"year": 2022, "month": 5}).content.decode()

    # May: 5.6 against 2.3; 113,000 against March's 111,800.
    assert economy_card(page, "value_added_growth_pct") == "规上工业增加值增速 5.6 % 嘉兴 2.3 % 高于嘉兴 3.3 个百分点"
    assert "较2022年3月末 +1,200" in economy_card(page, "employment")


# Loading the demo again changes no economy figure and writes no history:
# tests/services/test_demo.py::test_demo_second_run_changes_nothing (one rerun for the suite, not one per part).
