"""Fixtures shared by the whole suite: the language, the roles, media, a small world, and the demo."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.utils import translation

from clearance.permissions import LEADERS_GROUP, OFFICIALS_GROUP

from tests.factories import TownFactory
from tests.job_worker import Worker, shared_progress, worker_problem
from tests.url_rules import build_world

# Where this process (one xdist worker) keeps a dump of what load_demo wrote: load_demo takes tens of seconds,
# loaddata a few.
_DEMO_DUMP: dict[str, Path] = {}


@pytest.fixture(autouse=True)
def reset_language():
    """Start every test in the site's default language.

    LocaleMiddleware activates a request's language in the test's thread and
    nothing deactivates it, so an English request would leak into later tests.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def leader(db):
    user = get_user_model().objects.create_user("test-leader", password="pw-leader-1")
    user.groups.add(Group.objects.get_or_create(name=LEADERS_GROUP)[0])
    return user


@pytest.fixture
def official(db):
    user = get_user_model().objects.create_user("test-official", password="pw-official-1")
    user.groups.add(Group.objects.get_or_create(name=OFFICIALS_GROUP)[0])
    return user


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Give the test a MEDIA_ROOT of its own, alone inside a folder of its own (so a file written beside it shows); return it."""
    root = tmp_path / "outer" / "media"
    root.mkdir(parents=True)
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def world(db):
    """The small world of tests/url_rules.py: two paired towns, each with a site, an enterprise and its official; a parcel, an event, a leader, an admin."""
    return build_world()


@pytest.fixture
def as_official(client, world):
    """The test client, signed in as the world's official."""
    client.force_login(world.official)
    return client


@pytest.fixture
def ledger_towns(db):
    """The two towns the ledger tests import into: 曹桥街道 and 林埭镇."""
    return TownFactory(name="曹桥街道"), TownFactory(name="林埭镇")


@pytest.fixture(scope="module")
def demo_db(django_db_setup, django_db_blocker, tmp_path_factory):
    """Load the Pinghu demo once for a module's tests and roll it back after them.

    The first module of this process to ask for it runs load_demo and keeps a
    dump of the rows it wrote; later modules load that dump. Each test's own
    transaction (pytest-django's `db`) is a savepoint inside this one, so what a
    test writes is undone and the demo stays. pytest runs a module's tests that
    use this fixture after those that do not, so the others never see the demo.
    """
    with django_db_blocker.unblock():
        with transaction.atomic():
            if "path" in _DEMO_DUMP:
                call_command("loaddata", str(_DEMO_DUMP["path"]), verbosity=0)
            else:
                call_command("load_demo", stdout=io.StringIO())
                path = tmp_path_factory.mktemp("demo") / "demo.json"
                call_command(
                    "dumpdata",
                    natural_foreign=True,
                    natural_primary=True,
                    exclude=["contenttypes", "auth.permission", "sessions", "admin.logentry"],
                    output=str(path),
                    verbosity=0,
                )
                _DEMO_DUMP["path"] = path
            yield
            transaction.set_rollback(True)


@pytest.fixture
def worker(settings, tmp_path, transactional_db):
    """A task worker process (manage.py db_worker) on the test database, sharing its progress with this process.

    Skips where it cannot run (SQLite); the tasks of the test go to the database backend.
    """
    problem = worker_problem()
    if problem:
        pytest.skip(problem)
    progress = tmp_path / "progress"
    shared_progress(settings, progress)
    running = Worker(tmp_path, progress)
    yield running
    running.stop()
