"""Helpers for the economy's tests: a few months entered through the services, and what the dashboard shows."""

import re
from decimal import Decimal

from clearance.choices import Region
from clearance.services.economy import economy_figure_upsert, economy_year_set

from tests.dashboard_helpers import text


def month(region: str, year: int, number: int, growth=None, investment=None, investment_growth=None, employment=None,
          user=None):
    """Record REGION's figures of YEAR-NUMBER through the service; numbers given as text or int."""
    figures = {
        "value_added_growth_pct": None if growth is None else Decimal(growth),
        "manufacturing_investment_yi": None if investment is None else Decimal(investment),
        "manufacturing_investment_growth_pct": None if investment_growth is None else Decimal(investment_growth),
        "employment": employment,
    }
    return economy_figure_upsert(region=region, year=year, month=number, user=user, **figures).obj


def small_year(*, year: int = 2022, months: int = 3, base: int | None = 1) -> None:
    """Pinghu and Jiaxing for January to MONTHS of YEAR: growth 5 + month (Pinghu) and 2 + month / 2 (Jiaxing)."""
    for number in range(1, months + 1):
        month(Region.PINGHU, year, number, growth=str(5 + number), investment=str(10 * number),
              investment_growth="20", employment=1000 + 100 * number)
        month(Region.JIAXING, year, number, growth=str(2 + number / 2), investment=str(80 * number),
              investment_growth="10", employment=9000 + 50 * number)
    if base is not None:
        economy_year_set(year=year, employment_base_month=base)


def economy_card(page: str, key: str) -> str:
    """Return the text of the dashboard's economy card KEY."""
    match = re.search(rf'data-economy-card="{key}">(.*?)</div>\s*</div>\s*</div>', page, re.DOTALL)
    assert match, f"no economy card {key}"
    return text(match.group(1))
