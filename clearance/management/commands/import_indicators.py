"""python manage.py import_indicators FILE [--dry-run]: bring a year's 亩均数据 in, all or nothing, and score it."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from clearance.indicators import indicators_import
from clearance.ledger import LedgerError
from clearance.management.importing import add_import_arguments, importing_user


class Command(BaseCommand):
    help = "Import evaluation data: an .xlsx with a sheet 亩均数据, or a .csv file."

    def add_arguments(self, parser):
        add_import_arguments(parser, file_help="the .xlsx workbook or the .csv file")

    def handle(self, *args, file: Path, dry_run: bool, user: str | None, **options):
        if not file.exists() or file.is_dir():
            raise CommandError(_("%(file)s does not exist.") % {"file": file})
        importer = importing_user(user)
        try:
            report = indicators_import(path=file, user=importer, dry_run=dry_run)
        except LedgerError as error:
            self.stderr.write(_("The evaluation data was not imported; nothing was changed. Fix these rows and import again:"))
            for problem in error.problems:
                self.stderr.write(str(problem))
            sys.exit(1)
        except DatabaseError as error:
            self.stderr.write(
                _("The database failed during the import (%(error)s). An import is written whole or not at all, "
                  "and importing the same file again is safe: import it again.")
                % {"error": str(error).strip().split("\n")[0]}
            )
            sys.exit(1)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written. Importing would give:"))
        for line in report.lines():
            self.stdout.write(line)
