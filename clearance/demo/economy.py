"""The demo's economy (快中求稳): Pinghu's and Jiaxing's January–August 2022, August as the article reports it."""

from decimal import Decimal

from ..choices import Region
from ..services.economy import economy_figure_upsert, economy_year_set
from .facts import YEAR

# The article: January–August 2022, 规上工业增加值 +6.5% (Jiaxing +3.1%, 3.4 points below), 制造业投资 71.7 亿元 +30%,
# 用工 115,000, 3,200 more than at the end of March. The months before are plausible, not published figures.
EMPLOYMENT_BASE_MONTH = 3
# Month → (growth of value added %, manufacturing investment 亿元, its growth %, employees), year to date.
FIGURES = {
    Region.PINGHU: {
        1: ("9.8", "7.6", "35.2", 110_600),
        2: ("8.9", "15.9", "33.8", 109_900),
        3: ("7.2", "25.8", "31.5", 111_800),
        4: ("5.1", "34.2", "28.6", 112_300),
        5: ("5.6", "43.5", "29.1", 113_000),
        6: ("6.0", "53.9", "29.6", 113_700),
        7: ("6.3", "62.4", "29.8", 114_400),
        8: ("6.5", "71.7", "30.0", 115_000),
    },
    Region.JIAXING: {
        1: ("8.1", "68.4", "24.6", 1_052_000),
        2: ("7.0", "139.7", "23.1", 1_047_300),
        3: ("5.2", "221.5", "21.4", 1_061_500),
        4: ("1.9", "290.8", "17.2", 1_063_200),
        5: ("2.3", "366.1", "17.9", 1_066_800),
        6: ("2.7", "451.6", "18.3", 1_070_400),
        7: ("2.9", "522.0", "18.4", 1_074_100),
        8: ("3.1", "597.3", "18.6", 1_078_900),
    },
}


def demo_economy(admin) -> int:
    """Write the demo's economy through the services (nothing when it is there already); return the months written."""
    economy_year_set(year=YEAR, employment_base_month=EMPLOYMENT_BASE_MONTH, user=admin)
    count = 0
    for region, months in FIGURES.items():
        for month, (growth, investment, investment_growth, employment) in months.items():
            economy_figure_upsert(
                region=region, year=YEAR, month=month, user=admin, value_added_growth_pct=Decimal(growth),
                manufacturing_investment_yi=Decimal(investment), manufacturing_investment_growth_pct=Decimal(investment_growth),
                employment=employment,
            )
            count += 1
    return count
