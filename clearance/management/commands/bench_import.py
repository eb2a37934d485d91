"""python manage.py bench_import [--enterprises N]: time a generated ledger's import and re-import, then roll back."""

import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from openpyxl import Workbook

from clearance import services
from clearance.choices import TownKind
from clearance.ledger import ENTERPRISE_COLUMNS, ENTERPRISES_SHEET, SITE_COLUMNS, SITES_SHEET, ledger_import
from clearance.models import Town

TOWNS = (
    ("当湖街道", TownKind.SUBDISTRICT), ("钟埭街道", TownKind.SUBDISTRICT), ("曹桥街道", TownKind.SUBDISTRICT),
    ("新埭镇", TownKind.TOWN), ("新仓镇", TownKind.TOWN), ("广陈镇", TownKind.TOWN), ("林埭镇", TownKind.TOWN),
    ("独山港经济开发区", TownKind.DEVELOPMENT_ZONE),
)


class _Rollback(Exception):
    """Undo the benchmark's writes."""


def write_bench_ledger(path: Path, enterprises: int) -> None:
    """Write a ledger of ENTERPRISES enterprises, eight per site, with 签约 and 腾退 dates and 销号 on every other."""
    workbook = Workbook(write_only=True)
    sites_sheet, enterprises_sheet = workbook.create_sheet(SITES_SHEET), workbook.create_sheet(ENTERPRISES_SHEET)
    sites_sheet.append(list(SITE_COLUMNS))
    enterprises_sheet.append(list(ENTERPRISE_COLUMNS))
    sites = max(enterprises // 8, 1)
    for index in range(sites):
        sites_sheet.append([f"压测地块{index:05d}", TOWNS[index % 8][0], 10 + index % 50, None, "工业", None])
    for index in range(enterprises):
        site = index % sites
        signed = date(2021, 1, 1) + timedelta(days=index % 300)
        enterprises_sheet.append([
            f"压测企业{index:06d}", None, TOWNS[site % 8][0], f"压测地块{site:05d}", "高耗低效", "腾退收回", 100, 50,
            signed, signed + timedelta(days=10), signed + timedelta(days=20) if index % 2 else None,
        ])
    workbook.save(path)


class Command(BaseCommand):
    help = "Benchmark import_ledger on a generated ledger against the configured database; writes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=10000, help="enterprises in the ledger (default 10000)")

    def handle(self, *args, enterprises: int, **options):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.xlsx"
            write_bench_ledger(path, enterprises)
            try:
                with transaction.atomic():
                    existing = set(Town.objects.values_list("name", flat=True))
                    for order, (name, kind) in enumerate(TOWNS, start=1):
                        if name not in existing:
                            services.town_upsert(name=name, kind=kind, display_order=order)
                    start = time.perf_counter()
                    report = ledger_import(path=path)
                    seconds = time.perf_counter() - start
                    start = time.perf_counter()
                    ledger_import(path=path)  # again: every row unchanged
                    again_seconds = time.perf_counter() - start
                    raise _Rollback
            except _Rollback:
                pass
        rows = report.sites.created + report.sites.changed + report.sites.unchanged + enterprises
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"enterprises={enterprises} rows={rows} events={report.events.created} seconds={seconds:.2f} "
            f"rows_per_second={rows / seconds:.0f} reimport_seconds={again_seconds:.2f} peak_memory_mb={peak_mb:.0f}"
        )
        for line in report.lines():
            self.stdout.write(line)
