"""Candidates for clearance and the join with the clearance ledger (DOMAIN.md "亩均效益评价")."""

from decimal import Decimal

import pytest

from clearance.choices import SizeClass
from clearance.derived.scores import previous_grades_refresh
from clearance.models import IndicatorRow
from clearance.derived import evaluation_rollup
from clearance.selectors.evaluation import (
    candidates, candidates_by_town, classes_by_town, clearance_enterprise_of, evaluated_of, evaluation_rows,
)
from clearance.services.evaluation import evaluated_enterprise_upsert, indicator_row_upsert
from clearance.validators import credit_code_check_character
from tests.factories import EnterpriseFactory, SiteFactory, TownFactory

pytestmark = pytest.mark.django_db

CODE = "91330482MA2B8XXXX" + credit_code_check_character("91330482MA2B8XXXX")


def evaluated(town, name, *, code=None, grades: dict[int, str], land="10", energy="100"):
    """An evaluated enterprise with a row per year of GRADES, its class set as the scoring would have left it.

    The candidate rule reads only the classes (and the class of the year before, which the scoring copies); how
    totals become classes is tested in test_scoring.py.
    """
    enterprise = evaluated_enterprise_upsert(town=town, name=name, credit_code=code)
    for year, grade in grades.items():
        row = indicator_row_upsert(enterprise=enterprise, year=year, size=SizeClass.BELOW, rescore=False,
                                   land_mu=Decimal(land), energy_tce=Decimal(energy), tax_wan=Decimal("1"))
        IndicatorRow.objects.filter(pk=row.pk).update(grade=grade, total=Decimal("1"))
        previous_grades_refresh(year=year)
        previous_grades_refresh(year=year + 1)
    return enterprise


def status(year, name):
    return evaluation_rows(year).get(enterprise__name=name)


def test_the_candidate_rule_over_two_years(db):
    town = TownFactory(name="新仓镇")
    evaluated(town, "两年C", grades={2021: "C", 2022: "C"})
    evaluated(town, "今年C去年B", grades={2021: "B", 2022: "C"})
    evaluated(town, "今年D", grades={2021: "A", 2022: "D"})
    evaluated(town, "去年D今年B", grades={2021: "D", 2022: "B"})
    evaluated(town, "今年C去年无数据", grades={2022: "C"})
    evaluated(town, "不定等级", grades={2022: ""})
    names = {row.enterprise.name for row in candidates(2022)}
    assert names == {"两年C", "今年D"}
    # In 2021 the candidates are that year's D; a C without a 2020 class is not one.
    assert {row.enterprise.name for row in candidates(2021)} == {"去年D今年B"}
    assert status(2022, "两年C").previous_grade == "C"


def test_the_join_with_the_clearance_ledger_by_code_and_by_name(db):
    town, other_town = TownFactory(name="广陈镇"), TownFactory(name="新埭镇")
    site = SiteFactory(town=town)
    by_code = evaluated(town, "评价名", code=CODE, grades={2022: "D"})
    by_name = evaluated(town, "同名企业", grades={2022: "D"})
    same_name_elsewhere = evaluated(other_town, "同名企业", grades={2022: "D"})
    untouched = evaluated(town, "未整治企业", grades={2022: "D"})
    # The clearance ledger knows the first under another name, with its code; the second by its town and name.
    in_code = EnterpriseFactory(site=site, town=town, name="台账里的名字", credit_code=CODE)
    in_name = EnterpriseFactory(site=site, town=town, name="同名企业")
    assert clearance_enterprise_of(by_code) == in_code and evaluated_of(in_code) == by_code
    assert clearance_enterprise_of(by_name) == in_name and evaluated_of(in_name) == by_name
    assert clearance_enterprise_of(same_name_elsewhere) is None and clearance_enterprise_of(untouched) is None
    flags = {(row.enterprise.town.name, row.enterprise.name): (row.in_clearance, row.candidate)
             for row in evaluation_rows(2022)}
    assert flags == {
        ("广陈镇", "评价名"): (True, False),
        ("广陈镇", "同名企业"): (True, False),
        ("新埭镇", "同名企业"): (False, True),
        ("广陈镇", "未整治企业"): (False, True),
    }
    assert {row.enterprise.name for row in candidates(2022, town=town)} == {"未整治企业"}


def test_a_town_s_land_and_energy_held_by_c_and_d_and_how_much_is_in_clearance(db):
    town = TownFactory(name="林埭镇")
    site = SiteFactory(town=town)
    evaluated(town, "甲", grades={2022: "D"}, land="10", energy="100")
    evaluated(town, "乙", grades={2022: "D"}, land="5.5", energy="40")
    evaluated(town, "丙", grades={2022: "C"}, land="3", energy="7")
    evaluated(town, "丁", grades={2022: "A"}, land="50", energy="1")
    EnterpriseFactory(site=site, town=town, name="乙")
    city, towns = classes_by_town(2022)[2022]
    (mine,) = towns
    assert mine.counts["D"] == 2 and mine.counts["C"] == 1 and mine.counts["A"] == 1
    assert mine.land_mu["D"] == Decimal("15.5") and mine.land_in_clearance_mu["D"] == Decimal("5.5")
    assert mine.energy_tce["D"] == Decimal("140") and mine.energy_in_clearance_tce["D"] == Decimal("40")
    assert mine.land_mu["C"] == Decimal("3") and mine.land_in_clearance_mu["C"] == 0
    assert mine.candidates == 1  # 甲; 乙 is in clearance, 丙 is C one year only
    assert city.counts == mine.counts
    # 亩均税收 of the town: its tax over its land, 4 ÷ 68.5.
    assert mine.tax_per_mu == pytest.approx(Decimal("4") / Decimal("68.5"))


def test_every_towns_candidates_read_a_page_at_a_time_are_those_of_the_whole_list(db):
    """CandidatesByTown reads each page from the towns it falls in; the pages must be the list's, in its order."""
    for number, (name, count) in enumerate((("甲镇", 3), ("乙镇", 0), ("丙镇", 5), ("丁镇", 2))):
        town = TownFactory(name=name, display_order=number)
        for index in range(count):
            evaluated(town, f"{name}企业{index}", grades={2022: "D"})
    evaluation_rollup.refresh(year=2022)  # the classes were set as the scoring would have left them
    rows = candidates(2022).order_by("town__display_order", "town__name", "total", "enterprise__name", "pk")
    paged = candidates_by_town(2022, rows)

    whole = list(rows.values_list("pk", flat=True))
    assert len(paged) == len(whole) == 10
    for size in (1, 3, 4, 10):
        pages = [[row.pk for row in paged[start:start + size]] for start in range(0, len(whole), size)]
        assert sum(pages, []) == whole
    assert paged[9].pk == whole[9] and paged[20:30] == []
