"""The Pinghu demo of DOMAIN.md: the article's towns, pairings, sites and published January–August 2022 figures."""

from .facts import COUNTIES, DEMO_PASSWORD, HOME_COUNTY, MONTH, PUBLISHED, YEAR
from .load import demo_load
from .plan import demo_plan

__all__ = ["COUNTIES", "DEMO_PASSWORD", "HOME_COUNTY", "MONTH", "PUBLISHED", "YEAR", "demo_load", "demo_plan"]
