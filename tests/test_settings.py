"""Settings come from the environment and refuse an unsafe production start."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
