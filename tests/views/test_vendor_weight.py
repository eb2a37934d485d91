"""What a phone downloads for the dashboard's scripts: the vendored libraries stay within the weight issue 16 allows."""

import gzip
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.urls import reverse

# A first visit on a slow mobile network (1.6 Mbit/s) should stay near 250 KB in all; the full ECharts bundle
# alone was 368 KB gzipped.
VENDOR_SCRIPTS_LIMIT = 250 * 1024
SCRIPT_SRC = re.compile(r'<script\b[^>]*\bsrc="([^"]+)"')


def vendored_scripts(page: str) -> list[str]:
    """Return the path under static/ of every script of PAGE that comes from static/vendor/."""
    vendor_url = f"{settings.STATIC_URL}vendor/"
    return [
        src.removeprefix(settings.STATIC_URL).split("?")[0]
        for src in SCRIPT_SRC.findall(page)
        if src.startswith(vendor_url)
    ]


def served_gzipped(path: str) -> int:
    """Return the size of the static file PATH gzipped as whitenoise serves it (level 9)."""
    found = finders.find(path)
    assert found, f"{path} is not a static file"
    with open(found, "rb") as file:
        return len(gzip.compress(file.read(), compresslevel=9))


@pytest.fixture
def leader_client(client, demo_db, db):
    # `db` too: pytest-django sets the test database up only for the tests that ask for it.
    client.force_login(get_user_model().objects.get(username="leader"))
    return client


def test_the_dashboards_vendored_scripts_stay_under_250_kb_gzipped(leader_client):
    response = leader_client.get(reverse("clearance:home"))
    page = response.content.decode()

    scripts = vendored_scripts(page)
    # The demo's dashboard draws every kind of chart, so the chart library is among them.
    assert set(re.findall(r'data-chart="([a-z]+)"', page)) == {"trend", "towns", "classes", "economy"}
    assert "vendor/echarts/echarts.custom.min.js" in scripts
    sizes = {path: served_gzipped(path) for path in scripts}
    total = sum(sizes.values())
    detail = ", ".join(f"{path} {size / 1024:.1f} KB" for path, size in sizes.items())
    assert total <= VENDOR_SCRIPTS_LIMIT, f"vendored scripts {total / 1024:.1f} KB gzipped (limit 250 KB): {detail}"


def test_every_script_is_deferred_and_names_no_missing_source_map(leader_client):
    page = leader_client.get(reverse("clearance:home")).content.decode()

    tags = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", page)
    assert tags and [tag for tag in tags if " defer" not in tag] == []
    # whitenoise's manifest storage refuses to collect a file naming a source map that is not there.
    for path in vendored_scripts(page):
        with open(finders.find(path), "rb") as file:
            assert b"sourceMappingURL" not in file.read(), path
