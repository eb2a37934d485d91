"""Harness for the browser tests: Debian's Chromium, the live server, the demo, screenshots."""

import io
import os
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, connections, transaction

from perf.frontend.config import CHROMIUM, CHROMIUM_FLAGS

# Playwright's sync API runs an event loop in this thread; without this the
# database teardown of live_server tests raises SynchronousOnlyOperation.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

SKIP_MESSAGE = (
    "Chromium not found at /usr/bin/chromium: browser tests skipped "
    "(apt-get install -y chromium fonts-wqy-microhei)"
)
DEMO_PASSWORD = "demo-pass-2022"
BROWSER_DIR = Path(__file__).resolve().parent
SCREENSHOTS = BROWSER_DIR.parents[1] / "screenshots"
# A phone held upright (iPhone X/11 Pro size): officials record progress on site.
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test of this folder `browser`; skip them all where Chromium is missing."""
    # tryfirst: the marker must be on before `-m "not browser"` deselects.
    chromium_missing = not CHROMIUM.exists()
    for item in items:
        if BROWSER_DIR not in Path(item.path).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if chromium_missing:
            item.add_marker(pytest.mark.skip(reason=SKIP_MESSAGE))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium (Playwright's own browsers cannot be downloaded here)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": list(CHROMIUM_FLAGS),
    }


@pytest.fixture(scope="session")
def playwright(playwright):
    """Close the database connections Django opened while Playwright ran, before it stops.

    Playwright's sync API keeps an asyncio loop running in this thread, and
    while it runs Django keeps this thread's connections in a context-local
    store apart from the usual thread-local one. Tests after the browser tests
    open a second connection there; left open, it makes dropping the test
    database at the end of the session fail ("being accessed by other users").
    """
    yield playwright
    connections.close_all()


@pytest.fixture(scope="session")
def base_url():
    """Use no base URL: tests build theirs from live_server.url.

    This replaces pytest-playwright's fallback fixture, a method of a plugin
    object, which pytest 9 warns about.
    """
    return None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Browse as a user in Pinghu would: Chinese first, China's time zone."""
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def _snapshot_take() -> list[tuple[type, list[dict]]]:
    """Return every row of the database, model by model (m2m tables included), as serialized data."""
    snapshot = []
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if opts.proxy or not opts.managed or opts.label == "sessions.Session":
            continue
        rows = serializers.serialize("python", model._base_manager.order_by("pk"))
        if rows:
            snapshot.append((model, rows))
    return snapshot


def _snapshot_restore(snapshot: list[tuple[type, list[dict]]]) -> None:
    """Insert the rows of SNAPSHOT, with their primary keys, into the flushed database."""
    with transaction.atomic():
        # The flush after the previous test ran migrate's post_migrate signal,
        # which recreated these two tables with other keys than the snapshot's.
        Permission.objects.all().delete()
        ContentType.objects.all().delete()
        for model, rows in snapshot:
            # m2m values are restored from the snapshot's own through-table rows.
            objs = [item.object for item in serializers.deserialize("python", rows)]
            model._base_manager.bulk_create(objs)
        # New rows of later writes must not collide with the restored keys (PostgreSQL).
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [model for model, _ in snapshot]):
                cursor.execute(sql)
    ContentType.objects.clear_cache()


@pytest.fixture(scope="session")
def _demo_snapshot() -> dict:
    """Hold the rows load_demo wrote, taken by the first test of the session that used `demo`."""
    return {}


@pytest.fixture
def demo(transactional_db, _demo_snapshot):
    """Load the Pinghu demo and its users for one test.

    live_server tests flush the database after each test, and load_demo takes
    tens of seconds here, so the first test of the session runs load_demo and
    keeps a snapshot of the rows it wrote; later tests insert those rows again
    in bulk, in a second or so. Fields filled on insert (auto_now_add) get the
    time of the restore, as they would from a fresh load_demo.
    """
    if "rows" in _demo_snapshot:
        _snapshot_restore(_demo_snapshot["rows"])
    else:
        call_command("load_demo", stdout=io.StringIO())
        _demo_snapshot["rows"] = _snapshot_take()


@pytest.fixture
def phone_page(browser, browser_context_args):
    """Return a page in a phone-sized context (375×812, touch)."""
    context = browser.new_context(**{**browser_context_args, **PHONE})
    yield context.new_page()
    context.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot of PAGE as screenshots/NAME.png and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def submit_login(page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    """Open the login page, fill the form as USERNAME and press its submit button."""
    page.goto(f"{live_server.url}/accounts/login/")
    form = page.locator("form", has=page.locator("input[name='password']"))
    form.locator("input[name='username']").fill(username)
    form.locator("input[name='password']").fill(password)
    form.locator("button:not([type='button']):not([type='reset']), input[type='submit']").first.click()


def login(page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form as USERNAME and wait for the page the role lands on.

    Leaders and admins land on the dashboard (/), officials on their workspace (/workspace/…).
    """
    submit_login(page, live_server, username, password)
    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/(workspace/.*)?$"))


# Scrolls down a screen at a time to the bottom, letting each screen's lazily drawn charts draw.
_SCROLL_THROUGH = """
async () => {
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  for (let y = 0; ; y += window.innerHeight / 2) {
    // Instant: Bootstrap makes the page's own scrolling smooth.
    window.scrollTo({ top: y, behavior: "instant" });
    await frame();
    if (window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 1) break;
  }
  await frame();
}
"""


def scroll_through(page) -> None:
    """Scroll PAGE from top to bottom as a reader would: the charts are drawn as they come into view."""
    # The page's deferred scripts have run by then, the charts' observer among them.
    page.wait_for_load_state("domcontentloaded")
    page.evaluate(_SCROLL_THROUGH)
