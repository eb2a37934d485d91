"""Writing a ledger out: the stored sites and enterprises as the import template's rows, and as an .xlsx workbook."""

import io
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from ..models import Enterprise, Event, Site, Town
from ..spreadsheets import xlsx_row
from .columns import (
    CATEGORY_NAMES,
    CATEGORY_SEPARATOR,
    DISPOSAL_NAMES,
    ENT_CATEGORIES,
    ENT_CODE,
    ENT_DISPOSAL,
    ENT_ENERGY_FREED,
    ENT_ENERGY_USE,
    ENT_NAME,
    ENT_SITE,
    ENT_TOWN,
    ENTERPRISE_COLUMNS,
    ENTERPRISES_SHEET,
    SITE_AREA,
    SITE_COLUMNS,
    SITE_LAND_USE,
    SITE_NAME,
    SITE_PARENT,
    SITE_TOWN,
    SITE_VACATED,
    SITES_SHEET,
    STAGE_COLUMNS,
    TEMPLATE_EXAMPLES,
)


def ledger_sheets(*, towns: QuerySet[Town] | None = None) -> dict[str, list[list]]:
    """Return the ledger as rows of the import template (header first), optionally for some towns only."""
    sites = Site.objects.select_related("town", "parent").order_by("town__display_order", "town__name", "name")
    enterprises = Enterprise.objects.select_related("town", "site").order_by("town__display_order", "town__name", "name")
    events = Event.objects.all()
    if towns is not None:
        sites, enterprises = sites.filter(town__in=towns), enterprises.filter(town__in=towns)
        events = events.filter(enterprise__town__in=towns) | events.filter(site__town__in=towns)
    site_dates, enterprise_dates = {}, {}
    for site_id, enterprise_id, stage, on in events.values_list("site_id", "enterprise_id", "stage", "occurred_on"):
        if site_id:
            site_dates[site_id] = on
        else:
            enterprise_dates.setdefault(enterprise_id, {})[stage] = on
    category_names = {category: name for name, category in CATEGORY_NAMES.items()}
    disposal_names = {disposal: name for name, disposal in DISPOSAL_NAMES.items()}
    site_rows = [list(SITE_COLUMNS)] + [
        [site.name, site.town.name, site.area_mu, site.parent.name if site.parent else "", site.land_use,
         site_dates.get(site.pk)]
        for site in sites
    ]
    enterprise_rows = [list(ENTERPRISE_COLUMNS)]
    for enterprise in enterprises:
        dates = enterprise_dates.get(enterprise.pk, {})
        enterprise_rows.append([
            enterprise.name, enterprise.credit_code or "", enterprise.town.name, enterprise.site.name,
            CATEGORY_SEPARATOR.join(category_names[category] for category in enterprise.categories),
            disposal_names.get(enterprise.disposal, ""), enterprise.annual_energy_tce, enterprise.energy_freed_tce,
            *(dates.get(stage) for stage, _column in STAGE_COLUMNS),
        ])
    return {SITES_SHEET: site_rows, ENTERPRISES_SHEET: enterprise_rows}


# The hidden sheet holding the drop-down lists too long to write inline (a list typed into a validation is limited
# to 255 characters: Pinghu's towns fit, a county's may not), and the sheet of instructions and examples. The
# import reads only 地块 and 企业, so nothing on these is ever imported.
LISTS_SHEET, GUIDE_SHEET = "列表", "说明"
TOWN_LIST = "TownList"  # the defined name the 镇街道 drop-downs refer to
# Whole columns below the header; what the sheets hold can grow without the validations falling short.
_BELOW_HEADER = "{column}2:{column}1048576"
_COLUMN_WIDTH = 16


def _column_letter(columns: tuple[str, ...], name: str) -> str:
    return get_column_letter(columns.index(name) + 1)


def _validations(sheet: str, *, with_towns: bool) -> list[DataValidation]:
    """Return the drop-down lists and checks of SHEET's columns: warnings where the import accepts more than a list offers."""
    columns = SITE_COLUMNS if sheet == SITES_SHEET else ENTERPRISE_COLUMNS

    def on(validation: DataValidation, *names: str) -> DataValidation:
        for name in names:
            validation.add(_BELOW_HEADER.format(column=_column_letter(columns, name)))
        return validation

    date_columns = (SITE_VACATED,) if sheet == SITES_SHEET else tuple(column for _stage, column in STAGE_COLUMNS)
    validations = [on(DataValidation(
        type="date", operator="greaterThanOrEqual", formula1="DATE(2000,1,1)", allow_blank=True,
        showErrorMessage=True, errorStyle="warning", error=_("Give a date: YYYY-MM-DD, YYYY/M/D, YYYY.M.D or YYYY年M月D日."),
    ), *date_columns)]
    if with_towns:
        validations.append(on(DataValidation(
            type="list", formula1=TOWN_LIST, allow_blank=True, showErrorMessage=True, errorStyle="stop",
            error=_("Choose a town from the list."),
        ), SITE_TOWN if sheet == SITES_SHEET else ENT_TOWN))
    if sheet == SITES_SHEET:
        validations.append(on(DataValidation(
            type="decimal", operator="greaterThan", formula1="0", allow_blank=True, showErrorMessage=True,
            errorStyle="warning", error=_("The area must be a positive number of mu."),
        ), SITE_AREA))
        return validations
    validations.append(on(DataValidation(
        type="list", formula1='"' + ",".join(DISPOSAL_NAMES) + '"', allow_blank=True, showErrorMessage=True,
        errorStyle="stop", error=_("Choose a disposal method from the list."),
    ), ENT_DISPOSAL))
    # Several types may be given, separated by 、; a list offers one at a time, so another value only warns.
    validations.append(on(DataValidation(
        type="list", formula1='"' + ",".join(CATEGORY_NAMES) + '"', allow_blank=True, showErrorMessage=True,
        errorStyle="warning", showInputMessage=True, prompt=_("Several types are separated by 、, e.g. 高耗低效、租赁企业."),
        error=_("Several types are separated by 、, e.g. 高耗低效、租赁企业."),
    ), ENT_CATEGORIES))
    validations.append(on(DataValidation(
        type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True, showErrorMessage=True,
        errorStyle="warning", error=_("The number cannot be negative."),
    ), ENT_ENERGY_USE, ENT_ENERGY_FREED))
    return validations


def _guide_rows() -> list[list]:
    """Return the 说明 sheet: how to fill the ledger in, what each column means, and one example row per sheet."""
    meanings = {
        SITES_SHEET: {
            SITE_NAME: _("Name of the site."),
            SITE_TOWN: _("The town, as the drop-down lists it."),
            SITE_AREA: _("Area in mu: a positive number, at most two decimals."),
            SITE_PARENT: _("Optional: the name of the area the site lies in, a site of the same town."),
            SITE_LAND_USE: _("Optional: the land use."),
            SITE_VACATED: _("Optional: the date the land was cleared (腾退)."),
        },
        ENTERPRISES_SHEET: {
            ENT_NAME: _("Name of the enterprise."),
            ENT_CODE: _("Optional: the 18-character unified social credit code; when given, it is the key."),
            ENT_TOWN: _("The town, as the drop-down lists it."),
            ENT_SITE: _("The name of the site the enterprise is on, a site of the same town."),
            ENT_CATEGORIES: _("Optional: %(types)s; several separated by 、.") % {"types": "、".join(CATEGORY_NAMES)},
            ENT_DISPOSAL: _("Optional: one of %(methods)s.") % {"methods": "、".join(DISPOSAL_NAMES)},
            ENT_ENERGY_USE: _("Optional: annual energy use, in tonnes of standard coal."),
            ENT_ENERGY_FREED: _("Optional: energy freed, in tonnes of standard coal."),
            **{column: _("Optional: the date of %(stage)s.") % {"stage": stage.label} for stage, column in STAGE_COLUMNS},
        },
    }
    rows = [
        [_("How to fill in the ledger")],
        [_("Fill in the sheets 地块 and 企业, one row per site or enterprise, below their header row. The import reads "
           "only those two sheets: nothing on this one is imported.")],
        [_("Dates: an Excel date, or text written YYYY-MM-DD, YYYY/M/D, YYYY.M.D or YYYY年M月D日. Each date given "
           "becomes that stage's event; a date left empty removes nothing.")],
        [_("A site is found by 镇街道 and 地块名称; an enterprise by 统一社会信用代码 when given, else by 镇街道 and 企业名称. "
           "Importing the same file again changes nothing.")],
        [],
        [_("Sheet"), _("Column"), _("Meaning")],
    ]
    for sheet, columns in meanings.items():
        rows += [[sheet, column, meaning] for column, meaning in columns.items()]
    for sheet, example in TEMPLATE_EXAMPLES.items():
        rows += [[], [_("Example of the sheet %(sheet)s (not imported):") % {"sheet": sheet}], list(example),
                 list(example.values())]
    return rows


def _cells(sheet, row: list) -> list:
    """ROW as SHEET's cells: names typed as "=…" stay text (clearance.spreadsheets), amounts as floats Excel sums."""
    return xlsx_row(sheet, [float(value) if isinstance(value, Decimal) else value for value in row])


def ledger_workbook(sheets: dict[str, list[list]]) -> bytes:
    """Write the sheets as an .xlsx workbook: numbers as numbers, dates as dates, text never a formula, the header frozen.

    The 地块 and 企业 sheets get drop-down lists (镇街道 from the towns stored,
    处置方式, 企业类型) and date checks; a sheet 说明 explains the columns with
    an example row each, and a hidden sheet 列表 holds the towns' list. The
    import reads only 地块 and 企业.
    """
    towns = list(Town.objects.order_by("display_order", "name").values_list("name", flat=True))
    workbook = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        sheet.freeze_panes = "A2"
        for letter in map(get_column_letter, range(1, max(map(len, rows[:1]), default=0) + 1)):
            sheet.column_dimensions[letter].width = _COLUMN_WIDTH
        for validation in _validations(name, with_towns=bool(towns)) if name in (SITES_SHEET, ENTERPRISES_SHEET) else ():
            sheet.data_validations.append(validation)
        for row in rows:
            sheet.append(_cells(sheet, row))
    guide = workbook.create_sheet(GUIDE_SHEET)
    for letter, width in (("A", 12), ("B", 20), ("C", 80)):
        guide.column_dimensions[letter].width = width
    for row in _guide_rows():
        guide.append(_cells(guide, row))
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    for town in towns:
        lists.append(_cells(lists, [town]))
    if towns:
        workbook.defined_names[TOWN_LIST] = DefinedName(TOWN_LIST, attr_text=f"'{LISTS_SHEET}'!$A$1:$A${len(towns)}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ledger_template() -> bytes:
    """Return the empty ledger workbook: the 地块 and 企业 sheets hold only their header; examples are on the sheet 说明.

    Imported unchanged, it creates nothing.
    """
    return ledger_workbook({SITES_SHEET: [list(SITE_COLUMNS)], ENTERPRISES_SHEET: [list(ENTERPRISE_COLUMNS)]})
