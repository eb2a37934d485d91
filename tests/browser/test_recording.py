"""Recording progress on a phone: the demo official records 签约 with a photo; the leader sees it and has no form."""

import io
import re

import pytest
from django.db.models import Q
from PIL import Image
from playwright.sync_api import expect

from clearance.choices import Stage
from clearance.models import Enterprise, Event
from clearance.selectors import with_enterprise_stage

from .conftest import PHONE, login, shot

pytestmark = pytest.mark.browser


def photo_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def unsigned_enterprise_of_caoqiao() -> Enterprise:
    """An enterprise of 曹桥街道 that has not signed yet (the demo has some still in talks)."""
    candidates = with_enterprise_stage(Enterprise.objects.filter(town__name="曹桥街道").select_related("site"))
    return candidates.filter(Q(stage__isnull=True) | Q(stage__lt=Stage.SIGNED)).order_by("name").first()


def signed_count(page) -> int:
    return int(page.locator("[data-signed-count]").first.get_attribute("data-signed-count"))


def test_official_records_signed_with_a_photo_on_a_phone_and_leader_sees_it(browser, browser_context_args, live_server, demo):
    enterprise = unsigned_enterprise_of_caoqiao()
    assert enterprise is not None, "the demo needs a 曹桥街道 enterprise still before 签约"
    site_url = f"{live_server.url}{enterprise.site.get_absolute_url()}"

    official = browser.new_context(**{**browser_context_args, **PHONE}).new_page()
    login(official, live_server, "official")
    official.goto(site_url)
    before = signed_count(official)
    shot(official, "test_recording_site_phone_official")

    # One tap opens the stage form.
    official.locator("[data-record-button]").tap()
    form = official.locator("form[data-record-form]")
    expect(form).to_be_visible()
    form.locator("select[name='subject']").select_option(str(enterprise.pk))
    form.locator("select[name='stage']").select_option(str(Stage.SIGNED.value))
    form.locator("textarea[name='note']").fill("现场签约，附照片")
    form.locator("input[name='photos']").set_input_files(
        files=[{"name": "签约现场.png", "mimeType": "image/png", "buffer": photo_png()}]
    )
    shot(official, "test_recording_form_phone_official")
    form.locator("button[type='submit']").tap()

    official.wait_for_url(re.compile(re.escape(site_url) + r"#timeline$"))
    expect(official.locator(".alert-success")).to_contain_text(enterprise.name)
    latest = official.locator("[data-timeline] li").first
    expect(latest).to_contain_text(enterprise.name)
    expect(latest).to_contain_text("签约")
    expect(latest).to_contain_text("现场签约，附照片")
    expect(latest.locator("img.photo-thumb-sm")).to_have_count(1)
    assert signed_count(official) == before + 1
    assert official.evaluate("document.documentElement.scrollWidth") <= 375
    shot(official, "test_recording_site_phone_after_official")
    event = Event.objects.get(enterprise=enterprise, stage=Stage.SIGNED)
    assert (event.recorded_by.get_username(), event.photos.count()) == ("official", 1)
    official.context.close()

    leader = browser.new_context(**{**browser_context_args, **PHONE}).new_page()
    login(leader, live_server, "leader")
    leader.goto(site_url)
    latest = leader.locator("[data-timeline] li").first
    expect(latest).to_contain_text(enterprise.name)
    expect(latest).to_contain_text("签约")
    assert signed_count(leader) == before + 1
    expect(leader.locator("[data-record-button]")).to_have_count(0)
    expect(leader.locator("form[data-record-form], form[data-bulk-form]")).to_have_count(0)
    expect(leader.locator("input[name='bulk-enterprises']")).to_have_count(0)
    shot(leader, "test_recording_site_phone_leader")
    # Typing the form's address gets a refusal, not a form.
    response = leader.goto(f"{live_server.url}/enterprises/{enterprise.pk}/events/new/")
    assert response.status == 403
    expect(leader.locator("[data-forbidden]")).to_be_visible()
    shot(leader, "test_recording_forbidden_phone_leader")
    leader.context.close()
