"""The empty 经济数据 template, with a sheet 说明 explaining its columns; imported unchanged, it creates nothing."""

from django.utils.translation import gettext as _

from ..spreadsheets import xlsx_bytes
from .columns import COLUMNS, FIGURE_COLUMNS, MONTH, REGION, SHEET, YEAR

GUIDE_SHEET = "说明"


def _guide_rows() -> list[list]:
    """Return the 说明 sheet: what each column of 经济数据 holds."""
    meanings = {
        REGION: _("平湖 or 嘉兴: whose economy the row describes."),
        YEAR: _("The year, 2000 to 2100."),
        MONTH: _("The month, 1 to 12: the figures are from January to the end of that month."),
        **{column: _("A number of at most two decimals; a growth rate may be negative. Leave it empty where it is not "
                     "known: an empty cell leaves the stored figure as it is.") for column in FIGURE_COLUMNS},
    }
    meanings["规上工业企业用工人数(人)"] = _("A whole number of people. Leave it empty where it is not known.")
    return [
        [_("Column"), _("Meaning")],
        *([column, meanings[column]] for column in COLUMNS),
        [],
        [_("Fill in the sheet 经济数据, one row per region and month, below its header row; nothing on this sheet is "
           "imported. Importing the same file again changes nothing; a corrected figure is updated in place and kept "
           "in the history.")],
    ]


def economy_template() -> bytes:
    """Return the empty economy workbook: the sheet 经济数据 holds only its header; 说明 explains the columns."""
    return xlsx_bytes({SHEET: [list(COLUMNS)], GUIDE_SHEET: _guide_rows()})
