"""python manage.py bench_import [--enterprises N] [--compare] [--json]: time a generated ledger's import, then roll back."""

import json
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import tablib
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from openpyxl import Workbook

from clearance import services
from clearance.choices import Category, Stage, TownKind
from perf.import_resources import EnterpriseResource, EventResource, SiteResource
from clearance.ledger import (
    CATEGORY_NAMES,
    CATEGORY_SEPARATOR,
    DISPOSAL_NAMES,
    ENTERPRISE_COLUMNS,
    ENTERPRISES_SHEET,
    SITE_COLUMNS,
    SITES_SHEET,
    STAGE_COLUMNS,
    ledger_import,
)
from clearance.models import Town

TOWNS = (
    ("当湖街道", TownKind.SUBDISTRICT), ("钟埭街道", TownKind.SUBDISTRICT), ("曹桥街道", TownKind.SUBDISTRICT),
    ("新埭镇", TownKind.TOWN), ("新仓镇", TownKind.TOWN), ("广陈镇", TownKind.TOWN), ("林埭镇", TownKind.TOWN),
    ("独山港经济开发区", TownKind.DEVELOPMENT_ZONE),
)

# The plain resources take many times longer than the ledger import: above this many enterprises they are
# timed on a ledger of COMPARE_AT enterprises generated the same way and scaled linearly (checked on half as many).
COMPARE_AT = 2000


class _Rollback(Exception):
    """Undo the benchmark's writes."""


def bench_rows(enterprises: int) -> tuple[list[list], list[list]]:
    """Return the 地块 and 企业 rows of a ledger of ENTERPRISES enterprises, eight per site, with 签约 and 腾退 dates and 销号 on every other."""
    sites = max(enterprises // 8, 1)
    site_rows = [[f"压测地块{index:05d}", TOWNS[index % 8][0], 10 + index % 50, None, "工业", None] for index in range(sites)]
    enterprise_rows = []
    for index in range(enterprises):
        site = index % sites
        signed = date(2021, 1, 1) + timedelta(days=index % 300)
        enterprise_rows.append([
            f"压测企业{index:06d}", None, TOWNS[site % 8][0], f"压测地块{site:05d}", "高耗低效", "腾退收回", 100, 50,
            signed, signed + timedelta(days=10), signed + timedelta(days=20) if index % 2 else None,
        ])
    return site_rows, enterprise_rows


def write_bench_ledger(path: Path, enterprises: int) -> None:
    """Write the ledger of bench_rows(ENTERPRISES) as an .xlsx workbook."""
    site_rows, enterprise_rows = bench_rows(enterprises)
    workbook = Workbook(write_only=True)
    for name, header, rows in ((SITES_SHEET, SITE_COLUMNS, site_rows), (ENTERPRISES_SHEET, ENTERPRISE_COLUMNS, enterprise_rows)):
        sheet = workbook.create_sheet(name)
        sheet.append(list(header))
        for row in rows:
            sheet.append(row)
    workbook.save(path)


def resource_datasets(site_rows: list[list], enterprise_rows: list[list]) -> list[tuple[type, tablib.Dataset]]:
    """Return the ledger's rows in the plain resources' columns: sites, enterprises, then one event per date given."""
    sites = tablib.Dataset(headers=["town", "name", "area_mu", "parent", "land_use"])
    events = tablib.Dataset(headers=["enterprise", "site", "stage", "occurred_on"])
    for name, town, area, parent, land_use, vacated_on in site_rows:
        sites.append([town, name, area, parent or "", land_use or ""])
        if vacated_on:
            events.append(["", name, Stage.VACATED.value, vacated_on])
    enterprises = tablib.Dataset(headers=["town", "name", "credit_code", "site", *(category.value for category in Category),
                                          "disposal", "annual_energy_tce", "energy_freed_tce"])
    for name, code, town, site, types, disposal, energy_use, energy_freed, *dates in enterprise_rows:
        categories = {CATEGORY_NAMES[label] for label in (types or "").split(CATEGORY_SEPARATOR) if label}
        enterprises.append([town, name, code or None, site, *(category in categories for category in Category),
                            DISPOSAL_NAMES[disposal].value if disposal else "", energy_use, energy_freed])
        for (stage, _column), on in zip(STAGE_COLUMNS, dates):
            if on:
                events.append([name, "", stage.value, on])
    return [(SiteResource, sites), (EnterpriseResource, enterprises), (EventResource, events)]


def towns_ensure() -> None:
    existing = set(Town.objects.values_list("name", flat=True))
    for order, (name, kind) in enumerate(TOWNS, start=1):
        if name not in existing:
            services.town_upsert(name=name, kind=kind, display_order=order)


def constraints_check() -> None:
    """Run now the foreign-key checks PostgreSQL defers to COMMIT: the benchmark rolls back, yet a real import pays for them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def time_plain_resources(enterprises: int) -> float:
    """Import the bench ledger of ENTERPRISES through the plain resources, then roll back; return the seconds."""
    datasets = resource_datasets(*bench_rows(enterprises))
    try:
        with transaction.atomic():
            towns_ensure()
            start = time.perf_counter()
            for resource_class, dataset in datasets:
                result = resource_class().import_data(dataset, dry_run=False, use_transactions=True)
                if result.has_errors() or result.has_validation_errors():
                    raise CommandError(f"{resource_class.__name__} refused rows: {_first_error(result)}")
            constraints_check()
            seconds = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass
    return seconds


def _first_error(result) -> str:
    for error in result.base_errors:
        return str(error.error)
    for row, errors in result.row_errors():
        return f"row {row}: {errors[0].error}"
    for invalid in result.invalid_rows:
        return f"row {invalid.number}: {invalid.error_dict}"
    return "unknown"


class Command(BaseCommand):
    help = "Benchmark import_ledger on a generated ledger against the configured database; writes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=10000, help="enterprises in the ledger (default 10000)")
        parser.add_argument("--compare", action="store_true",
                            help="also time the same rows through plain django-import-export resources")
        parser.add_argument("--compare-at", type=int, default=COMPARE_AT, metavar="N",
                            help=f"above N enterprises, time the plain resources on N and scale (default {COMPARE_AT})")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print one JSON object instead of the report")

    def handle(self, *args, enterprises: int, compare: bool, compare_at: int, as_json: bool, **options):
        if enterprises < 1 or compare_at < 2:
            raise CommandError("--enterprises must be at least 1 and --compare-at at least 2")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.xlsx"
            write_bench_ledger(path, enterprises)
            try:
                with transaction.atomic():
                    towns_ensure()
                    start = time.perf_counter()
                    report = ledger_import(path=path)
                    constraints_check()
                    seconds = time.perf_counter() - start
                    start = time.perf_counter()
                    ledger_import(path=path)  # again: every row unchanged
                    again_seconds = time.perf_counter() - start
                    raise _Rollback
            except _Rollback:
                pass
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results = {
            "enterprises": report.enterprises.created + report.enterprises.changed + report.enterprises.unchanged,
            "sites": report.sites.created + report.sites.changed + report.sites.unchanged,
            "events": report.events.created + report.events.changed + report.events.unchanged,
            "import_seconds": round(seconds, 3),
            "reimport_seconds": round(again_seconds, 3),
            "peak_mb": round(peak_mb, 1),
        }
        if compare:
            results.update(self._compare(enterprises, compare_at, results["import_seconds"]))
        if as_json:
            self.stdout.write(json.dumps(results, ensure_ascii=False))
            return
        rows = results["sites"] + enterprises
        self.stdout.write(
            f"enterprises={enterprises} rows={rows} events={report.events.created} seconds={seconds:.2f} "
            f"rows_per_second={rows / seconds:.0f} reimport_seconds={again_seconds:.2f} peak_memory_mb={peak_mb:.0f}"
        )
        for line in report.lines():
            self.stdout.write(line)
        if compare:
            self._write_comparison(results)

    def _compare(self, enterprises: int, compare_at: int, seconds: float) -> dict:
        measured = min(enterprises, compare_at)
        plain_seconds = time_plain_resources(measured)
        found = {"import_export_rows_measured": measured}
        if measured < enterprises:
            half_seconds = time_plain_resources(measured // 2)
            # 1.0 when twice the rows take twice the time; above 1, scaling linearly understates the plain resource.
            found["import_export_linearity"] = round(plain_seconds / (2 * half_seconds), 2)
            found["import_export_measured_seconds"] = round(plain_seconds, 3)
            plain_seconds *= enterprises / measured
        found["import_export_seconds"] = round(plain_seconds, 3)
        found["speedup"] = round(found["import_export_seconds"] / seconds, 1)  # as the figures printed give it
        return found

    def _write_comparison(self, results: dict) -> None:
        enterprises, measured = results["enterprises"], results["import_export_rows_measured"]
        self.stdout.write(
            f"import_export_seconds={results['import_export_seconds']:.2f} speedup={results['speedup']:.1f}"
        )
        self.stdout.write(
            "  ledger import: reading the .xlsx, every rule of DOMAIN.md checked, rows, history and monthly rollup written"
        )
        self.stdout.write(
            "  plain resources (clearance/import_resources.py): the same rows from in-memory datasets, one save() per row "
            "with its history and rollup signals, no rule checked; sites, enterprises, events in turn"
        )
        if measured < enterprises:
            self.stdout.write(
                f"  plain resources timed on a ledger of {measured} enterprises generated the same way "
                f"({results['import_export_measured_seconds']:.2f} s) and scaled ×{enterprises / measured:g}; "
                f"{measured} vs {measured // 2} enterprises: {results['import_export_linearity']:.2f}× linear"
            )
