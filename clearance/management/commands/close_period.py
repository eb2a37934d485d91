"""python manage.py close_period YYYY-MM [--user NAME]: close a reporting month (通报期), keeping its figures."""

import re

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clearance import services
from clearance.management.importing import importing_user
from clearance.selectors import month_label

MONTH_ARGUMENT = re.compile(r"([0-9]{4})-([0-9]{1,2})")


def parse_month(text: str) -> tuple[int, int]:
    """Return (year, month) from YYYY-MM; a CommandError otherwise."""
    match = MONTH_ARGUMENT.fullmatch(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise CommandError(_("%(text)s is not a month: write it as YYYY-MM, e.g. 2022-08.") % {"text": text})
    return int(match.group(1)), int(match.group(2))


class Command(BaseCommand):
    help = "Close a reporting month (YYYY-MM) once Jiaxing's bulletin is out: its figures are kept as published."

    def add_arguments(self, parser):
        parser.add_argument("month", help="the month to close, as YYYY-MM")
        parser.add_argument("--user", help="username (an administrator) the closing is attributed to in the history")

    def handle(self, *args, month: str, user: str | None, **options):
        year, number = parse_month(month)
        closer = importing_user(user)
        try:
            period = services.period_close(year=year, month=number, user=closer)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages))
        self.stdout.write(_("%(month)s is closed; its figures are kept as published.") % {"month": month_label(period.year, period.month)})
