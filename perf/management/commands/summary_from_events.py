"""python manage.py summary_from_events --year Y --month M: /api/summary/'s figures with the derived tables rebuilt from the events, then rolled back."""

import json

from django.core.management.base import BaseCommand
from django.db import transaction

from clearance import selectors
from clearance.api import summary_json
from clearance.derived import rollup, site_progress, site_tree


class Command(BaseCommand):
    help = (
        "Rebuild the site tree and the monthly rollup from the sites and the events in a transaction that is "
        "rolled back, and print the month's summary in /api/summary/'s JSON shape: what the pages should serve."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--month", type=int, required=True)

    def handle(self, *args, year: int, month: int, **options):
        with transaction.atomic():
            site_tree.rebuild()
            rollup.rebuild()
            site_progress.rebuild()
            summary = summary_json(selectors.campaign_summary(year=year, month=month))
            transaction.set_rollback(True)
        self.stdout.write(json.dumps(summary, ensure_ascii=False, sort_keys=True))
