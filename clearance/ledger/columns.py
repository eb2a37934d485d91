"""The ledger template's sheets, columns and words, and how a refused ledger names each problem."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from ..choices import Category, Disposal, Stage

SITES_SHEET, ENTERPRISES_SHEET = "地块", "企业"

# Column headers exactly as DOMAIN.md fixes them; the ledger is Chinese whatever the UI language.
SITE_NAME, SITE_TOWN, SITE_AREA, SITE_PARENT, SITE_LAND_USE, SITE_VACATED = (
    "地块名称", "镇街道", "面积(亩)", "所属区域", "土地性质", "腾退日期",
)
SITE_COLUMNS = (SITE_NAME, SITE_TOWN, SITE_AREA, SITE_PARENT, SITE_LAND_USE, SITE_VACATED)
SITE_REQUIRED = (SITE_NAME, SITE_TOWN, SITE_AREA)

(ENT_NAME, ENT_CODE, ENT_TOWN, ENT_SITE, ENT_CATEGORIES, ENT_DISPOSAL, ENT_ENERGY_USE, ENT_ENERGY_FREED,
 ENT_SIGNED, ENT_VACATED, ENT_CLOSED) = (
    "企业名称", "统一社会信用代码", "镇街道", "所在地块", "企业类型", "处置方式", "年用能(吨标煤)",
    "腾出用能(吨标煤)", "签约日期", "腾退日期", "销号日期",
)
ENTERPRISE_COLUMNS = (ENT_NAME, ENT_CODE, ENT_TOWN, ENT_SITE, ENT_CATEGORIES, ENT_DISPOSAL, ENT_ENERGY_USE,
                      ENT_ENERGY_FREED, ENT_SIGNED, ENT_VACATED, ENT_CLOSED)
ENTERPRISE_REQUIRED = (ENT_NAME, ENT_TOWN, ENT_SITE)
STAGE_COLUMNS = ((Stage.SIGNED, ENT_SIGNED), (Stage.VACATED, ENT_VACATED), (Stage.CLOSED, ENT_CLOSED))

# The ledger's words are the campaign's Chinese names, not the UI language's labels.
CATEGORY_NAMES = {
    "两高一低": Category.TWO_HIGH_ONE_LOW,
    "高耗低效": Category.HIGH_CONSUMPTION,
    "低散乱污": Category.LOW_SCATTERED,
    "厂中厂": Category.FACTORY_IN_FACTORY,
    "租赁企业": Category.TENANT,
}
DISPOSAL_NAMES = {
    "改造提升": Disposal.UPGRADE,
    "关停淘汰": Disposal.SHUT_DOWN,
    "腾退收回": Disposal.VACATE,
    "兼并重组": Disposal.MERGE,
    "提升入园": Disposal.MOVE_TO_PARK,
}
CATEGORY_SEPARATOR = "、"

# The template's example rows, shown on its 说明 sheet. The template of before wrote them into the data sheets,
# where people left them when they filled it in: a row equal to one of these, cell for cell, is the example and
# is never imported. (A name alone would not do: the demo's enterprises are named 示例….)
TEMPLATE_EXAMPLES = {
    SITES_SHEET: {SITE_NAME: "示例地块", SITE_TOWN: "曹桥街道", SITE_AREA: Decimal("20.43"), SITE_PARENT: "六店区域",
                  SITE_LAND_USE: "工业用地", SITE_VACATED: None},
    ENTERPRISES_SHEET: {
        ENT_NAME: "示例企业", ENT_CODE: "", ENT_TOWN: "曹桥街道", ENT_SITE: "示例地块", ENT_CATEGORIES: "高耗低效、租赁企业",
        ENT_DISPOSAL: "腾退收回", ENT_ENERGY_USE: Decimal("120.5"), ENT_ENERGY_FREED: Decimal("80"),
        ENT_SIGNED: date(2022, 3, 1), ENT_VACATED: None, ENT_CLOSED: None,
    },
}

# Headers match whatever their spaces (full-width ones too) and their brackets: 面积（亩） is 面积(亩).
_HEADER_SPACES = re.compile(r"\s+")
_HEADER_BRACKETS = str.maketrans({"（": "(", "）": ")"})


def header_key(name: str) -> str:
    """Return a header as the ledger compares it: without whitespace, full-width brackets as half-width ones."""
    return _HEADER_SPACES.sub("", name).translate(_HEADER_BRACKETS)



class LedgerError(Exception):
    """The ledger cannot be read or imported; ``problems`` names each bad row."""

    def __init__(self, problems: list["Problem"]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class Problem:
    """One reason a ledger was refused: where it is (sheet, spreadsheet row, column) and why."""

    sheet: str
    row: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        where = _("row %(row)s") % {"row": self.row} if self.row else _("header")
        column = f" {self.column}" if self.column else ""
        return f"{self.sheet} {where}{column}：{self.reason}"

