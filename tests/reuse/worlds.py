"""The worked world of test_figures with a second town whose commitments are in every state, for the read side."""

from datetime import date
from decimal import Decimal

from clearance import services
from clearance.choices import ReuseMetric
from tests.evaluation.builders import below
from tests.factories import TownFactory
from tests.reuse.builders import one_town_worked_on_paper, project, vacated_site


def _operator(town, name, rows):
    row = None
    for year, land, tax in rows:
        row = below(town, name, year=year, land=land, tax=tax, power="100")
    return row.enterprise


def committed_town():
    """履约镇: 100 亩 vacated 2021-01-01, five projects of 10 亩 committed to 3 万元/亩, none with a stage.

    Due by: 达标 2021-12-31 (met on 2022), 无运营企业 2022-01-31 (unverified), 未达标 and 待核验 2022-06-30 (missed;
    unverified: only 2021 evaluated), 未到期 2023-01-31 (unverified when due).
    """
    town = TownFactory(name="履约镇")
    site = vacated_site(town, "履约地块", "100", date(2021, 1, 1))

    def committed(name, full_production_on, rows):
        runs = _operator(town, f"{name}公司", rows) if rows is not None else None
        return project(town, name, investment="1000", tax="3", full_production_on=full_production_on,
                       operator=runs, land=[(site, "10")])

    projects = {
        "met": committed("达标项目", date(2021, 12, 31), [(2020, "10", "1"), (2022, "10", "30")]),
        "missed": committed("未达标项目", date(2022, 6, 30), [(2020, "10", "50"), (2022, "10", "29.99")]),
        "unverified": committed("待核验项目", date(2022, 6, 30), [(2021, "10", "99")]),
        "no_operator": committed("无运营企业项目", date(2022, 1, 31), None),
        "later": committed("未到期项目", date(2023, 1, 31), [(2022, "10", "1")]),
    }
    return town, projects


def reuse_world():
    """换鸟镇 (the worked world, with a 2022 target of 90 亩 reused: ranked) and 履约镇 (no target: listed first in
    the towns' display order, by name, but ranked after 换鸟镇)."""
    world = one_town_worked_on_paper()
    world["committed_town"], world["projects"] = committed_town()
    services.target_set(year=2022, metric=ReuseMetric.LAND_REUSED_MU, town=world["town"], value=Decimal("90"))
    return world


# What /api/reuse/ gives for the world, worked on paper (test_figures for 换鸟镇; 履约镇 has 100 亩 awaiting).
ZERO_COMMITMENTS = {"due": 0, "met": 0, "missed": 0, "unverified": 0}
EXPECTED = {
    (2021, 12): {
        "换鸟镇": ({"projects_signed": 1, "investment_signed_wan": 5000.0, "land_reused_mu": 0.0,
                  "land_awaiting_mu": 30.0}, ZERO_COMMITMENTS),
        "履约镇": ({"projects_signed": 0, "investment_signed_wan": 0.0, "land_reused_mu": 0.0,
                  "land_awaiting_mu": 100.0}, {"due": 1, "met": 1, "missed": 0, "unverified": 0}),
    },
    (2022, 3): {
        "换鸟镇": ({"projects_signed": 1, "investment_signed_wan": 8000.0, "land_reused_mu": 20.0,
                  "land_awaiting_mu": 40.0}, ZERO_COMMITMENTS),
        "履约镇": ({"projects_signed": 0, "investment_signed_wan": 0.0, "land_reused_mu": 0.0,
                  "land_awaiting_mu": 100.0}, {"due": 2, "met": 1, "missed": 0, "unverified": 1}),
    },
    (2022, 8): {
        "换鸟镇": ({"projects_signed": 1, "investment_signed_wan": 8000.0, "land_reused_mu": 45.0,
                  "land_awaiting_mu": 15.0}, ZERO_COMMITMENTS),
        "履约镇": ({"projects_signed": 0, "investment_signed_wan": 0.0, "land_reused_mu": 0.0,
                  "land_awaiting_mu": 100.0}, {"due": 4, "met": 1, "missed": 1, "unverified": 2}),
    },
    (2023, 1): {
        "换鸟镇": ({"projects_signed": 0, "investment_signed_wan": 0.0, "land_reused_mu": 0.0,
                  "land_awaiting_mu": 15.0}, ZERO_COMMITMENTS),
        "履约镇": ({"projects_signed": 0, "investment_signed_wan": 0.0, "land_reused_mu": 0.0,
                  "land_awaiting_mu": 100.0}, {"due": 5, "met": 1, "missed": 1, "unverified": 3}),
    },
}


def expected_city(year, month):
    """The city's figures: the two towns' added up."""
    towns = EXPECTED[(year, month)].values()
    metrics = {key: sum(figures[key] for figures, _c in towns) for key in ReuseMetric.values}
    commitments = {key: sum(counts[key] for _f, counts in towns) for key in ZERO_COMMITMENTS}
    return metrics, commitments
