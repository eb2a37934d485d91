"""The ledger template's sheets, columns and words, and how a refused ledger names each problem."""

from dataclasses import dataclass

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

