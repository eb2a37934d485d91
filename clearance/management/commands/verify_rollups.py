"""python manage.py verify_rollups [--repair]: recompute the monthly rollup from the events and report any difference."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clearance import rollups
from clearance.models import Town


class Command(BaseCommand):
    help = "Recompute every town's monthly figures from the events and compare them with the stored rollup."

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="rebuild the rollup from the events when it differs"
        )

    def handle(self, *args, repair: bool, **options):
        found = rollups.differences()
        if not found:
            self.stdout.write(f"rollup agrees with the events ({rollups.stored_count()} monthly rows)")
            return
        names = dict(Town.objects.values_list("pk", "name"))
        for each in found:
            self.stdout.write(
                f"{names.get(each['town_id'], each['town_id'])} {each['year']}-{each['month']:02d} {each['figure']}: "
                f"rollup {each['rollup']}, events {each['events']}"
            )
        if repair:
            with transaction.atomic():
                rollups.rebuild()
            self.stdout.write(f"{len(found)} differences repaired: the rollup was rebuilt from the events")
            return
        raise CommandError(f"{len(found)} differences between the rollup and the events (run with --repair)")
