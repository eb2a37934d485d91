"""Signing in through the browser as each demo user."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils import translation
from playwright.sync_api import expect

from clearance.models import Town

from .conftest import login, shot, submit_login

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("username", ["admin", "leader", "official"])
def test_login_demo_user_sees_home_page_with_their_name(page, live_server, demo, username):
    login(page, live_server, username)

    if username == "official":
        # An official lands on the workspace of their town (曹桥街道), not on the city's dashboard.
        caoqiao = Town.objects.get(name="曹桥街道")
        expect(page).to_have_url(f"{live_server.url}/workspace/{caoqiao.pk}/sites/")
        expect(page.locator("h1")).to_have_text("曹桥街道")
    else:
        expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("input[name='password']")).to_have_count(0)
    # The main navigation (the workspace has a breadcrumb navigation too).
    expect(page.locator("nav.navbar")).to_contain_text(username)
    shot(page, f"test_login_home_{username}")


def test_login_wrong_password_stays_on_login_page_with_error(page, live_server, demo):
    with translation.override("zh-hans"):
        username_label = get_user_model()._meta.get_field("username").verbose_name
        expected_error = str(AuthenticationForm.error_messages["invalid_login"]) % {
            "username": username_label
        }

    submit_login(page, live_server, "official", "not-the-password")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.locator("input[name='password']")).to_be_visible()
    expect(page.get_by_text(expected_error)).to_be_visible()
    shot(page, "test_login_wrong_password")


def test_login_admin_sees_demo_pairing_in_admin_change_list(page, live_server, demo):
    login(page, live_server, "admin")

    page.goto(f"{live_server.url}/admin/clearance/pairing/")

    results = page.locator("#result_list")
    expect(results).to_be_visible()
    expect(results.locator("tbody tr").filter(has_text="曹桥街道").filter(has_text="马根良")).to_be_visible()
    shot(page, "test_login_admin_pairing_change_list")
