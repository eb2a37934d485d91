"""/api/evaluation/: the JSON shape of DOMAIN.md, its order and paging, rounding, nulls, status, and bad input."""

import pytest
from django.urls import reverse
from django.utils import timezone

from clearance.api import EVALUATION_PAGE_SIZE
from clearance.services.evaluation import scores_recompute
from tests.evaluation.builders import CODE_DING, CODE_JIA, below, two_towns_worked_on_paper
from tests.factories import EnterpriseFactory, SiteFactory, TownFactory

pytestmark = pytest.mark.django_db

NO_FIGURES = {"value_added_per_mu": None, "value_added_per_energy": None, "value_added_per_emission": None,
              "rd_intensity_pct": None, "labour_productivity": None}


@pytest.fixture
def evaluated(django_user_model):
    """The two towns of builders.two_towns_worked_on_paper."""
    return two_towns_worked_on_paper(django_user_model.objects.create_superuser("boss", password="x"))


def get_evaluation(client, **params):
    return client.get(reverse("api_evaluation"), params)


def by_name(data) -> dict:
    return {enterprise["name"]: enterprise for enterprise in data["enterprises"]}


def test_evaluation_json_has_exactly_the_shape_and_values_worked_out_by_hand(evaluated, admin_client):
    data = get_evaluation(admin_client, year=2022).json()
    assert (data["year"], data["count"], data["next"]) == (2022, 6, None)
    enterprises = by_name(data)
    assert enterprises["甲厂"] == {
        "name": "甲厂", "credit_code": CODE_JIA, "town": "曹桥街道", "size": "below",
        "indicators": {"tax_per_mu": 10.0, "tax_per_power": 2.0, **NO_FIGURES},
        "score": 150.0, "class": "B", "exempt": False, "in_clearance": False, "candidate": False,
    }
    assert [(name, enterprises[name]["score"], enterprises[name]["class"]) for name in ("乙厂", "丙厂", "丁厂")] == [
        ("乙厂", 132.69, "B"), ("丙厂", 0.0, "C"), ("丁厂", -10.0, "D"),
    ]


def test_evaluation_lists_by_town_then_name_in_code_point_order_not_display_order(evaluated, admin_client):
    data = get_evaluation(admin_client, year=2022).json()
    # 新 (U+65B0) before 曹 (U+66F9), though 曹桥街道 is first in display order; names likewise by code point.
    assert [(enterprise["town"], enterprise["name"]) for enterprise in data["enterprises"]] == [
        ("新埭镇", "丁厂"), ("新埭镇", "丙厂"), ("新埭镇", "己厂"),
        ("曹桥街道", "乙厂"), ("曹桥街道", "戊厂"), ("曹桥街道", "甲厂"),
    ]


def test_evaluation_of_one_town(evaluated, admin_client):
    data = get_evaluation(admin_client, year=2022, town="曹桥街道").json()
    assert (data["count"], [enterprise["name"] for enterprise in data["enterprises"]]) == (3, ["乙厂", "戊厂", "甲厂"])


def test_numbers_are_rounded_half_up_to_two_decimals(evaluated, admin_client):
    enterprises = by_name(get_evaluation(admin_client, year=2022).json())
    # 1 ÷ 8 = 0.125 → 0.13 (half up); 1 ÷ 3 → 0.33; 乙's 132.6923… → 132.69.
    assert enterprises["己厂"]["indicators"]["tax_per_mu"] == 0.13
    assert enterprises["己厂"]["indicators"]["tax_per_power"] == 0.33
    assert enterprises["乙厂"]["score"] == 132.69


def test_no_land_and_exempt_enterprises_are_listed_without_score_or_class(evaluated, admin_client):
    enterprises = by_name(get_evaluation(admin_client, year=2022).json())
    wu, ji = enterprises["戊厂"], enterprises["己厂"]
    # No land: no 亩均 indicator (a denominator of 0), the others computed; neither scored nor classed.
    assert (wu["indicators"]["tax_per_mu"], wu["indicators"]["tax_per_power"]) == (None, 5.0)
    assert (wu["score"], wu["class"], wu["exempt"], wu["candidate"]) == (None, None, False, False)
    assert (ji["score"], ji["class"], ji["exempt"], ji["candidate"]) == (None, None, True, False)
    # A missing figure gives null indicators, and no credit code is null.
    assert enterprises["丁厂"]["indicators"]["tax_per_mu"] is None
    assert enterprises["乙厂"]["credit_code"] is None


def test_candidates_are_class_d_or_class_c_two_years_running(evaluated, admin_client):
    status = {name: (row["class"], row["candidate"]) for name, row in by_name(get_evaluation(admin_client, year=2022).json()).items()}
    assert status == {"甲厂": ("B", False), "乙厂": ("B", False), "丙厂": ("C", True), "丁厂": ("D", True),
                      "戊厂": (None, False), "己厂": (None, False)}
    # In 2021 丙 and 丁 are C for the first time (no 2020): not yet candidates.
    status_2021 = {name: (row["class"], row["candidate"]) for name, row in by_name(get_evaluation(admin_client, year=2021).json()).items()}
    assert status_2021["丙厂"] == ("C", False) and status_2021["丁厂"] == ("C", False)


def test_in_clearance_by_credit_code_and_by_town_and_name(evaluated, admin_client):
    caoqiao, xindai = evaluated
    # 丁 by its code, under another name on a site of another town; 丙 by its town and name, without a code.
    EnterpriseFactory(site=SiteFactory(town=caoqiao), name="平湖丁厂有限公司", credit_code=CODE_DING)
    EnterpriseFactory(site=SiteFactory(town=xindai), name="丙厂")
    # Same name in another town is another enterprise.
    EnterpriseFactory(site=SiteFactory(town=caoqiao), name="己厂")
    status = {name: (row["in_clearance"], row["candidate"]) for name, row in by_name(get_evaluation(admin_client, year=2022).json()).items()}
    assert status == {"甲厂": (False, False), "乙厂": (False, False), "丙厂": (True, False), "丁厂": (True, False),
                      "戊厂": (False, False), "己厂": (False, False)}


def test_without_a_year_the_latest_evaluated_year(evaluated, admin_client):
    data = get_evaluation(admin_client).json()
    assert (data["year"], data["count"]) == (2022, 6)


def test_without_any_evaluation_the_current_year_with_nothing(admin_client):
    data = get_evaluation(admin_client).json()
    assert data == {"year": timezone.localdate().year, "count": 0, "next": None, "enterprises": []}


def test_a_year_without_data_answers_empty(evaluated, admin_client):
    assert get_evaluation(admin_client, year=2030).json() == {"year": 2030, "count": 0, "next": None, "enterprises": []}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year": "abc"}, "年份必须是整数。"),
        ({"year": "2022.0"}, "年份必须是整数。"),
        ({"year": ""}, "年份必须是整数。"),
        ({"year": "-2022"}, "年份必须是整数。"),
        ({"year": "1999"}, "年份须在 2000 至 2100 之间。"),
        ({"year": "2101"}, "年份须在 2000 至 2100 之间。"),
        ({"year": "2022", "town": "不存在镇"}, "没有名为“不存在镇”的镇街道。"),
        ({"year": "2022", "town": "曹桥\x00街道"}, "没有名为“曹桥\x00街道”的镇街道。"),  # PostgreSQL refuses a NUL
        ({"year": "2022", "page": "0"}, "页码须为从 1 起的整数。"),
        ({"year": "2022", "page": "-1"}, "页码须为从 1 起的整数。"),
        ({"year": "2022", "page": "2.5"}, "页码须为从 1 起的整数。"),
        ({"year": "2022", "page": "9" * 40}, "页码须为从 1 起的整数。"),
    ],
)
def test_bad_query_is_a_400_with_a_chinese_message(evaluated, admin_client, params, message):
    response = get_evaluation(admin_client, **params)
    assert (response.status_code, response.json()) == (400, {"error": message})


def test_a_page_past_the_last_is_a_404_with_a_message(evaluated, admin_client):
    response = get_evaluation(admin_client, year=2022, page=2)
    assert (response.status_code, response.json()) == (404, {"error": "没有第 2 页：2022 年的评价数据共 1 页。"})


def test_evaluation_needs_a_login(evaluated, client):
    response = get_evaluation(client, year=2022)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_leader_reads_it(evaluated, client, leader):
    client.force_login(leader)
    assert get_evaluation(client, year=2022).json()["count"] == 6


def many_enterprises(count: int, *, year: int = 2022) -> None:
    """COUNT enterprises of one town (规下), scored once at the end."""
    town = TownFactory(name="林埭镇")
    for index in range(count):
        below(town, f"示例企业{index:04d}", year=year, land="10", tax=str(index % 50), power="5")
    scores_recompute(year=year)


def test_paging_at_500_with_an_absolute_next_link(admin_client):
    many_enterprises(EVALUATION_PAGE_SIZE + 1)
    first = get_evaluation(admin_client, year=2022, town="林埭镇").json()
    assert (first["count"], len(first["enterprises"])) == (501, 500)
    assert first["next"] == "http://testserver/api/evaluation/?year=2022&town=%E6%9E%97%E5%9F%AD%E9%95%87&page=2"
    assert first["enterprises"][-1]["name"] == "示例企业0499"
    second = admin_client.get(first["next"]).json()
    assert (second["count"], second["next"], [row["name"] for row in second["enterprises"]]) == (501, None, ["示例企业0500"])
    response = get_evaluation(admin_client, year=2022, page=3)
    assert (response.status_code, response.json()["error"]) == (404, "没有第 3 页：2022 年的评价数据共 2 页。")


@pytest.mark.parametrize("count", [3, 40])
def test_evaluation_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries, count):
    many_enterprises(count)
    # The session and its user, the count, the page; and the town by name.
    with django_assert_num_queries(5):
        data = get_evaluation(admin_client, year=2022, town="林埭镇").json()
    assert data["count"] == count
