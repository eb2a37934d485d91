"""Hand-built evaluation data for the tests: credit codes, 规下 rows, and the two towns worked on paper."""

from decimal import Decimal

from clearance.choices import SizeClass
from clearance.services.evaluation import (
    adjustment_add,
    evaluated_enterprise_upsert,
    indicator_row_upsert,
    scores_recompute,
)
from clearance.validators import credit_code_check_character
from tests.factories import TownFactory


def credit_code(number: int) -> str:
    """A valid unified social credit code, distinct for each NUMBER."""
    first17 = f"91330482MA{number:07d}"
    return first17 + credit_code_check_character(first17)


CODE_JIA, CODE_DING = credit_code(1), credit_code(2)


def below(town, name, *, year, land, tax, power, exempt=False, code=None, energy=None):
    """A 规下 enterprise's row of YEAR (scored on tax per mu 50 and tax per unit of power 50), not scored yet."""
    enterprise = evaluated_enterprise_upsert(town=town, name=name, credit_code=code)

    def figure(value):
        return None if value is None else Decimal(value)

    return indicator_row_upsert(enterprise=enterprise, year=year, size=SizeClass.BELOW, rescore=False, exempt=exempt,
                                land_mu=figure(land), tax_wan=figure(tax), power_10k_kwh=figure(power),
                                energy_tce=figure(energy))


def two_towns_worked_on_paper(admin):
    """Two towns, six 规下 enterprises, 2021 and 2022; return (曹桥街道, 新埭镇).

    Graded both years (land > 0, not exempt): 甲 乙 (曹桥街道) 丙 丁 (新埭镇); 戊 has no land, 己 is exempt.
    tax per mu:    甲 100/10 = 10   乙 100/20 = 5   丙 −10/5 = −2   丁 null;  己 1/8 = 0.125
    tax per power: 甲 100/50 = 2    乙 100/100 = 1  丙 −10/10 = −1  丁 null;  己 1/3;  戊 50/10 = 5
    Benchmarks (means of the graded): 13/3 and 2/3. Totals: 甲 75 + 75 = 150; 乙 50 × 15/13 + 75 = 132.69…;
    丙 0; 丁 0, and in 2022 −10 by an adjustment. Positions of four: 2021 1, 2, 3, 3 → B B C C;
    2022 1, 2, 3, 4 → B B C D. So in 2022 丙 is C twice and 丁 is D: both candidates unless in clearance.
    丁 uses 12.5 tce of energy each year; nobody else reports energy.
    """
    caoqiao = TownFactory(name="曹桥街道", display_order=1)
    xindai = TownFactory(name="新埭镇", display_order=2)
    for year in (2021, 2022):
        below(caoqiao, "甲厂", year=year, land="10", tax="100", power="50", code=CODE_JIA)
        below(caoqiao, "乙厂", year=year, land="20", tax="100", power="100")
        below(xindai, "丙厂", year=year, land="5", tax="-10", power="10")
        below(xindai, "丁厂", year=year, land="10", tax=None, power="20", code=CODE_DING, energy="12.5")
        below(caoqiao, "戊厂", year=year, land="0", tax="50", power="10")
        below(xindai, "己厂", year=year, land="8", tax="1", power="3", exempt=True)
        scores_recompute(year=year)
    ding = evaluated_enterprise_upsert(town=xindai, name="丁厂", credit_code=CODE_DING)
    adjustment_add(enterprise=ding, year=2022, points=Decimal("-10"), reason="安全生产事故", user=admin)
    return caoqiao, xindai
