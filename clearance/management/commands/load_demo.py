"""`manage.py load_demo`: load the Pinghu demo of DOMAIN.md (idempotent)."""

from django.core.management.base import BaseCommand

from clearance.demo import demo_load


class Command(BaseCommand):
    help = "Load the Pinghu demo: towns, pairings, sites, enterprises, events, targets, bulletins and demo users."

    def handle(self, *args, **options):
        demo_load(stdout=self.stdout)
