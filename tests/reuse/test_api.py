"""/api/reuse/: the shape of DOMAIN.md, worked on paper across the year boundary and each commitment state."""

from datetime import date

import pytest
from django.urls import reverse

from clearance import selectors, services
from clearance.choices import ProjectStage
from tests.factories import TownFactory
from tests.reuse.builders import project, reach, vacated_site
from tests.reuse.worlds import EXPECTED, expected_city, reuse_world

pytestmark = pytest.mark.django_db


def get_reuse(client, **params):
    return client.get(reverse("api_reuse"), params)


@pytest.mark.parametrize(("year", "month"), list(EXPECTED))
def test_reuse_json_is_the_shape_and_the_figures_worked_on_paper(admin_client, year, month):
    reuse_world()
    response = get_reuse(admin_client, year=year, month=month)
    data = response.json()

    metrics, commitments = expected_city(year, month)
    assert response["Content-Type"] == "application/json"
    assert data == {
        "year": year,
        "month": month,
        "metrics": metrics,
        "commitments": commitments,
        # The towns' display order (by name here), not the ranking (换鸟镇 has a target and ranks first).
        "towns": [
            {"name": name, "metrics": EXPECTED[(year, month)][name][0], "commitments": EXPECTED[(year, month)][name][1]}
            for name in ("履约镇", "换鸟镇")
        ],
    }
    assert type(data["metrics"]["projects_signed"]) is int
    assert all(type(value) is float for key, value in data["metrics"].items() if key != "projects_signed")
    assert all(type(value) is int for value in data["commitments"].values())


def test_money_and_areas_have_two_decimals(admin_client):
    town = TownFactory(name="小数镇")
    site = vacated_site(town, "小数地块", "10.25", date(2022, 1, 3))
    taken = project(town, "小数项目", investment="1234.56", land=[(site, "3.33")])
    reach(taken, ProjectStage.SIGNED, date(2022, 1, 4))
    reach(taken, ProjectStage.LAND_SUPPLIED, date(2022, 1, 5))

    data = get_reuse(admin_client, year=2022, month=1).json()

    assert data["metrics"] == {"projects_signed": 1, "investment_signed_wan": 1234.56, "land_reused_mu": 3.33,
                               "land_awaiting_mu": 6.92}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year": "abc", "month": "3"}, "年份必须是整数。"),
        ({"year": "1999", "month": "3"}, "年份须在 2000 至 2100 之间。"),
        ({"year": "2101", "month": "3"}, "年份须在 2000 至 2100 之间。"),
        ({"year": "2022", "month": "0"}, "月份须在 1 至 12 之间。"),
        ({"year": "2022", "month": "13"}, "月份须在 1 至 12 之间。"),
        ({"year": "2022", "month": "1.5"}, "月份必须是整数。"),
        ({"year": "２０２２", "month": "3"}, "年份必须是整数。"),
    ],
)
def test_a_bad_year_or_month_is_a_400_with_the_message_of_api_summary(admin_client, params, message):
    response = get_reuse(admin_client, **params)
    summary = admin_client.get(reverse("api_summary"), params)

    assert (response.status_code, response.json()) == (400, {"error": message})
    assert summary.json() == response.json()


def test_years_2000_and_2100_are_accepted(admin_client):
    assert get_reuse(admin_client, year=2000, month=1).json()["year"] == 2000
    assert get_reuse(admin_client, year=2100, month=12).json()["month"] == 12


def test_reuse_needs_a_login(client):
    response = get_reuse(client, year=2022, month=8)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_without_a_period_the_default_one_as_for_api_summary(admin_client, admin_user):
    reuse_world()
    # No month closed: the last complete month before today.
    data = get_reuse(admin_client).json()
    assert (data["year"], data["month"]) == selectors.last_complete_month()
    services.period_close(year=2022, month=3, user=admin_user)

    data = get_reuse(admin_client).json()

    assert (data["year"], data["month"]) == (2022, 3)
    assert data["metrics"] == expected_city(2022, 3)[0]
    # A year alone: that year's December, as /api/summary/ reads it.
    assert get_reuse(admin_client, year=2021).json()["month"] == 12
    assert get_reuse(admin_client, month=8).json() == get_reuse(admin_client, year=2022, month=8).json()


@pytest.mark.parametrize("size", [2, 12])
def test_reuse_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries, size):
    for index in range(size):
        town = TownFactory()
        site = vacated_site(town, f"地块{index}", "10", date(2022, 1, 3))
        taken = project(town, f"项目{index}", investment="100", land=[(site, "5")])
        reach(taken, ProjectStage.SIGNED, date(2022, 1, 4))
        reach(taken, ProjectStage.LAND_SUPPLIED, date(2022, 1, 5))
    get_reuse(admin_client, year=2022, month=3)

    # session, user; the summary (5)
    with django_assert_num_queries(7):
        data = get_reuse(admin_client, year=2022, month=3).json()

    assert data["metrics"]["land_reused_mu"] == 5.0 * size
