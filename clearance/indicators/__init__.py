"""The evaluation's data in: the 亩均数据 sheet of DOMAIN.md, as .xlsx or CSV, with the ledger's guarantees."""

from .columns import COLUMNS, FIGURE_COLUMNS, REQUIRED, SHEET, SIZE_NAMES, SIZE_WORDS
from .write import IndicatorReport, indicators_import

__all__ = ["COLUMNS", "FIGURE_COLUMNS", "REQUIRED", "SHEET", "SIZE_NAMES", "SIZE_WORDS", "IndicatorReport",
           "indicators_import"]
