"""python manage.py prune_jobs: fail background jobs whose worker was lost or left unconfirmed, and remove their uploads."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from clearance.services.jobs import jobs_prune


class Command(BaseCommand):
    help = ("Fail background jobs whose worker stopped, and jobs left unconfirmed past CLEARANCE_JOB_UPLOAD_MAX_AGE_HOURS; "
            "remove their uploaded files. Run it from cron, e.g. hourly.")

    def handle(self, *args, **options):
        pruned = jobs_prune()
        self.stdout.write(_("Background jobs closed: %(count)s") % {"count": pruned})
