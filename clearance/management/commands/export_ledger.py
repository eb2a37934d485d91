"""python manage.py export_ledger FILE [--town NAME]: write the whole ledger in the import template."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clearance.ledger import ENTERPRISES_SHEET, SITES_SHEET, ledger_sheets, ledger_workbook
from clearance.models import Town


class Command(BaseCommand):
    help = "Export the ledger as an .xlsx workbook in the import template (sheets 地块 and 企业)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the .xlsx workbook to write")
        parser.add_argument("--town", action="append", help="only this town (by name); may be repeated")

    def handle(self, *args, file: Path, town: list[str] | None, **options):
        towns = None
        if town:
            towns = Town.objects.filter(name__in=town)
            unknown = sorted(set(town) - set(towns.values_list("name", flat=True)))
            if unknown:
                raise CommandError(_("Unknown town “%(town)s”.") % {"town": "、".join(unknown)})
        sheets = ledger_sheets(towns=towns)
        file.write_bytes(ledger_workbook(sheets))
        self.stdout.write(
            _("Wrote %(sites)s sites and %(enterprises)s enterprises to %(file)s.")
            % {"sites": len(sheets[SITES_SHEET]) - 1, "enterprises": len(sheets[ENTERPRISES_SHEET]) - 1, "file": file}
        )
