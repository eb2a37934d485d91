"""The app served as in production for a browser: gunicorn, DEBUG off, whitenoise's compressed manifest storage
after collectstatic into a temporary STATIC_ROOT, on a database with the demo loaded."""

import shutil
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext as _

from ..bench.config import BenchConfig, BenchError, HOST
from ..bench.database import database_name, recreate_database, require_postgresql, with_database
from ..bench.prepare import prepare_base
from ..bench.server import GunicornServer, manage
from .config import FrontendError, SiteConfig

# prepare_base builds <name>_base: pinghu_frontend_base.
BASE_NAME = "pinghu_frontend"


def production_environment(static_root: Path, media_root: Path) -> dict[str, str]:
    """What a production deployment sets beyond the bench's server environment: the manifest storage (collected
    into STATIC_ROOT), no development app, no timing headers."""
    return {
        "PLAIN_STATIC_STORAGE": "0",
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(media_root),
        "DEV_APPS": "0",
        "PRODUCTION": "1",
        "TIMING_HEADERS": "0",
    }


def check_database(config: SiteConfig) -> None:
    """Refuse a database that cannot serve, before anything is built or started."""
    if config.sqlite:
        return
    engine = dj_database_url.parse(config.database_url)["ENGINE"]
    if config.existing and engine == "django.db.backends.sqlite3":
        if not Path(dj_database_url.parse(config.database_url)["NAME"]).is_file():
            raise FrontendError(_("No SQLite database at %(url)s.") % {"url": config.database_url})
        return
    try:
        require_postgresql(config.database_url, _(
            "The database must be PostgreSQL (postgres://…); --sqlite serves a temporary SQLite database instead."))
    except BenchError as error:
        raise FrontendError(str(error)) from None


class ProductionSite:
    """The app on gunicorn as production runs it, with the demo; `url` is its address while inside `with`.

    The static files are collected into a temporary folder and removed on exit with it; a database of its own is
    copied from the migrated demo (built once per code version, as the bench builds its base) and left in place
    for a later look, like the bench's.
    """

    def __init__(self, config: SiteConfig):
        self.config = config
        self.folder: Path | None = None
        self.server: GunicornServer | None = None
        self.database_url = config.database_url

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.config.port}"

    def __enter__(self) -> "ProductionSite":
        self.folder = Path(tempfile.mkdtemp(prefix="pinghu-frontend-"))
        try:
            self._prepare_database()
            environment = production_environment(self.folder / "static", self.folder / "media")
            self.config.log("collectstatic into a temporary STATIC_ROOT (compressed manifest storage)")
            manage(self.database_url, "collectstatic", "--no-input", "-v", "0", environment=environment)
            self.config.log(f"gunicorn with {self.config.workers} workers on port {self.config.port}, DEBUG off")
            self.server = GunicornServer(self.database_url, self.config.port, self.config.workers,
                                         environment=environment).__enter__()
        except BenchError as error:
            self.__exit__(None, None, None)
            raise FrontendError(str(error)) from None
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _prepare_database(self) -> None:
        config = self.config
        if config.sqlite:
            self.database_url = f"sqlite:///{self.folder / 'db.sqlite3'}"
            config.log("a temporary SQLite database: migrate, load_demo")
            manage(self.database_url, "migrate", "--no-input", "-v", "0")
            manage(self.database_url, "load_demo")
        elif not config.existing:
            # One migrated demo for the browser bench and Lighthouse, whatever their databases are called.
            base_url = prepare_base(BenchConfig(database_url=with_database(config.database_url, BASE_NAME),
                                                reuse_base=config.reuse_base, log=config.log))
            config.log(f"copying the migrated demo into {database_name(config.database_url)}")
            recreate_database(config.database_url, template=database_name(base_url))
