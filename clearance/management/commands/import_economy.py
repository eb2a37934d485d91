"""python manage.py import_economy FILE [--dry-run]: record Pinghu's and Jiaxing's monthly economy, all or nothing."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clearance.economy import economy_import
from clearance.ledger import LedgerError
from clearance.management.importing import add_import_arguments, importing_user


class Command(BaseCommand):
    help = ("Import the economy's monthly figures: an .xlsx with a sheet 经济数据, or a .csv file; columns 地区 · 年 · 月 · "
            "规上工业增加值增速(%) · 制造业投资(亿元) · 制造业投资增速(%) · 规上工业企业用工人数(人).").replace("%", "%%")

    def add_arguments(self, parser):
        add_import_arguments(parser, file_help="the .xlsx workbook or the .csv file")

    def handle(self, *args, file: Path, dry_run: bool, user: str | None, **options):
        if not file.exists() or file.is_dir():
            raise CommandError(_("%(file)s does not exist.") % {"file": file})
        importer = importing_user(user)
        try:
            report = economy_import(path=file, user=importer, dry_run=dry_run)
        except LedgerError as error:
            self.stderr.write(_("The economy figures were not imported; nothing was changed. Fix these rows and import "
                                "again:"))
            for problem in error.problems:
                self.stderr.write(str(problem))
            sys.exit(1)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written. Importing would give:"))
        for line in report.lines():
            self.stdout.write(line)
