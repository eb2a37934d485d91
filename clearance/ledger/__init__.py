"""Whole ledgers (台账) in and out: the 地块/企业 template of DOMAIN.md as .xlsx or CSV, and Jiaxing's bulletin sheet."""

from .bulletin import BULLETIN_COLUMNS, BULLETIN_METRIC_NAMES, BULLETIN_REQUIRED, bulletin_import
from .columns import (
    CATEGORY_NAMES,
    CATEGORY_SEPARATOR,
    DISPOSAL_NAMES,
    ENT_CATEGORIES,
    ENT_CLOSED,
    ENT_CODE,
    ENT_DISPOSAL,
    ENT_ENERGY_FREED,
    ENT_ENERGY_USE,
    ENT_NAME,
    ENT_SIGNED,
    ENT_SITE,
    ENT_TOWN,
    ENT_VACATED,
    ENTERPRISE_COLUMNS,
    ENTERPRISE_REQUIRED,
    ENTERPRISES_SHEET,
    SITE_AREA,
    SITE_COLUMNS,
    SITE_LAND_USE,
    SITE_NAME,
    SITE_PARENT,
    SITE_REQUIRED,
    SITE_TOWN,
    SITE_VACATED,
    SITES_SHEET,
    STAGE_COLUMNS,
    TEMPLATE_EXAMPLES,
    LedgerError,
    Problem,
    header_key,
)
from .export import ledger_sheets, ledger_template, ledger_workbook
from .read import SheetRow, cell_text, inspect_ledger, inspect_sheet, read_ledger, read_sheet, read_workbook, rows_with_header
from .report import Counts, ImportReport, PlannedChange, PlannedChanges
from .write import ledger_import

__all__ = [
    "BULLETIN_COLUMNS", "BULLETIN_METRIC_NAMES", "BULLETIN_REQUIRED", "bulletin_import",
    "CATEGORY_NAMES", "CATEGORY_SEPARATOR", "DISPOSAL_NAMES",
    "ENT_CATEGORIES", "ENT_CLOSED", "ENT_CODE", "ENT_DISPOSAL", "ENT_ENERGY_FREED", "ENT_ENERGY_USE", "ENT_NAME",
    "ENT_SIGNED", "ENT_SITE", "ENT_TOWN", "ENT_VACATED", "ENTERPRISE_COLUMNS", "ENTERPRISE_REQUIRED",
    "ENTERPRISES_SHEET", "SITE_AREA", "SITE_COLUMNS", "SITE_LAND_USE", "SITE_NAME", "SITE_PARENT", "SITE_REQUIRED",
    "SITE_TOWN", "SITE_VACATED", "SITES_SHEET", "STAGE_COLUMNS", "TEMPLATE_EXAMPLES", "LedgerError", "Problem",
    "header_key",
    "ledger_sheets", "ledger_template", "ledger_workbook",
    "Counts", "ImportReport", "PlannedChange", "PlannedChanges",
    "SheetRow", "cell_text", "inspect_ledger", "inspect_sheet", "read_ledger", "read_sheet", "read_workbook", "rows_with_header",
    "ledger_import",
]
