"""/api/summary/: the JSON shape of DOMAIN.md, rankings with ties, lights, counties, and bad input."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from clearance import services
from clearance.choices import Metric, Stage

from tests.factories import EnterpriseFactory, SiteFactory, TownFactory, close_out

pytestmark = pytest.mark.django_db

ENTERPRISES, LAND, ENERGY = Metric.ENTERPRISES_RECTIFIED, Metric.LAND_VACATED_MU, Metric.ENERGY_FREED_TCE


def close_out_many(town, count, *, energy="10", on=date(2022, 3, 15)):
    for _ in range(count):
        enterprise = EnterpriseFactory(site=SiteFactory(town=town), energy_freed_tce=Decimal(energy))
        close_out(enterprise, signed=on, vacated=on, closed=on)


def vacate_site(town, area, on=date(2022, 3, 20)):
    site = SiteFactory(town=town, area_mu=Decimal(area))
    services.event_record(site=site, stage=Stage.VACATED, on=on, user=None)


@pytest.fixture
def campaign():
    """Three towns: two tied on enterprises, one without any target; the city's targets; two counties."""
    a, b, c = TownFactory(name="甲镇", display_order=1), TownFactory(name="乙镇", display_order=2), TownFactory(name="丙镇", display_order=3)
    close_out_many(a, 4)            # 4 of 8 → 50 %
    close_out_many(b, 2)            # 2 of 4 → 50 % (tie with 甲镇)
    close_out_many(c, 1)            # no target
    vacate_site(a, "30.00")         # 30 of 40 → 75 %
    vacate_site(b, "12.50")         # 12.5 of 10 → 125 %
    for metric, value in ((ENTERPRISES, 20), (LAND, 50), (ENERGY, 100)):
        services.target_set(year=2022, metric=metric, value=Decimal(value))
    services.target_set(year=2022, metric=ENTERPRISES, town=a, value=Decimal(8))
    services.target_set(year=2022, metric=ENTERPRISES, town=b, value=Decimal(4))
    services.target_set(year=2022, metric=LAND, town=a, value=Decimal(40))
    services.target_set(year=2022, metric=LAND, town=b, value=Decimal(10))
    home = services.county_upsert(name="平湖市", is_home=True, display_order=1).obj
    other = services.county_upsert(name="海盐县", display_order=2).obj
    services.bulletin_figure_set(county=other, year=2022, month=2, metric=ENTERPRISES, actual=Decimal(5), target=Decimal(10))
    services.bulletin_figure_set(county=other, year=2022, month=3, metric=ENTERPRISES, actual=Decimal(9), target=Decimal(10))
    services.bulletin_figure_set(county=other, year=2022, month=4, metric=ENTERPRISES, actual=Decimal(10), target=Decimal(10))
    return a, b, c, home, other


def get_summary(client, **params):
    return client.get(reverse("api_summary"), params)


def test_summary_json_has_exactly_the_shape_and_values_worked_out_by_hand(campaign, admin_client):
    response = get_summary(admin_client, year=2022, month=3)
    data = response.json()

    assert response["Content-Type"] == "application/json"
    assert (data["year"], data["month"], data["time_progress_pct"]) == (2022, 3, 25.0)
    assert data["metrics"] == {
        "enterprises_rectified": {"actual": 7, "target": 20, "completion_pct": 35.0, "light": "green"},
        "land_vacated_mu": {"actual": 42.5, "target": 50.0, "completion_pct": 85.0, "light": "green"},
        "energy_freed_tce": {"actual": 70.0, "target": 100.0, "completion_pct": 70.0, "light": "green"},
    }
    assert (data["signed"], data["vacated"]) == (7, 7)
    towns = {town["name"]: town for town in data["towns"]}
    assert [town["name"] for town in data["towns"]] == ["乙镇", "甲镇", "丙镇"]
    assert towns["乙镇"]["rank"] == 1 and towns["乙镇"]["score"] == 87.5      # mean of 50 and 125
    assert towns["甲镇"]["rank"] == 2 and towns["甲镇"]["score"] == 62.5      # mean of 50 and 75
    assert towns["甲镇"]["metrics"]["enterprises_rectified"]["rank"] == 1
    assert towns["乙镇"]["metrics"]["enterprises_rectified"]["rank"] == 1     # tie shares the rank
    assert towns["乙镇"]["metrics"]["land_vacated_mu"] == {
        "actual": 12.5, "target": 10.0, "completion_pct": 125.0, "light": "green", "rank": 1,
    }
    assert towns["丙镇"] == {
        "name": "丙镇",
        "rank": None,
        "score": None,
        "metrics": {
            key: {"actual": actual, "target": None, "completion_pct": None, "light": None, "rank": None}
            for key, actual in (("enterprises_rectified", 1), ("land_vacated_mu", 0.0), ("energy_freed_tce", 10.0))
        },
        "signed": 1,
        "vacated": 1,
    }
    assert towns["甲镇"]["metrics"]["energy_freed_tce"]["rank"] is None


def test_counties_take_the_latest_bulletin_at_or_before_the_month_and_rank_per_metric(campaign, admin_client):
    march = get_summary(admin_client, year=2022, month=3).json()
    january = get_summary(admin_client, year=2022, month=1).json()

    home, other = march["counties"]
    assert home["name"] == "平湖市" and other["name"] == "海盐县"
    assert other["metrics"]["enterprises_rectified"] == {
        "actual": 9, "target": 10, "completion_pct": 90.0, "light": "green", "rank": 1,
    }
    assert home["metrics"]["enterprises_rectified"]["rank"] == 2
    assert home["metrics"]["land_vacated_mu"]["rank"] == 1
    assert other["metrics"]["land_vacated_mu"]["rank"] is None
    assert january["counties"][1]["metrics"]["enterprises_rectified"]["target"] is None


def test_a_year_without_targets_answers_with_null_targets(campaign, admin_client):
    data = get_summary(admin_client, year=2031, month=5).json()
    assert data["metrics"]["enterprises_rectified"] == {"actual": 0, "target": None, "completion_pct": None, "light": None}
    assert [town["rank"] for town in data["towns"]] == [None, None, None]


@pytest.mark.parametrize(
    "params",
    [
        {"year": "abc", "month": "3"},
        {"year": "1999", "month": "3"},
        {"year": "2101", "month": "3"},
        {"year": "2022", "month": "0"},
        {"year": "2022", "month": "13"},
        {"year": "2022", "month": "1.5"},
        {"year": "2022", "month": ""},
        {"year": "２０２２", "month": "3"},
        {"year": "2022", "month": "-1"},
        {"year": "99999999999999999999", "month": "3"},
        {"year": "2022'; DROP TABLE clearance_event; --", "month": "3"},
    ],
)
def test_bad_year_or_month_is_a_400_with_a_chinese_message(admin_client, params):
    response = get_summary(admin_client, **params)
    assert response.status_code == 400
    assert response.json()["error"] in {"年份必须是整数。", "月份必须是整数。", "年份须在 2000 至 2100 之间。", "月份须在 1 至 12 之间。"}


def test_summary_needs_a_login(client):
    response = get_summary(client, year=2022, month=8)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("towns", [2, 20])
def test_summary_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries, towns):
    for index in range(towns):
        town = TownFactory()
        close_out_many(town, 2)
        vacate_site(town, "5")
        services.target_set(year=2022, metric=ENTERPRISES, town=town, value=Decimal(4))
    services.county_upsert(name="平湖市", is_home=True)
    admin_client.get(reverse("api_summary"), {"year": 2022, "month": 3})  # warm the session

    # (whether the month is closed is the ninth)
    with django_assert_num_queries(9):
        data = get_summary(admin_client, year=2022, month=3).json()

    assert len(data["towns"]) == towns
    assert data["metrics"]["enterprises_rectified"]["actual"] == 2 * towns
