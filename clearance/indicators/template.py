"""The empty 亩均数据 template, with a sheet 说明 explaining its columns; imported unchanged, it creates nothing."""

from django.utils.translation import gettext as _

from ..spreadsheets import xlsx_bytes
from .columns import CODE, COLUMNS, EXEMPT, FIGURE_COLUMNS, NAME, SHEET, SIZE, TOWN, YEAR

GUIDE_SHEET = "说明"


def _guide_rows() -> list[list]:
    """Return the 说明 sheet: what each column of 亩均数据 holds."""
    meanings = {
        YEAR: _("The year the figures are for, 2000 to 2100."),
        NAME: _("Name of the enterprise."),
        CODE: _("Optional: the 18-character unified social credit code; when given, it is the key."),
        TOWN: _("The town (镇街道), named as in the ledger."),
        SIZE: _("规上 or 规下: each size class is scored against its own."),
        **{column: _("A number; leave it empty where it is not known (the indicators that need it stay empty).")
           for column in FIGURE_COLUMNS},
        EXEMPT: _("Optional: 是 for an enterprise listed with its indicators and no class (utilities, start-ups, "
                  "projects under construction)."),
    }
    rows = [
        [_("Column"), _("Meaning")],
        *([column, meanings[column]] for column in COLUMNS),
        [],
        [_("Fill in the sheet 亩均数据, one row per enterprise and year, below its header row; nothing on this sheet is "
           "imported. An enterprise is found by 统一社会信用代码 when given, else by 镇街道 and 企业名称. Importing the "
           "same file again changes nothing; a corrected value is updated in place and kept in the history.")],
    ]
    return rows


def indicators_template() -> bytes:
    """Return the empty evaluation data workbook: the sheet 亩均数据 holds only its header; 说明 explains the columns."""
    return xlsx_bytes({SHEET: [list(COLUMNS)], GUIDE_SHEET: _guide_rows()})
