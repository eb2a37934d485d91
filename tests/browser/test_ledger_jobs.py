"""A 10,000-row ledger uploaded on the page: a progress bar that advances, survives a reload, and import_ledger's result."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from clearance.ledger import ledger_import
from clearance.models import BackgroundJob, Enterprise, Event, Site

from tests.factories import TownFactory
from tests.ledger.test_import import enterprise_row, site_row, write_xlsx

from .conftest import DEMO_PASSWORD, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROWS = 10_000


def large_ledger(tmp_path):
    sites = [site_row(name=f"地块{number:05d}", area="5", vacated="2022-04-01") for number in range(ROWS // 2)]
    enterprises = [enterprise_row(name=f"企业{number:05d}", site=f"地块{number:05d}", closed="2022-03-28")
                   for number in range(ROWS // 2)]
    return write_xlsx(tmp_path, sites, enterprises)


def records() -> dict:
    return {
        "sites": sorted(Site.objects.values_list("town__name", "name", "area_mu", "land_use"), key=repr),
        "enterprises": sorted(Enterprise.objects.values_list("name", "site__name", "disposal", "annual_energy_tce"), key=repr),
        "events": sorted(Event.objects.values_list("enterprise__name", "site__name", "stage", "occurred_on"), key=repr),
    }


READ_PROGRESS = """(done) => document.querySelector(done) ? "done"
    : (document.querySelector("[data-rows-done]") || {dataset: {}}).dataset.rowsDone || null"""


def rows_seen_until(page, done_selector: str, *, reload_after_first: bool, timeout: float = 180) -> list[int]:
    """Read the progress bar's rows done until DONE_SELECTOR shows; reload the page once, after the first reading."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = page.evaluate(READ_PROGRESS, done_selector)
        except PlaywrightError:  # the page is loading: read again
            value = None
        if value == "done":
            return seen
        if value is not None and (not seen or seen[-1] != int(value)):
            seen.append(int(value))
            if reload_after_first and len(seen) == 1:
                page.reload()
        time.sleep(0.05)
    pytest.fail(f"{done_selector} did not show within {timeout} s; rows done seen: {seen}")


def test_a_large_ledger_shows_its_progress_survives_a_reload_and_imports_as_import_ledger_does(
    page, live_server, worker, tmp_path
):
    TownFactory(name="曹桥街道")
    admin = get_user_model().objects.create_superuser("admin", "a@example.org", DEMO_PASSWORD)
    path = large_ledger(tmp_path)
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/ledger/import/")
    expect(page.locator("[data-ledger-limits]")).to_contain_text("每张表不超过 200,000 行")

    page.locator("input[name='workbook']").set_input_files(path)
    page.get_by_role("button", name="检查台账").click()
    page.wait_for_url(re.compile(r".*/ledger/import/\d+/$"))
    job_url = page.url
    checked = rows_seen_until(page, "[data-ledger-confirm]", reload_after_first=True)
    shot(page, "ledger_job_preview")

    page.get_by_role("button", name="导入", exact=True).click()
    imported = rows_seen_until(page, "[data-ledger-imported]", reload_after_first=False)
    shot(page, "ledger_job_done")

    # The bar advanced: at least two different counts of rows, growing, during the check (which a reload survived).
    assert len(set(checked)) >= 2, checked
    assert checked == sorted(checked) and max(checked) <= ROWS
    assert page.url == job_url
    job = BackgroundJob.objects.get()
    assert (job.status, job.rows_done, job.rows_total) == ("succeeded", ROWS, ROWS)
    lines = page.locator("[data-result-line]").all_inner_texts()
    assert lines == job.result["lines"]
    # Visited again from the list of recent imports, the page shows the same result.
    page.goto(f"{live_server.url}/ledger/import/")
    page.locator(f'[data-job="{job.pk}"] a').click()
    expect(page.locator("[data-result-line]")).to_have_text(lines)
    through_the_web = records()
    Event.objects.all().delete()
    Enterprise.objects.all().delete()
    Site.objects.all().delete()

    report = ledger_import(path=path, user=admin)

    assert report.lines() == lines
    assert records() == through_the_web
    assert len(through_the_web["sites"]) == ROWS // 2
    print(f"rows done seen while checking: {checked}; while importing: {imported}")
