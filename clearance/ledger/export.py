"""Writing a ledger out: the stored sites and enterprises as the import template's rows, and as an .xlsx workbook."""

import io
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from openpyxl import Workbook

from ..models import Enterprise, Event, Site, Town
from .columns import (
    CATEGORY_NAMES,
    CATEGORY_SEPARATOR,
    DISPOSAL_NAMES,
    ENTERPRISE_COLUMNS,
    ENTERPRISES_SHEET,
    SITE_COLUMNS,
    SITES_SHEET,
    STAGE_COLUMNS,
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


def ledger_workbook(sheets: dict[str, list[list]]) -> bytes:
    """Write the sheets as an .xlsx workbook: numbers as numbers, dates as dates."""
    workbook = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append([float(value) if isinstance(value, Decimal) else value for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ledger_template() -> bytes:
    """Return an empty ledger workbook with the headers and one example row per sheet."""
    example = date(2022, 3, 1)
    return ledger_workbook({
        SITES_SHEET: [list(SITE_COLUMNS), ["示例地块", "曹桥街道", Decimal("20.43"), "六店区域", "工业用地", None]],
        ENTERPRISES_SHEET: [
            list(ENTERPRISE_COLUMNS),
            ["示例企业", "", "曹桥街道", "示例地块", "高耗低效、租赁企业", "腾退收回", Decimal("120.5"), Decimal("80"),
             example, None, None],
        ],
    })
