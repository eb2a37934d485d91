"""Settings for the Pinghu clearance tracker, read from the environment."""

import os
import secrets
import sys
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Return the environment variable NAME read as a boolean."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Return the comma-separated environment variable NAME as a list."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)


def serves_requests() -> bool:
    """Whether this process may serve requests: anything but a management command other than runserver."""
    argv = sys.argv
    is_manage_py = len(argv) > 1 and Path(argv[0]).name == "manage.py"
    return not is_manage_py or argv[1] in {"runserver", "testserver"}


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
    elif serves_requests():
        # A production server must never run with a key that is in the repository.
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    else:
        # migrate, load_demo, import_ledger … sign nothing, so a throwaway key is safe there.
        SECRET_KEY = secrets.token_urlsafe(50)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "simple_history",
    "pinghu.apps.AxesConfig",  # django-axes with a translated name
    "csp",
    "clearance",
]
# Background tasks: Django 6's django.tasks, or before it the django-tasks backport (its app, for its checks and
# logging). The database backend needs no server of its own; `manage.py db_worker` runs the tasks.
TASKS_PACKAGE = "django.tasks" if find_spec("django.tasks") else "django_tasks"
if TASKS_PACKAGE == "django_tasks":
    INSTALLED_APPS += ["django_tasks"]
INSTALLED_APPS += ["pinghu.apps.TasksDatabaseConfig"]  # django_tasks_db, with a translated name
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise, which serves static files compressed at collectstatic and answers before this runs.
    "pinghu.compression.TextGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Lets the read-only dashboard pages read from DATABASE_REPLICA_URL's replica (pinghu/routers.py).
    "pinghu.routers.ReplicaReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Before axes, so the lockout page axes renders carries the policy too.
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Development tools: the perf app (manage.py bench, bench_import, generate_scale) and its timing middleware,
# with django-import-export, the benchmark's baseline, from requirements-dev.txt. On wherever they are
# installed unless PRODUCTION or DEV_APPS=0 says otherwise: production settings never need them.
DEV_APPS = env_bool(
    "DEV_APPS",
    default=not env_bool("PRODUCTION") and (BASE_DIR / "perf").is_dir() and find_spec("import_export") is not None,
)
if DEV_APPS:
    INSTALLED_APPS += ["import_export", "perf"]
    # First, so it times everything; it answers without headers unless TIMING_HEADERS.
    MIDDLEWARE.insert(0, "perf.timing.ServerTimingMiddleware")

ROOT_URLCONF = "pinghu.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "pinghu.wsgi.application"

# SQLite in the project folder is the embedded default so that `make run`
# works on a bare machine; production and CI set DATABASE_URL to PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
# PostgreSQL's JIT compiler costs a page more than it saves: compiling the aggregates of a town's evaluation
# took 1.7 s of a 2.2 s query at a million rows, for queries that run in milliseconds without it. Off for the
# application's connections; DATABASE_JIT=server leaves it to the server (e.g. behind a pooler that refuses
# startup options).
if DATABASES["default"]["ENGINE"].endswith("postgresql") and os.environ.get("DATABASE_JIT", "off") != "server":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# A read replica of the primary, for the read-only dashboard pages only (pinghu/routers.py); every write and
# every other read goes to the primary. Unset, there is one database and no routing.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))
    )
    if "options" in DATABASES["default"].get("OPTIONS", {}):
        DATABASES["replica"].setdefault("OPTIONS", {})["options"] = DATABASES["default"]["OPTIONS"]["options"]
    DATABASE_ROUTERS = ["pinghu.routers.ReplicaRouter"]

# App servers keep nothing of their own, so any number of them can serve behind a load balancer: the cache is
# shared in Redis when REDIS_URL is set (local memory, one per worker, is enough for a single development
# server). Sessions live in the database, read through the cache when there is a shared one: a request then
# costs no session query, and a restarted or emptied Redis signs nobody out.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "pinghu"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
# The progress of background jobs (rows done, phase, heartbeat). Not the database: an import writes inside one
# transaction, so progress written through its connection would show only at the end, and a second connection
# to SQLite would wait for the import's write lock. Redis when there is one; else files in a private folder
# (never under MEDIA_ROOT) that the development server and the worker, two processes, both read.
PROGRESS_DIR = Path(os.environ.get("PROGRESS_DIR", BASE_DIR / "var" / "progress"))
CACHES["progress"] = (
    {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "pinghu") + "-progress",
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": PROGRESS_DIR}
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "pinghu.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("PASSWORD_MIN_LENGTH", "10"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clearance:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Chinese groups thousands with commas too (50,000) where a figure asks for grouping: pinghu/formats/.
FORMAT_MODULE_PATH = ["pinghu.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic's folder; the browser bench and Lighthouse collect into a temporary one.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("PLAIN_STATIC_STORAGE")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Photos go to S3-compatible object storage (MinIO, OSS, COS, S3…) when a bucket is named, so that app servers
# share them without a shared disk. The objects stay private; pinghu/media.py serves them to signed-in users.
# The keys come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which django-storages reads itself.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {"BACKEND": "pinghu.object_storage.PrivateS3Storage"}
    AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
    AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME") or None
    AWS_S3_ADDRESSING_STYLE = os.environ.get("AWS_S3_ADDRESSING_STYLE") or None
    AWS_DEFAULT_ACL = None  # the bucket's own: private
    AWS_QUERYSTRING_AUTH = True
    # A photo being served is spooled to disk past this size rather than held in the worker's memory.
    AWS_S3_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# django-tables2's bootstrap template with its body rows built in one pass (clearance/tables/one_pass.py).
DJANGO_TABLES2_TEMPLATE = "clearance/includes/_table.html"

# The figure rules of DOMAIN.md: a metric behind time progress by at most this
# many points is yellow, further behind is red. Places differ (some use 10/30).
CLEARANCE_YELLOW_BAND_POINTS = float(os.environ.get("CLEARANCE_YELLOW_BAND_POINTS", "10"))
# The battle board shows the most urgent cards of each column; the rest are a link away (a province has thousands).
CLEARANCE_BOARD_CARDS_PER_COLUMN = int(os.environ.get("CLEARANCE_BOARD_CARDS_PER_COLUMN", "30"))
# …and one column's full list shows this many cards a page.
CLEARANCE_BOARD_COLUMN_PAGE = int(os.environ.get("CLEARANCE_BOARD_COLUMN_PAGE", "200"))
# The most rows a table page shows when ?per_page= asks (more is a 400): the exports have every row anyway.
CLEARANCE_TABLE_MAX_PER_PAGE = int(os.environ.get("CLEARANCE_TABLE_MAX_PER_PAGE", "500"))

# Server-Timing and X-Query-Count headers on every response, for `manage.py bench` (perf.timing, loaded with
# DEV_APPS); off otherwise.
CLEARANCE_TIMING_HEADERS = env_bool("TIMING_HEADERS")

# A WSGI process (each gunicorn worker) compiles the templates and loads the catalogs before its first request,
# then keeps its long-lived objects out of the garbage collector's full passes (pinghu/warm.py).
CLEARANCE_GC_FREEZE = env_bool("CLEARANCE_GC_FREEZE", default=True)

# Photos recorded with progress: the largest upload accepted (a phone photo is
# 2–8 MB; HEIC less), the most pixels a photo may have, and the thumbnails' longest side.
# 50 MP admits the 48 MP phones (8064 × 6048); a JPEG that large is decoded at 1/8 of its
# size for the thumbnail (about 1 MP, a few MB), so it costs little whatever its pixels.
CLEARANCE_PHOTO_MAX_BYTES = int(float(os.environ.get("CLEARANCE_PHOTO_MAX_MB", "15")) * 1024 * 1024)
CLEARANCE_PHOTO_MAX_PIXELS = 50_000_000
# PNG, WebP and HEIC cannot be decoded at a fraction of their size: each is decoded whole,
# 3–4 bytes a pixel, every frame of an animation counted. 25 MP (about 100 MB decoded) admits
# the 24 MP HEIC photos iPhones take by default (5712 × 4284) and keeps a worker under 300 MB;
# a larger one is refused with a message asking for a JPEG. Ten of them take a few seconds.
CLEARANCE_PHOTO_MAX_DECODED_PIXELS = 25_000_000
# What one request may decode at full size, all its PNG, WebP and HEIC photos together: a
# 24 MP HEIC takes about a second to decode here, so 100 MP keeps a request to a few seconds.
CLEARANCE_PHOTOS_DECODED_PIXELS_PER_UPLOAD = 100_000_000
CLEARANCE_PHOTO_THUMBNAIL_PX = 480
CLEARANCE_PHOTOS_PER_UPLOAD = 10

# Ledger uploads on the web (admins): the largest file, the most rows per sheet (larger ledgers go
# through `manage.py import_ledger`), what a workbook may unpack to, and how many cells a sheet may
# span (the readers allocate the whole span). Shown in the upload form's help.
CLEARANCE_LEDGER_UPLOAD_MAX_BYTES = int(float(os.environ.get("CLEARANCE_LEDGER_UPLOAD_MAX_MB", "20")) * 1024 * 1024)
CLEARANCE_LEDGER_MAX_ROWS = int(os.environ.get("CLEARANCE_LEDGER_MAX_ROWS", "200000"))
CLEARANCE_LEDGER_MAX_UNPACKED_BYTES = int(float(os.environ.get("CLEARANCE_LEDGER_MAX_UNPACKED_MB", "256")) * 1024 * 1024)
CLEARANCE_LEDGER_SHEET_MAX_CELLS = int(os.environ.get("CLEARANCE_LEDGER_SHEET_MAX_CELLS", "5000000"))

# A change that moves the scores of a year and size class with more graded enterprises than this (as last scored)
# is scored by the task worker instead of inside the request: at a million a scheme change takes minutes.
CLEARANCE_SCORING_IN_REQUEST_MAX_ROWS = int(os.environ.get("CLEARANCE_SCORING_IN_REQUEST_MAX_ROWS", "50000"))

# Background jobs: a running job whose worker has given no sign of life for this many seconds is failed (the
# worker was killed; its transaction was rolled back). Uploads waiting for a confirmation are removed after
# this many hours (on the next upload, and by `manage.py prune_jobs` from cron).
CLEARANCE_JOB_HEARTBEAT_SECONDS = int(os.environ.get("CLEARANCE_JOB_HEARTBEAT_SECONDS", "60"))
CLEARANCE_JOB_UPLOAD_MAX_AGE_HOURS = float(os.environ.get("CLEARANCE_JOB_UPLOAD_MAX_AGE_HOURS", "24"))

# HTTPS: on by default in production, so `check --deploy` passes as shipped. A plain-HTTP intranet
# deployment sets HTTPS_ONLY=0; each part below can also be set on its own.
HTTPS_ONLY = env_bool("HTTPS_ONLY", default=not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=HTTPS_ONLY)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365) if HTTPS_ONLY else "0"))
# Only the tracker's own host name and its subdomains are concerned, not its siblings.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY") else None
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=HTTPS_ONLY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# No script reads the CSRF cookie: htmx takes the token from the page (base.html).
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Sessions end SESSION_HOURS after signing in, however busy the user: saving the
# session on every request would cost a write per page to slide the end along.
SESSION_COOKIE_AGE = int(float(os.environ.get("SESSION_HOURS", "8")) * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE")
SESSION_SAVE_EVERY_REQUEST = False

# Content Security Policy: every script and style sheet comes from this server
# (static/vendor); no inline script, no eval, no <style> element. Style
# *attributes* are allowed: ECharts writes its tooltips as HTML with style
# attributes, and so do the progress bars and simple_history's admin
# templates. They cannot run script, and default-src keeps CSS from loading
# anything from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        # Bootstrap draws its icons (menu toggler, select arrows, checks) as data: SVGs.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Sign-in throttling (django-axes): after LOGIN_FAILURE_LIMIT failures an account
# is locked for LOGIN_LOCKOUT_MINUTES from the address that failed. Keyed on the
# pair, so one person mistyping behind an office's shared address locks nobody
# else, and nobody elsewhere can lock a user out by typing their name wrongly.
# Behind the proxy (BEHIND_HTTPS_PROXY) the address is the one the proxy saw.
AUTHENTICATION_BACKENDS = [
    # First: a locked-out account is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "pinghu.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "pinghu.lockout.client_address"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
