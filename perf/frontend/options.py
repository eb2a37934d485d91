"""The options the browser bench and Lighthouse share: the pages, the database, the server; checked before anything
is touched."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from .config import DEFAULT_DATABASE_URL, PAGES, SiteConfig


def add_site_arguments(parser, *, port: int, default_pages: tuple[str, ...]) -> None:
    parser.add_argument(
        "--pages", default=",".join(default_pages),
        help=f"comma-separated pages, or all (default {','.join(default_pages)}); known: {', '.join(PAGES)}")
    parser.add_argument(
        "--database-url", default=None,
        help=f"PostgreSQL database of its own, dropped and recreated from the migrated demo (default "
             f"{DEFAULT_DATABASE_URL}; the demo is built once per code version into pinghu_frontend_base)")
    parser.add_argument("--existing-database", metavar="URL",
                        help="serve this database as it is (migrated, with the demo users leader and official): never dropped; "
                             "only signing in writes to it")
    parser.add_argument("--sqlite", action="store_true",
                        help="serve a temporary SQLite database (migrate, load_demo) instead of PostgreSQL")
    parser.add_argument("--rebuild-base", action="store_true",
                        help="build the migrated demo again even when one from the same code exists")
    parser.add_argument("--port", type=int, default=port, help=f"gunicorn's port (default {port})")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's workers (default 2)")
    parser.add_argument("--json", dest="json_path", help="also save the raw results to this file")


def pages_argument(text: str) -> tuple[str, ...]:
    """Parse --pages: known page keys separated by commas (each once), or all."""
    if text.strip() == "all":
        return tuple(PAGES)
    keys = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [key for key in keys if key not in PAGES]
    if not keys or unknown:
        raise CommandError(_("--pages: unknown page(s) %(unknown)s; known: %(known)s, or all.")
                           % {"unknown": ", ".join(unknown) or "“”", "known": ", ".join(PAGES)})
    if len(set(keys)) != len(keys):
        raise CommandError(_("--pages names a page twice (got “%(text)s”).") % {"text": text})
    return keys


def site_config(options: dict, log) -> SiteConfig:
    """The server's settings from the options, or CommandError for a combination that makes no sense."""
    chosen = [name for name, given in (("--database-url", options["database_url"]),
                                       ("--existing-database", options["existing_database"]),
                                       ("--sqlite", options["sqlite"])) if given]
    if len(chosen) > 1:
        raise CommandError(_("Choose one database: %(options)s exclude each other.") % {"options": ", ".join(chosen)})
    if options["rebuild_base"] and (options["existing_database"] or options["sqlite"]):
        raise CommandError(_("--rebuild-base builds the database of its own; it does nothing with %(option)s.")
                           % {"option": chosen[0]})
    if not 1024 <= options["port"] <= 65535:
        raise CommandError(_("--port must be between 1024 and 65535."))
    if options["workers"] < 1:
        raise CommandError(_("--%(option)s must be at least %(minimum)s.") % {"option": "workers", "minimum": 1})
    for option in ("database_url", "existing_database"):
        url = options[option]
        if url is not None and "://" not in url:
            raise CommandError(_("--%(option)s takes a database URL such as postgres://user@host:5432/name (got "
                                 "“%(url)s”).") % {"option": option.replace("_", "-"), "url": url})
    return SiteConfig(
        database_url=options["existing_database"] or options["database_url"] or DEFAULT_DATABASE_URL,
        existing=bool(options["existing_database"]), sqlite=options["sqlite"],
        reuse_base=not options["rebuild_base"], port=options["port"], workers=options["workers"], log=log,
    )
