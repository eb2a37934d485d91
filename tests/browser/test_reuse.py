"""换鸟 on a phone and at a desk: the official of 曹桥街道 records a project's 供地 on a vacated parcel of the town
and sees the town's reused land move; the leader opens the list of missed commitments."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect

from clearance import services
from clearance.choices import ProjectStage
from clearance.models import Event, ProjectSite, Site, Town

from .conftest import PHONE, login, shot

pytestmark = pytest.mark.browser

AUGUST = "year=2022&month=8"


def photo_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (60, 160, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def signed_project_on_free_vacated_land() -> tuple:
    """A 招商项目 of 曹桥街道 signed in August 2022, taking 5 亩 of a parcel vacated by then with land to spare."""
    town = Town.objects.get(name="曹桥街道")
    vacated_by_august = Event.objects.filter(site__isnull=False, occurred_on__lte=date(2022, 8, 1)).values("site_id")
    site = next(
        site for site in Site.objects.filter(town=town, children__isnull=True, pk__in=vacated_by_august).order_by("name")
        if site.area_mu - sum((each.area_mu for each in ProjectSite.objects.filter(site=site)), Decimal(0)) >= 5
    )
    project = services.project_create(user=None, town=town, name="浏览器测试智能制造项目", investor="某智能科技有限公司",
                                      committed_investment_wan=Decimal("8000"))
    services.project_land_set(project=project, site=site, area_mu=Decimal("5"), expected_version=project.version,
                              user=None)
    services.project_event_record(project=project, stage=ProjectStage.SIGNED, on=date(2022, 8, 1), user=None,
                                  note="测试前补录签约")
    return town, site, project


def reused_land(page) -> Decimal:
    value = page.locator("[data-reuse-panel] [data-reuse-value='land_reused_mu']").first.inner_text()
    return Decimal(value.replace(",", ""))


def test_official_records_land_supply_on_a_phone_and_sees_the_town_s_reused_land_move(
    browser, browser_context_args, live_server, demo
):
    town, site, project = signed_project_on_free_vacated_land()
    phone = browser.new_context(**{**browser_context_args, **PHONE}).new_page()
    login(phone, live_server, "official")
    town_url = f"{live_server.url}/towns/{town.pk}/?{AUGUST}"
    phone.goto(town_url)
    before = reused_land(phone)

    project_url = f"{live_server.url}{project.get_absolute_url()}"
    phone.goto(project_url)
    expect(phone.locator(f"[data-allocation='{site.pk}']")).to_contain_text(site.name)
    phone.locator("[data-record-button]").tap()
    form = phone.locator("form[data-record-form]")
    expect(form).to_be_visible()
    form.locator("select[name='stage']").select_option(str(ProjectStage.LAND_SUPPLIED.value))
    form.locator("input[name='occurred_on']").fill("2022-08-20")
    # August 2022 is closed: recording in it needs a note saying why.
    form.locator("textarea[name='note']").fill("补录：8月20日完成供地")
    form.locator("input[name='photos']").set_input_files(
        files=[{"name": "供地现场.jpg", "mimeType": "image/jpeg", "buffer": photo_jpeg()}]
    )
    shot(phone, "test_reuse_land_supply_form_phone")
    form.locator("button[type='submit']").tap()
    phone.wait_for_url(re.compile(re.escape(project_url)))
    expect(phone.locator(f"[data-stage-step='{ProjectStage.LAND_SUPPLIED.value}'][data-reached]")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    shot(phone, "test_reuse_project_phone_after_supply")

    phone.goto(town_url)
    assert reused_land(phone) == before + Decimal("5")
    shot(phone, "test_reuse_town_phone_after_supply")


def test_a_leader_opens_the_missed_commitments_from_the_reuse_page(browser, browser_context_args, live_server, demo):
    page = browser.new_context(**browser_context_args).new_page()
    login(page, live_server, "leader")
    page.goto(f"{live_server.url}/reuse/?{AUGUST}")
    missed = page.locator("[data-reuse-commitment='missed']").first
    expect(missed).to_have_text("1")
    missed.click()
    page.wait_for_url(re.compile(r"/reuse/commitments/\?.*state=missed"))
    rows = page.locator("table[data-table='commitments'] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("示例智能装备项目")
    expect(rows.first.locator("[data-commitment='missed']")).to_be_visible()
    # The leader reads; no write form on the project either.
    rows.first.locator("a").first.click()
    expect(page.locator("[data-record-button]")).to_have_count(0)
    shot(page, "test_reuse_missed_commitments_leader")


def test_official_finds_the_land_by_typing_part_of_a_site_s_name_on_a_phone(
    browser, browser_context_args, live_server, demo
):
    town = Town.objects.get(name="曹桥街道")
    site = Site.objects.filter(town=town, children__isnull=True).order_by("name").first()
    project = services.project_create(user=None, town=town, name="浏览器测试选地项目", investor="某科技有限公司")
    phone = browser.new_context(**{**browser_context_args, **PHONE}).new_page()
    login(phone, live_server, "official")
    project_url = f"{live_server.url}{project.get_absolute_url()}"
    phone.goto(project_url)

    form = phone.locator("form[data-land-form]")
    search = form.locator("[data-land-search]")
    expect(search).to_be_visible()
    # A part of the name, typed in another case where it has Latin letters: htmx swaps in the sites found.
    part = site.name[1:3]
    with phone.expect_response(lambda response: "/land/sites/" in response.url):
        search.fill(part)
    # The list found has replaced the first one (a tick during a search: the next test).
    expect(phone.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    found = form.locator(f"[data-land-site='{site.pk}']")
    expect(found).to_be_visible()
    expect(form.locator("[data-land-site]")).not_to_have_count(0)
    found.check()
    # Searching on keeps the site chosen.
    search.fill("没有这样的地块")
    search.press("Enter")  # htmx answers the search form too: the page stays.
    expect(form.locator("[data-land-none]")).to_be_visible()
    assert phone.url == project_url
    expect(form.locator(f"[data-land-site='{site.pk}']")).to_be_checked()
    form.locator("input[name='area_mu']").fill("0.5")
    shot(phone, "test_reuse_land_picker_phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    form.locator("[data-land-save]").tap()
    phone.wait_for_url(re.compile(re.escape(project_url)))
    expect(phone.locator(f"[data-allocation='{site.pk}']")).to_contain_text(site.name)


def test_a_site_ticked_while_a_search_is_under_way_stays_ticked_when_the_answer_comes(
    browser, browser_context_args, live_server, demo
):
    town = Town.objects.get(name="曹桥街道")
    ticked, searched = Site.objects.filter(town=town, children__isnull=True).order_by("name")[:2]
    project = services.project_create(user=None, town=town, name="浏览器测试选地项目", investor="某科技有限公司")
    phone = browser.new_context(**{**browser_context_args, **PHONE}).new_page()
    login(phone, live_server, "official")
    phone.goto(f"{live_server.url}{project.get_absolute_url()}")
    form = phone.locator("form[data-land-form]")
    expect(form.locator(f"[data-land-site='{ticked.pk}']")).to_be_visible()
    held = []

    def hold_the_first_search(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    phone.route("**/land/sites/**", hold_the_first_search)

    # The official searches another site's name, and ticks a site of the list still shown before the answer comes.
    form.locator("[data-land-search]").fill(searched.name)
    for _attempt in range(100):
        if held:
            break
        phone.wait_for_timeout(50)
    assert held, "the search was not sent"
    form.locator(f"[data-land-site='{ticked.pk}']").check()
    held[0].continue_()

    # The late answer does not take the tick away: the site ticked is listed first and checked, beside the one found.
    expect(form.locator(f"[data-land-site='{searched.pk}']")).to_be_visible()
    expect(form.locator(f"[data-land-site='{ticked.pk}']")).to_be_checked()
    assert form.locator("[data-land-site]").first.get_attribute("data-land-site") == str(ticked.pk)
    # Nothing still on its way to the server when the test's database is flushed: a search answered while the
    # tables are truncated deadlocks the flush (and leaves the next tests a dirty database).
    phone.unroute("**/land/sites/**")
    phone.wait_for_load_state("networkidle")
    phone.context.close()
