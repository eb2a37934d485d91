"""The 亩均数据 sheet of DOMAIN.md: its name, its columns and its words (Chinese whatever the UI language)."""

from ..choices import SizeClass

SHEET = "亩均数据"

YEAR, NAME, CODE, TOWN, SIZE, EXEMPT = "年度", "企业名称", "统一社会信用代码", "镇街道", "规模", "不定等级"

# The nine figures, headed exactly as DOMAIN.md writes them, and the IndicatorRow field each fills.
FIGURE_COLUMNS = {
    "用地面积(亩)": "land_mu",
    "税收(万元)": "tax_wan",
    "工业增加值(万元)": "value_added_wan",
    "营业收入(万元)": "revenue_wan",
    "综合能耗(吨标煤)": "energy_tce",
    "排放当量(吨)": "emission_t",
    "研发经费(万元)": "rd_wan",
    "年平均职工人数(人)": "employees",
    "用电量(万千瓦时)": "power_10k_kwh",
}
FIGURE_FIELDS = tuple(FIGURE_COLUMNS.values())
COLUMNS = (YEAR, NAME, CODE, TOWN, SIZE, *FIGURE_COLUMNS, EXEMPT)
REQUIRED = (YEAR, NAME, TOWN, SIZE, *FIGURE_COLUMNS)

SIZE_NAMES = {"规上": SizeClass.ABOVE, "规下": SizeClass.BELOW}
SIZE_WORDS = {size: word for word, size in SIZE_NAMES.items()}
# 不定等级: 是 marks the row exempt; empty or 否 does not.
EXEMPT_YES, EXEMPT_NO = "是", "否"
