"""python manage.py import_ledger FILE [--dry-run]: bring a whole ledger in, all or nothing."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from clearance.management.importing import add_import_arguments, importing_user
from clearance.ledger import LedgerError, ledger_import


class Command(BaseCommand):
    help = "Import a ledger: an .xlsx with sheets 地块 and 企业, or a folder holding 地块.csv and 企业.csv."

    def add_arguments(self, parser):
        add_import_arguments(parser, file_help="the .xlsx workbook or the folder of CSV files")

    def handle(self, *args, file: Path, dry_run: bool, user: str | None, **options):
        if not file.exists():
            raise CommandError(_("%(file)s does not exist.") % {"file": file})
        importer = importing_user(user)
        try:
            report = ledger_import(path=file, user=importer, dry_run=dry_run, progress=self._progress)
        except LedgerError as error:
            self._end_progress()
            self.stderr.write(_("The ledger was not imported; nothing was changed. Fix these rows and import again:"))
            for problem in error.problems:
                self.stderr.write(str(problem))
            sys.exit(1)
        except DatabaseError as error:
            # The import's one transaction was rolled back, or (a connection lost while committing)
            # may have been committed whole: either way, importing the same file again is safe.
            self._end_progress()
            self.stderr.write(
                _("The database failed during the import (%(error)s). An import is written whole or not at all, "
                  "and importing the same file again is safe: import it again.")
                % {"error": str(error).strip().split("\n")[0]}
            )
            sys.exit(1)
        self._end_progress()
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written. Importing would give:"))
        for line in report.lines():
            self.stdout.write(line)

    def _progress(self, done: int, total: int) -> None:
        """Draw a progress bar on a terminal for large files; stay quiet in logs and pipes."""
        if total < 200 or not self.stderr.isatty():
            return
        if done % 50 and done != total:
            return
        width = 30
        filled = width * done // total
        self.stderr.ending = ""
        self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        self.stderr.ending = "\n"
        self._drawn = True

    def _end_progress(self) -> None:
        if getattr(self, "_drawn", False):
            self.stderr.write("")
