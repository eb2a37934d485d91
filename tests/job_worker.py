"""A real task worker for the tests: `manage.py db_worker` in its own process, on the test database, sharing progress."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
# A heartbeat this short lets a test see a killed worker's job failed within seconds.
HEARTBEAT_SECONDS = 3


def shared_progress(settings, folder: Path) -> None:
    """Send this test's tasks to the database backend and its progress to files in FOLDER, which a worker reads too."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.CACHES = {**settings.CACHES, "progress": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(folder),
    }}
    settings.CLEARANCE_JOB_HEARTBEAT_SECONDS = HEARTBEAT_SECONDS


def worker_problem() -> str | None:
    """Return why a worker process cannot share this test's database, or None."""
    if connection.vendor != "postgresql":
        return "needs PostgreSQL (set DATABASE_URL): a worker process cannot share an in-memory SQLite test database"
    return None


class Worker:
    """`manage.py db_worker` with production settings (DEBUG off), on the test database, its log in FOLDER."""

    def __init__(self, folder: Path, progress: Path):
        database = connection.settings_dict
        credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
        environment = {
            key: value for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CACHE_")) and key not in {"DEBUG", "SECRET_KEY"}
        }
        environment.update(
            DJANGO_SETTINGS_MODULE="pinghu.settings",
            DATABASE_URL=f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}",
            CONN_MAX_AGE="0", DEBUG="0", SECRET_KEY="worker-test-key", PROGRESS_DIR=str(progress),
            CLEARANCE_JOB_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
        )
        self.log = folder / "db_worker.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay", "--no-reload"],
            cwd=ROOT, env=environment, stdout=self._log_file, stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL: no handler runs, as when the machine or the OOM killer stops it."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log_file.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def wait_for(condition, *, timeout: float, what: str, worker: Worker, interval: float = 0.02):
    """Return CONDITION()'s first true value, polled; fail with the worker's log after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"{what} did not happen within {timeout} s; the worker's log:\n{worker.output()}")
