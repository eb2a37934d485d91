"""Settings for the test suite: the real settings with a fixed key, fast hashing and plain static files."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("PLAIN_STATIC_STORAGE", "1")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="pinghu-test-media-")
# A replica that mirrors the test database, for the router's tests (tests/quality/test_multihost.py): nothing reads
# from it unless a test installs pinghu.routers.ReplicaRouter.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
DATABASE_ROUTERS = []
# The test client and the live server speak plain HTTP (tests/quality/test_security.py checks the production values).
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Serve static files from the finders, so tests need no collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Tasks run in the request that enqueues them, progress in this process's memory; the tests that start a worker
# process (tests/quality/test_jobs_worker.py, tests/browser/test_ledger_jobs.py) switch both to shared stores.
TASKS = {"default": {"BACKEND": f"{TASKS_PACKAGE}.backends.immediate.ImmediateBackend"}}  # noqa: F405
CACHES["progress"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "progress"}  # noqa: F405
