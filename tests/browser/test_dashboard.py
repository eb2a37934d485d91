"""The leaders' dashboard in a browser: the demo's cards and charts, another month, a town, the xlsx downloads."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from clearance import selectors
from clearance.models import Town

from .conftest import login, scroll_through, shot

pytestmark = pytest.mark.browser


def collect_errors(page) -> list[str]:
    """Record the page's console errors and uncaught exceptions (the browser's own favicon request aside)."""
    errors = []

    def on_console(message):
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


# The dashboard's charts: the city's metrics, the trend, the towns, the counties, the evaluation's class mix, and
# the economy's growth by month.
DASHBOARD_CHARTS = 6


def expect_charts_drawn(page, count: int) -> None:
    """Every chart box holds a canvas ECharts drew into, once the reader has scrolled to it (tests/browser/test_charts.py
    checks what each chart shows)."""
    expect(page.locator("[data-chart]")).to_have_count(count)
    scroll_through(page)
    expect(page.locator("[data-chart] canvas")).to_have_count(count)


def card_value(page, key: str) -> str:
    return page.locator(f'[data-figure="{key}"] .figure-value').inner_text().strip()


def test_leader_reads_the_dashboard_changes_the_month_opens_a_town_and_downloads_xlsx(page, live_server, demo, tmp_path):
    errors = collect_errors(page)
    july = selectors.city_figures(year=2022, month=7)
    caoqiao = Town.objects.get(name="曹桥街道")

    login(page, live_server, "leader")

    expect(page.locator("[data-period]").first).to_have_attribute("data-period", "2022-08")
    expect(page.locator("[data-figure]")).to_have_count(3)
    assert [card_value(page, key) for key in ("enterprises_rectified", "land_vacated_mu", "energy_freed_tce")] == [
        "190", "3,163", "50,000",
    ]
    expect(page.locator('[data-figure="land_vacated_mu"] [data-completion]')).to_have_text("126.5%")
    expect_charts_drawn(page, DASHBOARD_CHARTS)
    shot(page, "dashboard_desktop")

    with page.expect_download() as ranking_download:
        page.locator('[data-exports] [data-export="xlsx"]').click()
    ranking_path = tmp_path / "ranking.xlsx"
    ranking_download.value.save_as(ranking_path)
    *_, city_row = load_workbook(ranking_path).active.iter_rows(values_only=True)
    assert city_row[1:2] + city_row[4:5] == ("全市", 190)

    page.select_option("#period-month", "7")
    page.locator("[data-period-form] button[type=submit]").click()
    page.wait_for_url("**/?year=2022&month=7")

    expect(page.locator("[data-period]").first).to_have_attribute("data-period", "2022-07")
    assert card_value(page, "enterprises_rectified") == str(july["enterprises_rectified"])
    assert card_value(page, "enterprises_rectified") != "190"
    expect(page.locator("#period-month")).to_have_value("7")
    expect_charts_drawn(page, DASHBOARD_CHARTS)
    shot(page, "dashboard_july_desktop")

    page.locator('[data-table="town-ranking"] a', has_text="曹桥街道").click()
    page.wait_for_url(f"**/towns/{caoqiao.pk}/?year=2022&month=7")

    expect(page.locator("h1")).to_have_text("曹桥街道")
    expect(page.locator("[data-pairing-head]")).to_have_text("马根良")
    expect_charts_drawn(page, 3)
    with page.expect_download() as sites_download:
        page.locator('[data-exports] [data-export="xlsx"]').click()
    sites_path = tmp_path / "sites.xlsx"
    sites_download.value.save_as(sites_path)
    header, *sites = load_workbook(sites_path).active.iter_rows(values_only=True)
    assert len(sites) == caoqiao.sites.count()
    shot(page, "dashboard_town_desktop")

    assert errors == []


def test_dashboard_town_page_and_board_fit_a_phone(phone_page, live_server, demo):
    page = phone_page
    errors = collect_errors(page)
    caoqiao = Town.objects.get(name="曹桥街道")

    login(page, live_server, "leader")

    expect_charts_drawn(page, DASHBOARD_CHARTS)
    # Wide tables scroll inside their box; the page itself is no wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "dashboard_phone")

    page.goto(f"{live_server.url}/towns/{caoqiao.pk}/")
    expect_charts_drawn(page, 3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "dashboard_town_phone")

    page.goto(f"{live_server.url}/board/")
    expect(page.locator("[data-board-column]")).to_have_count(8)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "board_phone")

    assert errors == []


def test_board_and_bulletin_on_a_desk(page, live_server, demo):
    errors = collect_errors(page)

    login(page, live_server, "leader")
    page.goto(f"{live_server.url}/board/")
    expect(page.locator("[data-board-column]")).to_have_count(8)
    shot(page, "board_desktop")

    page.goto(f"{live_server.url}/bulletin/?year=2022&month=8")
    expect(page.locator("h1")).to_have_text("平湖市“腾笼换鸟”工作通报")
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    shot(page, "bulletin_print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    # The bulletin, with its 换鸟, economy and register sections after the clearance, fits on two A4 pages.
    assert 1 <= len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 2

    assert errors == []
