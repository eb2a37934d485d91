"""The 经济数据 sheet: its name, its columns and its words (Chinese whatever the UI language)."""

from ..choices import Region

SHEET = "经济数据"

REGION, YEAR, MONTH = "地区", "年", "月"
# The four figures, headed as the statistics bureau writes them, and the EconomyFigure field each fills.
FIGURE_COLUMNS = {
    "规上工业增加值增速(%)": "value_added_growth_pct",
    "制造业投资(亿元)": "manufacturing_investment_yi",
    "制造业投资增速(%)": "manufacturing_investment_growth_pct",
    "规上工业企业用工人数(人)": "employment",
}
COLUMNS = (REGION, YEAR, MONTH, *FIGURE_COLUMNS)
REQUIRED = (REGION, YEAR, MONTH)
COLUMN_OF_FIELD = {"region": REGION, "year": YEAR, "month": MONTH, **{field: column for column, field in FIGURE_COLUMNS.items()}}

REGION_NAMES = {"平湖": Region.PINGHU, "平湖市": Region.PINGHU, "嘉兴": Region.JIAXING, "嘉兴市": Region.JIAXING}

# The most a file uploaded on the web may hold: two regions' twelve months over a few years.
UPLOAD_MAX_BYTES = 1024 * 1024
UPLOAD_MAX_ROWS = 1000
