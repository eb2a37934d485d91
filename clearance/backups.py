"""The database and the photos in one archive: what `manage.py backup` writes and `manage.py restore` reads back.

The archive (.tar.gz) holds manifest.json (when, which database, the applied
migrations, the rows of every table and the media files), the database —
`pg_dump --format=custom` for PostgreSQL, a copy made with SQLite's online
backup API for SQLite — and MEDIA_ROOT under media/. Both copies are consistent
while the server keeps writing: pg_dump reads one snapshot (the manifest's
counts come from the same snapshot) and SQLite's backup API copies one state of
the file. Restoring checks the archive and the target first, then writes the
photos, then replaces the database in one transaction, and finally checks every
table's row count against the manifest.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
POSTGRES_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media"
# Ledgers uploaded for a preview nobody confirmed: transient, and removed by the app after a day.
TRANSIENT_MEDIA = frozenset({"ledger-uploads"})
# What `migrate` writes into a new database by itself: a database holding only these is empty.
MIGRATE_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})
# libpq settings a DATABASES OPTIONS entry may carry through to pg_dump, pg_restore and psql.
LIBPQ_OPTIONS = frozenset({
    "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "connect_timeout", "application_name",
    "options", "target_session_attrs", "service", "passfile", "gssencmode",
})


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why and what to do, and nothing was changed."""


@dataclass(frozen=True)
class Outcome:
    """What a backup wrote or a restore brought back."""

    path: Path
    manifest: dict
    migrated: int = 0

    @property
    def rows(self) -> int:
        return sum(self.manifest["tables"].values())

    @property
    def media_files(self) -> int:
        return self.manifest["media"]["files"]


def photos_elsewhere_warning() -> str | None:
    """Return the warning to give when the photos live in object storage, which an archive cannot hold."""
    from django.core.files.storage import FileSystemStorage, storages

    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        return None
    return _(
        "Photos are kept in object storage (%(storage)s), not in MEDIA_ROOT: backups and restores do not "
        "include them; use the bucket's own versioning or replication."
    ) % {"storage": f"{type(storage).__module__}.{type(storage).__name__}"}


def default_backup_path() -> Path:
    """Return backups/pinghu-YYYYMMDD-HHMMSS.tar.gz in the project folder, by local time."""
    return Path(settings.BASE_DIR) / "backups" / f"pinghu-{timezone.localtime():%Y%m%d-%H%M%S}.tar.gz"


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(_("Backups support PostgreSQL and SQLite, not %(vendor)s.") % {"vendor": vendor})
    return vendor


def _vendor_name(vendor: str) -> str:
    return {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(vendor, vendor)


# PostgreSQL's command-line tools ------------------------------------------------------------


def _libpq() -> tuple[str, dict]:
    """Return the connection string for pg_dump, pg_restore and psql and their environment (the password)."""
    database = connection.settings_dict
    parts = {"dbname": database["NAME"], "host": database.get("HOST"), "port": database.get("PORT"),
             "user": database.get("USER")}
    parts.update({key: value for key, value in (database.get("OPTIONS") or {}).items() if key in LIBPQ_OPTIONS})

    def quoted(value) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    conninfo = " ".join(f"{key}={quoted(value)}" for key, value in parts.items() if value not in (None, ""))
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])  # never on the command line, where `ps` would show it
    return conninfo, env


def _run(command: list[str], env: dict) -> None:
    """Run one of PostgreSQL's tools; raise BackupError with its message when it fails or is missing."""
    try:
        finished = subprocess.run(command, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(
            _("%(tool)s was not found: install PostgreSQL's client tools (the same major version as the server).")
            % {"tool": command[0]}
        ) from None
    if finished.returncode != 0:
        detail = (finished.stderr or finished.stdout).strip().splitlines()[-5:]
        raise BackupError(_("%(tool)s failed: %(detail)s") % {"tool": command[0], "detail": " ".join(detail)})


# What a database holds -------------------------------------------------------------------------


def _table_counts(cursor, tables) -> dict[str, int]:
    quote = connection.ops.quote_name
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _applied_migrations(cursor) -> list[list[str]]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [list(row) for row in cursor.fetchall()]


def _media_files(root: Path) -> list[Path]:
    """Return the files under ROOT worth keeping (relative paths), transient uploads left out."""
    if not root.is_dir():
        return []
    files = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in TRANSIENT_MEDIA or not path.is_file():
            continue
        files.append(relative)
    return files


def tables_with_rows() -> dict[str, int]:
    """Return the tables of the configured database holding rows, beyond what `migrate` writes by itself."""
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor)) - MIGRATE_TABLES
        return {table: count for table, count in _table_counts(cursor, tables).items() if count}


# Backup ---------------------------------------------------------------------------------------


def backup_write(*, path: Path) -> Outcome:
    """Write the configured database and MEDIA_ROOT to the archive PATH; a failed backup leaves no file behind."""
    path = Path(path)
    vendor = _vendor()
    media_root = Path(settings.MEDIA_ROOT)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="pinghu-backup-") as folder:
        if vendor == "postgresql":
            database_file, tables, migrations = _postgres_dump(Path(folder) / POSTGRES_DUMP)
        else:
            database_file, tables, migrations = _sqlite_copy(Path(folder) / SQLITE_COPY)
        # The photos after the database: every photo the dump names was written before its row.
        media = _media_files(media_root)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.localtime().isoformat(timespec="seconds"),
            "database": {"vendor": vendor, "name": str(connection.settings_dict["NAME"]), "file": database_file.name},
            "migrations": migrations,
            "tables": tables,
            "media": {"files": len(media), "bytes": sum((media_root / name).stat().st_size for name in media)},
        }
        manifest_file = Path(folder) / MANIFEST
        manifest_file.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        try:
            with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
                archive.add(manifest_file, arcname=MANIFEST)
                archive.add(database_file, arcname=database_file.name)
                for name in media:
                    archive.add(media_root / name, arcname=f"{MEDIA}/{name.as_posix()}")
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return Outcome(path=path, manifest=manifest)


def _postgres_dump(target: Path) -> tuple[Path, dict, list]:
    """Dump with pg_dump from the snapshot the manifest's counts and migrations are read in."""
    conninfo, env = _libpq()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        tables = _table_counts(cursor, connection.introspection.table_names(cursor))
        migrations = _applied_migrations(cursor)
        # The snapshot stays valid while this transaction is open, that is while pg_dump runs.
        _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}", f"--dbname={conninfo}"], env)
    return target, tables, migrations


def _sqlite_copy(target: Path) -> tuple[Path, dict, list]:
    """Copy the database with SQLite's backup API (one consistent state while others write), then read the copy."""
    name = str(connection.settings_dict["NAME"])
    if not connection.is_in_memory_db() and not Path(name).is_file():
        raise BackupError(_("There is no SQLite database at %(path)s.") % {"path": name})
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        cursor = copy.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        tables = _table_counts(cursor, [row[0] for row in cursor.fetchall()])
        migrations = _applied_migrations(cursor) if "django_migrations" in tables else []
    except sqlite3.Error as error:
        raise BackupError(
            _("The SQLite database %(path)s could not be read: %(error)s") % {"path": name, "error": error}
        ) from None
    finally:
        copy.close()
    return target, tables, migrations


# Restore --------------------------------------------------------------------------------------


def _read_manifest(path: Path) -> dict:
    not_a_backup = BackupError(
        _("%(path)s is not a backup made by `make backup` (manage.py backup).") % {"path": path}
    )
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            manifest = json.loads(member.read().decode("utf-8"))
    except (OSError, KeyError, tarfile.TarError, ValueError, AttributeError):
        raise not_a_backup from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise not_a_backup
    return manifest


def _check_migrations(manifest: dict) -> set[tuple[str, str]]:
    """Refuse a backup made by a newer version of the code; return the migrations the backup lacks."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    in_backup = {tuple(migration) for migration in manifest["migrations"]}
    unknown = sorted(in_backup - known)
    if unknown:
        raise BackupError(
            _("The backup was made by a newer version of the tracker (migrations unknown here: %(names)s). "
              "Update the code first, then restore.")
            % {"names": "、".join(f"{app}.{name}" for app, name in unknown[:5])}
        )
    return known - in_backup


def backup_restore(*, path: Path, force: bool = False) -> Outcome:
    """Restore the archive PATH into the configured database and MEDIA_ROOT.

    Refuses, changing nothing, an archive that is not a backup, one of another
    database vendor or of a newer version of the code, and a database or media
    folder that already holds data unless FORCE (which replaces every table).
    Migrates afterwards when the backup predates migrations of this code.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("%(path)s does not exist.") % {"path": path})
    manifest = _read_manifest(path)
    vendor = _vendor()
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            _("This is a backup of a %(theirs)s database; it cannot be restored into %(ours)s.")
            % {"theirs": _vendor_name(manifest["database"]["vendor"]), "ours": _vendor_name(vendor)}
        )
    missing_migrations = _check_migrations(manifest)
    media_root = Path(settings.MEDIA_ROOT)
    if not force:
        holding = tables_with_rows()
        if holding:
            raise BackupError(
                _("The database %(name)s already holds data (%(count)s tables have rows, e.g. %(tables)s). "
                  "Restoring replaces all of it: run again with FORCE=1 (--force) if that is what you want.")
                % {"name": connection.settings_dict["NAME"], "count": len(holding),
                   "tables": "、".join(sorted(holding)[:3])}
            )
        present = _media_files(media_root)
        if present:
            raise BackupError(
                _("The media folder %(path)s already holds %(count)s files. "
                  "Restoring adds the backup's photos to them: run again with FORCE=1 (--force) if that is what you want.")
                % {"path": media_root, "count": len(present)}
            )
    with tempfile.TemporaryDirectory(prefix="pinghu-restore-") as folder:
        extracted = Path(folder)
        try:
            with tarfile.open(path, "r:gz") as archive:
                _extract(archive, extracted)
        except (OSError, tarfile.TarError) as error:
            raise BackupError(_("%(path)s could not be read: %(error)s") % {"path": path, "error": error}) from None
        database_file = extracted / manifest["database"]["file"]
        if not database_file.is_file():
            raise BackupError(_("%(path)s is not a backup made by `make backup` (manage.py backup).") % {"path": path})
        # Photos first: should the database step fail, the old database stays and only files were added.
        if (extracted / MEDIA).is_dir():
            shutil.copytree(extracted / MEDIA, media_root, dirs_exist_ok=True)
        if vendor == "postgresql":
            connections.close_all()
            _postgres_restore(database_file, Path(folder))
        else:
            _sqlite_restore(database_file)
    connections.close_all()
    _verify(manifest, media_root)
    migrated = 0
    if missing_migrations:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        migrated = len(missing_migrations)
    return Outcome(path=path, manifest=manifest, migrated=migrated)


def _extract(archive: tarfile.TarFile, folder: Path) -> None:
    """Extract ARCHIVE into FOLDER, refusing absolute paths, paths out of the folder, links and device files."""
    if hasattr(tarfile, "data_filter"):
        archive.extractall(folder, filter="data")
        return
    # Python before 3.11.4 has no extraction filters: allow plain files and folders inside FOLDER only.
    root = folder.resolve()
    for member in archive.getmembers():
        target = (folder / member.name).resolve()
        if not (member.isfile() or member.isdir()) or (root not in target.parents and target != root):
            raise tarfile.TarError(f"refused member {member.name}")
    archive.extractall(folder)


def _postgres_restore(dump: Path, folder: Path) -> None:
    """Replace every table of the database by the dump's in one transaction: it all happens, or none of it."""
    conninfo, env = _libpq()
    script = folder / "restore.sql"
    # pg_restore writes the script and stops on a damaged archive before psql changes anything.
    _run(["pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(dump)], env)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relkind, quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') ORDER BY 2"
        )
        existing = cursor.fetchall()
    connection.close()
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE", "f": "FOREIGN TABLE"}
    drops = "".join(f"DROP {kinds[kind]} IF EXISTS {name} CASCADE;\n" for kind, name in existing)
    prefixed = folder / "replace.sql"
    with prefixed.open("w", encoding="utf-8") as out, script.open(encoding="utf-8") as restore:
        out.write(drops)
        shutil.copyfileobj(restore, out)
    _run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", f"--file={prefixed}",
          f"--dbname={conninfo}"], env)


def _sqlite_restore(copy: Path) -> None:
    """Replace the database's content by the copy with SQLite's backup API (one locked write)."""
    connection.ensure_connection()
    source = sqlite3.connect(copy)
    try:
        source.backup(connection.connection)
    except sqlite3.Error as error:
        raise BackupError(
            _("The SQLite database %(path)s could not be written: %(error)s")
            % {"path": connection.settings_dict["NAME"], "error": error}
        ) from None
    finally:
        source.close()
    connection.close()


def _verify(manifest: dict, media_root: Path) -> None:
    """Check every table's row count and the photos against the manifest."""
    with connection.cursor() as cursor:
        restored = _table_counts(cursor, manifest["tables"].keys())
    wrong = sorted(table for table, count in manifest["tables"].items() if restored.get(table) != count)
    if wrong:
        raise BackupError(
            _("The restored database differs from the backup in %(tables)s; restore again with FORCE=1.")
            % {"tables": "、".join(wrong[:5])}
        )
    present = len(_media_files(media_root))
    if present < manifest["media"]["files"]:
        raise BackupError(
            _("Only %(present)s of the backup's %(files)s media files are in %(path)s.")
            % {"present": present, "files": manifest["media"]["files"], "path": media_root}
        )
