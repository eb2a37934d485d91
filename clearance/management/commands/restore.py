"""python manage.py restore FILE [--force]: bring back a backup's database and photos (`make restore`)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clearance.backups import BackupError, backup_restore, photos_elsewhere_warning


class Command(BaseCommand):
    help = (
        "Restore an archive written by `manage.py backup` into the configured database and MEDIA_ROOT. "
        "Refuses a database or media folder that already holds data unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the archive written by manage.py backup")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds data (every table is replaced)"
        )

    def handle(self, *args, file: Path, force: bool, **options):
        try:
            outcome = backup_restore(path=file, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _("Restored %(path)s (made %(date)s): %(rows)s rows in %(tables)s tables, %(files)s media files.")
            % {"path": outcome.path, "date": outcome.manifest["created_at"], "rows": outcome.rows,
               "tables": len(outcome.manifest["tables"]), "files": outcome.media_files}
        )
        if outcome.migrated:
            self.stdout.write(
                _("The backup predates %(count)s migrations of this version; they have been applied.")
                % {"count": outcome.migrated}
            )
        if warning := photos_elsewhere_warning():
            self.stderr.write(self.style.WARNING(warning))
