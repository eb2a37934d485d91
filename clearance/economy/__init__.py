"""The economy's figures in (快中求稳): the 经济数据 sheet as .xlsx or CSV, with the ledger's guarantees."""

from .columns import COLUMNS, FIGURE_COLUMNS, REGION_NAMES, SHEET
from .importing import EconomyReport, economy_import
from .template import economy_template

__all__ = ["COLUMNS", "FIGURE_COLUMNS", "REGION_NAMES", "SHEET", "EconomyReport", "economy_import", "economy_template"]
