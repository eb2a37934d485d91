"""Settings come from the environment and refuse an unsafe production start."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_settings(**env) -> subprocess.CompletedProcess:
    """Load pinghu.settings in a fresh interpreter with only ENV set, and print a few values."""
    environment = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "ALLOWED_HOSTS"}}
    environment.update(env, DJANGO_SETTINGS_MODULE="pinghu.settings")
    code = (
        "import django; from django.conf import settings; django.setup();"
        "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.ALLOWED_HOSTS,"
        " settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.USE_TZ)"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)


def test_production_refuses_to_start_without_a_secret_key():
    result = run_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_development_starts_on_sqlite_without_configuration():
    result = run_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3", "['127.0.0.1',", "'localhost',", "'[::1]']", "zh-hans", "Asia/Shanghai", "True"]


def test_database_and_hosts_come_from_the_environment():
    result = run_settings(
        SECRET_KEY="x" * 50, DATABASE_URL="postgres://u:p@db.example:5432/pinghu", ALLOWED_HOSTS="a.example, b.example"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:4] == ["False", "django.db.backends.postgresql", "['a.example',", "'b.example']"]


def test_the_wsgi_server_refuses_to_start_without_a_secret_key():
    environment = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "-c", "import pinghu.wsgi"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_management_commands_that_serve_nothing_run_without_a_secret_key(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--plan"], cwd=ROOT, env=environment, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "clearance.0001_initial" in result.stdout


# Beyond one machine: the shared cache, the read replica and object storage come from the environment too.

SCALE_OUT_VARIABLES = ("REDIS_URL", "DATABASE_REPLICA_URL", "AWS_", "CACHE_KEY_PREFIX")


def scale_out_settings(**env) -> dict:
    """Load pinghu.settings in a fresh interpreter with only ENV of the scale-out variables set; return what they chose."""
    import json

    environment = {
        key: value for key, value in os.environ.items()
        if not key.startswith(SCALE_OUT_VARIABLES) and key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="pinghu.settings", SECRET_KEY="x" * 50, DEBUG="0")
    code = (
        "import json, django; from django.conf import settings; django.setup();"
        "from django.core.files.storage import default_storage;"
        "print(json.dumps({'cache': settings.CACHES['default'], 'sessions': settings.SESSION_ENGINE,"
        " 'databases': {alias: db.get('HOST', '') for alias, db in settings.DATABASES.items()},"
        " 'routers': settings.DATABASE_ROUTERS,"
        " 'storage_class': default_storage.__class__.__module__ + '.' + default_storage.__class__.__name__,"
        " 'bucket': getattr(default_storage, 'bucket_name', None), 'endpoint': getattr(default_storage, 'endpoint_url', None),"
        " 'photo_url': default_storage.url('photos/2022/04/a.jpg')}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_one_server_keeps_a_local_cache_database_sessions_and_photos_on_disk():
    chosen = scale_out_settings()

    assert chosen["cache"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert chosen["sessions"] == "django.contrib.sessions.backends.db"
    assert list(chosen["databases"]) == ["default"]
    assert chosen["routers"] == []
    assert chosen["storage_class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert chosen["photo_url"] == "/media/photos/2022/04/a.jpg"


def test_redis_url_shares_the_cache_and_the_sessions_between_servers():
    chosen = scale_out_settings(REDIS_URL="redis://cache.example:6379/2")

    assert chosen["cache"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.example:6379/2",
        "KEY_PREFIX": "pinghu",
    }
    assert chosen["sessions"] == "django.contrib.sessions.backends.cached_db"


def test_replica_url_adds_a_replica_and_the_router():
    chosen = scale_out_settings(DATABASE_REPLICA_URL="postgres://reader:pw@replica.example:5432/pinghu")

    assert chosen["databases"] == {"default": "", "replica": "replica.example"}
    assert chosen["routers"] == ["pinghu.routers.ReplicaRouter"]


def test_bucket_puts_photos_in_private_object_storage_behind_the_app():
    chosen = scale_out_settings(
        AWS_STORAGE_BUCKET_NAME="pinghu-photos", AWS_S3_ENDPOINT_URL="http://minio.example:9000",
        AWS_ACCESS_KEY_ID="key", AWS_SECRET_ACCESS_KEY="secret",
    )

    assert chosen["storage_class"] == "pinghu.object_storage.PrivateS3Storage"
    assert (chosen["bucket"], chosen["endpoint"]) == ("pinghu-photos", "http://minio.example:9000")
    # Pages link to the app's sign-in-checked view, never to the object store.
    assert chosen["photo_url"] == "/media/photos/2022/04/a.jpg"
