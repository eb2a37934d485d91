"""An official on a phone (375 px): the landing page, the stage column in view, and every form with its errors in view."""

import re
from datetime import timedelta

import pytest
from django.db.models import Exists, OuterRef
from django.utils import timezone
from playwright.sync_api import expect

from clearance.choices import Stage
from clearance.models import Event, Site, Town
from clearance.rules import next_stage

from .conftest import PHONE, login, shot

pytestmark = pytest.mark.browser

WIDTH = PHONE["viewport"]["width"]

# Whether any element of the page sticks out of the viewport sideways (elements inside a box that scrolls or
# clips sideways, such as a table's .table-responsive frame, are that box's business, not the page's).
OVERFLOWING = """
(width) => {
  const clipped = (element) => {
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(box).overflowX)) return true;
    }
    return false;
  };
  const out = [];
  for (const element of document.querySelectorAll("body *")) {
    const rect = element.getBoundingClientRect();
    if (!rect.width || !rect.height || getComputedStyle(element).visibility === "hidden") continue;
    if ((rect.left < -0.5 || rect.right > width + 0.5) && !clipped(element)) {
      out.push(`${element.tagName.toLowerCase()}${element.id ? "#" + element.id : ""}.${element.className} ${Math.round(rect.left)}–${Math.round(rect.right)}`);
    }
  }
  return out;
}
"""

# For a date input: the width it needs to show its whole date, picker button and error mark (its width when free).
DATE_NATURAL_WIDTH = """
(input) => {
  const probe = input.cloneNode();
  probe.removeAttribute("id");
  probe.style.width = "auto";
  probe.style.display = "inline-block";
  probe.style.position = "absolute";
  document.body.appendChild(probe);
  const width = probe.getBoundingClientRect().width;
  probe.remove();
  return width;
}
"""


def assert_fits_the_phone(page, name: str) -> None:
    """PAGE shows its form's errors, and nothing, the invalid fields and their messages least of all, is cut off."""
    shot(page, f"test_phone_{name}")
    errors = page.locator(".is-invalid, [data-form-errors], [data-field-errors]")
    assert errors.count() > 0, f"{name}: no error shown"
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, name
    assert page.evaluate(OVERFLOWING, WIDTH) == [], name
    for index in range(page.locator(".is-invalid").count()):
        field = page.locator(".is-invalid").nth(index)
        box = field.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, f"{name}: {field.get_attribute('name')} is cut off"
        if field.get_attribute("type") == "date":
            needed = field.evaluate(DATE_NATURAL_WIDTH)
            assert box["width"] >= needed - 0.5, f"{name}: the date {box['width']:.0f} px wide needs {needed:.0f} px"
        message = page.locator(f"#{field.get_attribute('id')}_error")
        expect(message).to_be_visible()
        message_box = message.bounding_box()
        assert message_box["x"] >= 0 and message_box["x"] + message_box["width"] <= WIDTH, name
    for index in range(page.locator("[data-form-errors], [data-field-errors]").count()):
        expect(page.locator("[data-form-errors], [data-field-errors]").nth(index)).to_be_visible()


def submit_unchecked(form) -> None:
    """Submit FORM past the browser's own checks (required, max), so the server's messages show."""
    form.evaluate("form => { form.noValidate = true; }")
    form.locator("button[type='submit']").first.click()


def future() -> str:
    return (timezone.localdate() + timedelta(days=3)).isoformat()


def caoqiao() -> Town:
    return Town.objects.get(name="曹桥街道")


def stage_cells_in_view(page) -> list[dict]:
    """Return, for each row of the page's table, the left and right edges of its stage cell."""
    return page.evaluate(
        """() => {
          const table = document.querySelector("[data-table]");
          const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
          const column = headers.findIndex((text) => text.startsWith("进度节点"));
          return [...table.querySelectorAll("tbody tr")].map((row) => {
            const rect = row.children[column].getBoundingClientRect();
            return {left: rect.left, right: rect.right, text: row.children[column].textContent.trim()};
          });
        }"""
    )


def test_the_workspace_tables_show_the_stage_column_on_a_phone(phone_page, live_server, demo):
    page = phone_page
    login(page, live_server, "official")
    town = caoqiao()

    for tab in ("sites", "enterprises"):
        page.goto(f"{live_server.url}/workspace/{town.pk}/{tab}/")
        cells = stage_cells_in_view(page)
        assert cells, tab
        assert all(cell["text"] for cell in cells), tab
        # In view as the page opens: no sideways scrolling needed to read a row's stage.
        assert all(0 <= cell["left"] and cell["right"] <= WIDTH for cell in cells), (tab, cells[:3])
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        shot(page, f"test_phone_workspace_{tab}")


def test_every_form_of_an_official_shows_its_errors_within_a_phone_screen(phone_page, live_server, demo):
    page = phone_page
    url = live_server.url
    town = caoqiao()
    vacated = Event.objects.filter(enterprise=OuterRef("enterprise"), stage=Stage.VACATED)
    # 签约 of an enterprise that has left since: deleting it is refused (腾退 depends on it).
    # …and that has a stage left to record (its next stage, chosen with a date in the future).
    depended_on = next(
        event
        for event in Event.objects.filter(enterprise__town=town, stage=Stage.SIGNED)
        .filter(Exists(vacated)).select_related("enterprise").order_by("enterprise__name")
        if next_stage(event.enterprise.events.values_list("stage", flat=True), event.enterprise.disposal)
    )
    enterprise = depended_on.enterprise
    stage = next_stage(enterprise.events.values_list("stage", flat=True), enterprise.disposal)
    site = enterprise.site
    login(page, live_server, "official")

    # The stage form of the enterprise page (a modal): a date in the future.
    page.goto(f"{url}{enterprise.get_absolute_url()}")
    page.locator("[data-record-button]").first.tap()
    form = page.locator("form[data-record-form]")
    expect(form).to_be_visible()
    form.locator("select[name='stage']").select_option(str(stage.value))
    form.locator("input[name='occurred_on']").fill(future())
    submit_unchecked(form)
    page.wait_for_url(re.compile(rf".*/enterprises/{enterprise.pk}/events/new/$"))
    expect(page.locator("input[name='occurred_on']")).to_have_class(re.compile("is-invalid"))
    assert_fits_the_phone(page, "record_enterprise")

    # The stage form of the site page (a modal with the subject): the stage follows the subject chosen.
    page.goto(f"{url}{site.get_absolute_url()}")
    page.locator("[data-record-button]").first.tap()
    form = page.locator("form[data-record-form]")
    expect(form).to_be_visible()
    form.locator("select[name='subject']").select_option(str(enterprise.pk))
    expected = next(iter(re.findall(r"\d+", form.locator("select[name='subject'] option:checked").get_attribute("data-next-stage") or "")), "")
    expect(form.locator("select[name='stage']")).to_have_value(expected)
    form.locator("select[name='subject']").select_option("site")
    expect(form.locator("select[name='stage']")).to_have_value(
        "" if site.events.filter(stage=Stage.VACATED).exists() else str(Stage.VACATED.value)
    )
    form.locator("select[name='subject']").select_option(str(enterprise.pk))
    form.locator("select[name='stage']").select_option(str(stage.value))
    form.locator("input[name='occurred_on']").fill(future())
    submit_unchecked(form)
    page.wait_for_url(re.compile(rf".*/sites/{site.pk}/events/new/$"))
    assert_fits_the_phone(page, "record_site")

    # Several enterprises at once: none ticked, a date in the future.
    page.goto(f"{url}/sites/{site.pk}/events/bulk/")
    form = page.locator("form[data-bulk-form]")
    form.locator("select[name='bulk-stage']").select_option(str(Stage.SIGNED.value))
    form.locator("input[name='bulk-occurred_on']").fill(future())
    submit_unchecked(form)
    expect(page.locator("input[name='bulk-occurred_on']")).to_have_class(re.compile("is-invalid"))
    assert_fits_the_phone(page, "bulk")

    # Correcting an event: a date in the future.
    page.goto(f"{url}/events/{depended_on.pk}/edit/")
    form = page.locator("form[data-event-edit-form]")
    form.locator("input[name='occurred_on']").fill(future())
    submit_unchecked(form)
    expect(page.locator("input[name='occurred_on']")).to_have_class(re.compile("is-invalid"))
    assert_fits_the_phone(page, "event_edit")

    # Deleting an event a later stage depends on.
    page.goto(f"{url}/events/{depended_on.pk}/delete/")
    submit_unchecked(page.locator("form[data-event-delete-form]"))
    assert_fits_the_phone(page, "event_delete")

    # A new site and a site edited: no name, a negative area.
    page.goto(f"{url}/workspace/{town.pk}/sites/new/")
    form = page.locator("form[data-site-form]")
    form.locator("input[name='area_mu']").fill("-1")
    form.locator("input[name='deadline']").fill("1999-01-01")
    submit_unchecked(form)
    assert_fits_the_phone(page, "site_create")
    page.goto(f"{url}/sites/{site.pk}/edit/")
    form = page.locator("form[data-site-form]")
    form.locator("input[name='name']").fill("")
    form.locator("input[name='area_mu']").fill("-1")
    submit_unchecked(form)
    assert_fits_the_phone(page, "site_edit")

    # A new enterprise and an enterprise edited: no name, negative energy.
    page.goto(f"{url}/sites/{site.pk}/enterprises/new/")
    form = page.locator("form[data-enterprise-form]")
    form.locator("input[name='energy_freed_tce']").fill("-5")
    submit_unchecked(form)
    assert_fits_the_phone(page, "enterprise_create")
    page.goto(f"{url}{enterprise.get_absolute_url()}edit/")
    form = page.locator("form[data-enterprise-form]")
    form.locator("input[name='name']").fill("")
    form.locator("input[name='annual_energy_tce']").fill("-5")
    submit_unchecked(form)
    assert_fits_the_phone(page, "enterprise_edit")

    # Nothing was written.
    assert not Site.objects.filter(area_mu__lt=0).exists()
    assert Event.objects.filter(pk=depended_on.pk, occurred_on=depended_on.occurred_on).exists()
