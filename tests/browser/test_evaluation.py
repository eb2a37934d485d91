"""The evaluation in a browser: an admin imports a year and changes a weight, and the classes move; an official
opens a candidate's clearance plan on a phone and finds the enterprise in the workspace."""

import re

import pytest
from playwright.sync_api import expect

from clearance.models import Enterprise, EvaluatedEnterprise
from clearance.selectors.evaluation import clearance_enterprise_of

from tests.evaluation.test_import import line, write_xlsx

from .conftest import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Five enterprises of 曹桥街道 below designated size, 2023; land 10 亩 each. (tax, power):
# tax per mu 10, 2, 6, 4, 1 (mean 4.6); tax per power 1, 4, 2, 1, 0.2 (mean 1.64).
# With the default weights 50/50 the totals are 105.49, 96.74, 126.20, 73.97, 16.97: 丙 A, 甲 乙 B, 丁 C, 戊 D.
# With tax per mu alone (100/0) they are 150, 43.48, 130.43, 86.96, 21.74: 甲 A, 丙 丁 B, 乙 C, 戊 D.
FIGURES = {"甲": ("100", "100"), "乙": ("20", "5"), "丙": ("60", "30"), "丁": ("40", "40"), "戊": ("10", "50")}
NAMES = {short: f"浏览器测试{short}厂" for short in FIGURES}


def sheet(tmp_path):
    rows = [line(name=NAMES[short], town="曹桥街道", size="规下", year=2023, land="10", tax=tax, power=power,
                 value_added="", revenue="", energy="35", emission="", rd="", employees="")
            for short, (tax, power) in FIGURES.items()]
    return write_xlsx(tmp_path, rows)


def classes_shown(page) -> dict[str, str]:
    """The class of each test enterprise as the evaluation page of 2023 shows it."""
    rows = page.locator("table[data-table='evaluation'] tbody tr")
    shown = {}
    for index in range(rows.count()):
        row = rows.nth(index)
        name = row.locator("td.cell-name").inner_text().strip()
        short = next((short for short, full in NAMES.items() if full == name), None)
        if short:
            shown[short] = row.locator("[data-grade]").get_attribute("data-grade")
    return shown


def test_an_import_and_a_weight_move_classes_and_a_candidate_s_plan_reaches_the_workspace(
    demo, page, phone_page, live_server, worker, tmp_path
):
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/evaluation/import/")
    page.locator("input[name='upload']").set_input_files(sheet(tmp_path))
    page.locator("[data-indicators-upload] button[type='submit']").click()
    page.wait_for_url(re.compile(r".*/evaluation/import/\d+/$"))
    expect(page.locator("[data-indicators-confirm]")).to_be_visible(timeout=60_000)
    page.locator("[data-indicators-confirm] button[name='confirm']").click()
    expect(page.locator("[data-indicators-imported]")).to_be_visible(timeout=60_000)
    assert EvaluatedEnterprise.objects.filter(name__startswith="浏览器测试").count() == 5

    page.goto(f"{live_server.url}/evaluation/?year=2023&town=&per_page=100")
    before = classes_shown(page)
    assert before == {"丙": "A", "甲": "B", "乙": "B", "丁": "C", "戊": "D"}, before
    shot(page, "evaluation_2023_default_weights")

    page.goto(f"{live_server.url}/evaluation/schemes/2023/below/")
    page.locator("input[name='weight_tax_per_mu']").fill("100")
    page.locator("input[name='weight_tax_per_power']").fill("0")
    page.locator("[data-scheme-form] button[type='submit']").first.click()
    expect(page.locator(".alert-success, [role='status']").first).to_be_visible()

    page.goto(f"{live_server.url}/evaluation/?year=2023&per_page=100")
    after = classes_shown(page)
    assert after == {"甲": "A", "丙": "B", "丁": "B", "乙": "C", "戊": "D"}, after
    shot(page, "evaluation_2023_tax_per_mu_only")

    # The official of 曹桥街道, on a phone: 戊 (class D) is a candidate; open its plan on a new site.
    login(phone_page, live_server, "official")
    phone_page.goto(f"{live_server.url}/evaluation/candidates/?year=2023")
    candidate = phone_page.locator("table[data-table='candidates'] tbody tr", has_text=NAMES["戊"])
    expect(candidate).to_have_count(1)
    candidate.locator("[data-open-plan]").click()
    phone_page.locator("select[name='site']").select_option("")
    phone_page.locator("input[name='new_site_name']").fill("浏览器测试戊厂地块")
    phone_page.locator("input[name='new_site_area_mu']").fill("10")
    phone_page.locator("select[name='disposal']").select_option(label="腾退收回")
    shot(phone_page, "evaluation_plan_phone")
    phone_page.locator("[data-plan-form] button[type='submit']").click()
    phone_page.wait_for_url(re.compile(r".*/enterprises/\d+/$"))
    enterprise = Enterprise.objects.get(name=NAMES["戊"])
    assert enterprise.site.name == "浏览器测试戊厂地块" and enterprise.town.name == "曹桥街道"
    assert clearance_enterprise_of(EvaluatedEnterprise.objects.get(name=NAMES["戊"])) == enterprise

    phone_page.goto(f"{live_server.url}/workspace/{enterprise.town_id}/enterprises/?name={NAMES['戊']}")
    expect(phone_page.get_by_role("link", name=NAMES["戊"], exact=True)).to_be_visible()
    # No longer a candidate anywhere.
    phone_page.goto(f"{live_server.url}/evaluation/candidates/?year=2023")
    expect(phone_page.locator("table[data-table='candidates'] tbody tr", has_text=NAMES["戊"])).to_have_count(0)
