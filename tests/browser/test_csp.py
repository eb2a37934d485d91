"""The Content Security Policy in a browser: the pages, their charts and the admin work under it with no violation."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from clearance.models import Event, Site

from .test_dashboard import DASHBOARD_CHARTS
from .conftest import login, scroll_through

pytestmark = pytest.mark.browser

# Runs before the page's own scripts (Playwright injects it, so the policy does not apply to it): it records
# every violation the browser reports, and replaces window.print so that printing can be seen without a dialog.
WATCH_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + event.sourceFile + ":" + event.lineNumber);
});
window.printed = 0;
window.print = function () { window.printed += 1; };
"""


@pytest.fixture
def watched_page(page):
    """Return PAGE recording policy violations, console errors and uncaught exceptions; assert none at the end."""
    page.add_init_script(WATCH_VIOLATIONS)
    errors = []
    page.on(
        "console",
        lambda message: message.type == "error"
        and not message.location.get("url", "").endswith("/favicon.ico")
        and errors.append(message.text),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors
    yield page


def visit(page, url: str) -> None:
    """Open URL, assert the response carries the strict policy, and wait until the page has settled."""
    response = page.goto(url)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert response.headers["x-frame-options"] == "DENY"
    page.wait_for_load_state("networkidle")


def assert_no_violation(page) -> None:
    assert page.evaluate("window.cspViolations") == []
    assert page.console_errors == []


def test_csp_dashboard_draws_its_charts_and_tooltips_without_violation(watched_page, live_server, demo):
    page = watched_page
    login(page, live_server, "leader")

    visit(page, f"{live_server.url}/")
    scroll_through(page)
    expect(page.locator("[data-chart] canvas")).to_have_count(DASHBOARD_CHARTS)
    # A tooltip is HTML that ECharts writes with style attributes: the policy lets those through (not scripts).
    chart = page.locator("[data-chart='trend']").first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    tooltip = chart.locator(":scope > div").nth(1)
    expect(tooltip).to_contain_text("累计完成")
    expect(tooltip.locator("span").first).to_have_css("width", "10px")

    assert_no_violation(page)


def test_csp_site_page_opens_the_record_form_as_the_official(watched_page, live_server, demo):
    page = watched_page
    site = Site.objects.get(name="原胜利钢厂地块")
    login(page, live_server, "official")

    visit(page, f"{live_server.url}/sites/{site.pk}/")
    page.locator("[data-record-button]").first.click()
    expect(page.locator("#record-modal")).to_be_visible()

    assert_no_violation(page)


def test_csp_board_and_bulletin_work_for_the_leader(watched_page, live_server, demo):
    page = watched_page
    login(page, live_server, "leader")

    visit(page, f"{live_server.url}/board/")
    expect(page.locator("[data-column-count]").first).to_be_visible()
    visit(page, f"{live_server.url}/bulletin/")
    page.get_by_role("button", name="打印").click()

    assert page.evaluate("window.printed") == 1
    assert_no_violation(page)


def test_csp_admin_pages_work_for_the_admin(watched_page, live_server, demo):
    page = watched_page
    event = Event.objects.filter(enterprise__isnull=False).first()
    official = get_user_model().objects.get(username="official")
    login(page, live_server, "admin")

    visit(page, f"{live_server.url}/admin/")
    visit(page, f"{live_server.url}/admin/clearance/pairing/")
    # The action bar's script counts the selected rows.
    page.locator("#result_list tbody input.action-select").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1")
    visit(page, f"{live_server.url}/admin/clearance/event/{event.pk}/change/")
    # The date widget's calendar is drawn by the admin's script.
    page.locator(".datetimeshortcuts a").last.click()
    expect(page.locator(".calendarbox").first).to_be_visible()
    visit(page, f"{live_server.url}/admin/auth/user/{official.pk}/change/")
    visit(page, f"{live_server.url}/admin/clearance/pairing/add/")
    # The town field is an autocomplete (select2) that asks the server as one types.
    page.locator(".field-town .select2-selection").click()
    page.locator(".select2-search__field").fill("曹桥")
    expect(page.locator(".select2-results__option", has_text="曹桥街道")).to_be_visible()
    visit(page, f"{live_server.url}/admin/auth/user/add/")

    assert_no_violation(page)
