"""The admin in a Chinese browser: the text it renders, scripts' included (the two-box selector), has no English words."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import expect

from tests.language import english_words

from .conftest import login

pytestmark = pytest.mark.browser

# What the reader sees: the rendered text (scripts' output included, hidden elements left out), titles, placeholders.
SHOWN = """() => [
    document.body.innerText,
    ...Array.from(document.querySelectorAll("[title], [placeholder]"), (each) => each.title || each.placeholder),
].join(" ")"""


def test_admin_pages_in_a_chinese_browser_show_no_english_words(page, live_server, demo):
    users = tuple(get_user_model().objects.values_list("username", flat=True))
    admin_user = get_user_model().objects.get(username="admin")
    urls = [reverse("admin:index"), reverse("admin:app_list", args=["clearance"])]
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label == "clearance":
            urls += [reverse(f"admin:clearance_{opts.model_name}_{view}") for view in ("changelist", "add")]
    urls += [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[admin_user.pk]),
        reverse("admin:auth_group_changelist"),
        reverse("admin:auth_group_change", args=[Group.objects.order_by("pk").first().pk]),
    ]
    login(page, live_server, "admin")

    english = {}
    for url in urls:
        page.goto(f"{live_server.url}{url}")
        if "/auth/" in url and "/change/" in url:
            # The two-box permission selector is drawn by the admin's script, in the words of its catalogue.
            expect(page.locator(".selector-available-title").first).to_be_visible()
        words = english_words(page.evaluate(SHOWN), data=users)
        if words:
            english[url] = words

    assert english == {}
    page.goto(f"{live_server.url}{reverse('admin:auth_user_change', args=[admin_user.pk])}")
    expect(page.locator("#id_groups_add_all")).to_have_text("全选组")
    expect(page.locator(".selector-chosen-title label").first).to_contain_text("选中的 组")
