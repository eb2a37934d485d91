"""Processes run on the bench database: their environment, manage.py commands and gunicorn."""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .client import HttpClient
from .config import HOST, SERVER_TIMEOUT_SECONDS, STATEMENT_TIMEOUT_SECONDS, BenchError


def stop_process_group(process: subprocess.Popen | None, log_file) -> None:
    """Stop PROCESS, started in a session of its own: SIGTERM to its group, SIGKILL after 30 s; remove LOG_FILE."""
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    log_file.close()
    Path(log_file.name).unlink(missing_ok=True)


def server_environment(database_url: str, redis_url: str = "") -> dict[str, str]:
    """The environment of the server and of the commands run on the bench database: production settings, timed.

    Without REDIS_URL each worker caches in its own memory; the timed requests clear
    the cache of the worker that serves them either way (X-Clear-Cache).
    """
    environment = {
        key: value for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "ALLOWED_HOSTS", "SECURE_COOKIES", "PYTEST_CURRENT_TEST",
                       "REDIS_URL", "DATABASE_REPLICA_URL"}
    }
    if redis_url:
        environment["REDIS_URL"] = redis_url
    environment.update(
        DJANGO_SETTINGS_MODULE="pinghu.settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        TIMING_HEADERS="1",
        # The perf app and its timing middleware, whatever the caller's PRODUCTION says.
        DEV_APPS="1",
        # Plain HTTP on the loopback: no redirect to HTTPS, and cookies marked Secure would never come back.
        HTTPS_ONLY="0",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        # No collectstatic into the project folder; static files are not what is measured.
        PLAIN_STATIC_STORAGE="1",
    )
    return environment


def manage(database_url: str, *arguments: str, timeout: float = 3600,
           environment: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `manage.py ARGUMENTS` against DATABASE_URL (ENVIRONMENT adds to server_environment's); raise BenchError
    with its output when it fails."""
    result = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *arguments],
        cwd=settings.BASE_DIR, env={**server_environment(database_url), **(environment or {})},
        capture_output=True, text=True, timeout=timeout,
    )
    if result.returncode != 0:
        raise BenchError(f"manage.py {' '.join(arguments)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result


class GunicornServer:
    """gunicorn serving the bench database in a process group of its own; stopped on exit, errors and Ctrl-C."""

    def __init__(self, database_url: str, port: int, workers: int, redis_url: str = "",
                 environment: dict[str, str] | None = None):
        """ENVIRONMENT adds to (or overrides) server_environment's, e.g. MEDIA_ROOT or CACHE_KEY_PREFIX."""
        self.database_url, self.port, self.workers, self.redis_url = database_url, port, workers, redis_url
        self.environment = environment or {}
        self.process: subprocess.Popen | None = None
        self.log_file = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)

    def __enter__(self) -> "GunicornServer":
        gunicorn = Path(sys.executable).with_name("gunicorn")
        executable = str(gunicorn) if gunicorn.exists() else shutil.which("gunicorn")
        if executable is None:
            raise BenchError(_("gunicorn is not installed: pip install -r requirements.txt."))
        self.process = subprocess.Popen(
            [executable, "pinghu.wsgi", "--workers", str(self.workers), "--bind", f"{HOST}:{self.port}",
             "--timeout", str(SERVER_TIMEOUT_SECONDS), "--graceful-timeout", "10", "--no-control-socket"],
            cwd=settings.BASE_DIR,
            env={**server_environment(self.database_url, self.redis_url),
                 "PGOPTIONS": f"-c statement_timeout={STATEMENT_TIMEOUT_SECONDS}s", **self.environment},
            stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _log_tail(self) -> str:
        return Path(self.log_file.name).read_text(errors="replace")[-3000:]

    def _wait_until_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with status {self.process.returncode}:\n{self._log_tail()}")
            try:
                response = HttpClient(self.port, timeout=10).get("/accounts/login/")
            except OSError:
                time.sleep(0.2)
                continue
            if response.status != 200:
                raise BenchError(f"the login page answered HTTP {response.status} {response.headers.get('Location', '')}")
            if len(self.worker_pids()) == self.workers:
                return
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer on port {self.port} within {seconds:.0f} s:\n{self._log_tail()}")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def worker_rss_mb(self) -> dict[int, float]:
        """Return the resident memory (VmRSS) of each worker now, in MB, by process id."""
        sizes = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = int(line.split()[1]) / 1024
        return sizes

    def peak_worker_mb(self) -> float | None:
        """Return the largest peak resident memory (VmHWM) among the workers, in MB."""
        peaks = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks) if peaks else None

    def stop(self) -> None:
        """Stop gunicorn gracefully (SIGTERM to its group), killing it after 30 s; remove its log."""
        stop_process_group(self.process, self.log_file)


class ManageProcess:
    """A long-running `manage.py ARGUMENTS` beside the server (e.g. a task worker), in a process group of its own."""

    def __init__(self, database_url: str, *arguments: str, redis_url: str = "", environment: dict[str, str] | None = None):
        self.database_url, self.arguments, self.redis_url = database_url, arguments, redis_url
        self.environment = environment or {}
        self.process: subprocess.Popen | None = None
        self.log_file = tempfile.NamedTemporaryFile(prefix=f"bench-{arguments[0]}-", suffix=".log", delete=False)

    def __enter__(self) -> "ManageProcess":
        self.process = subprocess.Popen(
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *self.arguments],
            cwd=settings.BASE_DIR, env={**server_environment(self.database_url, self.redis_url), **self.environment},
            stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def exited(self) -> str | None:
        """Return why the process is no longer running (its status and last output), or None while it runs."""
        if self.process is None or self.process.poll() is None:
            return None
        tail = Path(self.log_file.name).read_text(errors="replace")[-2000:]
        return f"manage.py {' '.join(self.arguments)} exited with status {self.process.returncode}:\n{tail}"

    def stop(self) -> None:
        """Stop the process (SIGTERM to its group, SIGKILL after 30 s); remove its log."""
        stop_process_group(self.process, self.log_file)
