"""python manage.py import_bulletin FILE [--dry-run]: record Jiaxing's bulletin figures from a sheet, all or nothing."""

import csv
import io
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from clearance.ledger import LedgerError, Problem, bulletin_import
from clearance.management.importing import add_import_arguments, importing_user


class _DryRun(Exception):
    """Raised inside the import's transaction to undo a dry run."""


def read_bulletin(path: Path) -> tuple[str, list[tuple[int, dict]]]:
    """Return the sheet's name and its rows (spreadsheet row number, {header: value}), header first as row 1.

    An .xlsx workbook's first sheet, or a UTF-8 CSV file (a BOM is allowed).
    """
    if path.suffix.lower() == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise LedgerError([Problem(path.name, None, "", _("%(file)s is not UTF-8 text.") % {"file": path.name})]) from None
        return path.stem, _with_header(csv.reader(io.StringIO(text)))
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise LedgerError([Problem(path.name, None, "", _("This is not an Excel .xlsx file."))]) from None
    try:
        sheet = workbook.worksheets[0]
        return sheet.title, _with_header(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def _with_header(rows) -> list[tuple[int, dict]]:
    iterator = iter(rows)
    names = [str(cell).strip() if cell is not None else "" for cell in (next(iterator, None) or ())]
    result = [(1, {name: name for name in names if name})]
    for number, row in enumerate(iterator, start=2):
        values = {name: row[index] for index, name in enumerate(names) if name and index < len(row)}
        if any(value not in (None, "") for value in values.values()):
            result.append((number, values))
    return result


class Command(BaseCommand):
    help = "Import Jiaxing's bulletin figures: columns 县(市、区) · 年 · 月 · 指标 · 完成数 · 目标 (.xlsx or .csv)."

    def add_arguments(self, parser):
        add_import_arguments(parser, file_help="the .xlsx workbook (first sheet) or .csv file")

    def handle(self, *args, file: Path, dry_run: bool, user: str | None, **options):
        if not file.is_file():
            raise CommandError(_("%(file)s does not exist.") % {"file": file})
        importer = importing_user(user)
        try:
            sheet, rows = read_bulletin(file)
            with transaction.atomic():
                created, changed, unchanged = bulletin_import(rows=rows, sheet=sheet, user=importer)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        except LedgerError as error:
            self.stderr.write(_("The bulletin was not imported; nothing was changed. Fix these rows and import again:"))
            for problem in error.problems:
                self.stderr.write(str(problem))
            sys.exit(1)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written. Importing would give:"))
        self.stdout.write(
            _("Bulletin figures: %(created)s created, %(changed)s changed, %(unchanged)s unchanged")
            % {"created": created, "changed": changed, "unchanged": unchanged}
        )
