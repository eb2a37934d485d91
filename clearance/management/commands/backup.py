"""python manage.py backup [--output FILE]: the database and the photos in one archive (`make backup`)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clearance.backups import BackupError, backup_write, default_backup_path, photos_elsewhere_warning


class Command(BaseCommand):
    help = (
        "Write the configured database (pg_dump for PostgreSQL, a safe copy for SQLite) and MEDIA_ROOT "
        "to one .tar.gz archive, by default backups/pinghu-YYYYMMDD-HHMMSS.tar.gz."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="the archive to write (default: backups/pinghu-<time>.tar.gz)")

    def handle(self, *args, output: Path | None, **options):
        try:
            outcome = backup_write(path=output or default_backup_path())
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _("Backup written to %(path)s: %(rows)s rows in %(tables)s tables, %(files)s media files.")
            % {"path": outcome.path, "rows": outcome.rows, "tables": len(outcome.manifest["tables"]),
               "files": outcome.media_files}
        )
        if warning := photos_elsewhere_warning():
            self.stderr.write(self.style.WARNING(warning))
