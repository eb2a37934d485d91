"""The admin in Chinese: no English words on its pages, each model named as DOMAIN.md names it, permissions translated."""

import json
import re

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from clearance.admin.users import permission_label
from clearance.models import Enterprise, Pairing, Target, TaskForce, Town

from tests.language import english_words, visible_text
from tests.url_rules import build_admin_world


def admin_pages(world) -> list[str]:
    """Return the admin's index, its app pages and, for every registered model, its list, add, change and history pages."""
    request = RequestFactory().get("/")
    request.user = world.admin
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        urls.append(reverse("admin:app_list", args=[opts.app_label]))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        if model_admin.has_add_permission(request):  # not axes' records: sign-ins write them
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        pk = world.admin_objects[model].pk
        for view in ("change", "history"):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[pk]))
    return list(dict.fromkeys(urls))


def test_admin_pages_in_chinese_show_no_english_words(client, db):
    world = build_admin_world()
    client.force_login(world.admin)
    # The records' own values: user names, and what axes writes for a header the test client leaves out.
    data = (*get_user_model().objects.values_list("username", flat=True), "test", "<unknown>")
    opened, english = [], {}

    for url in admin_pages(world):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        opened.append(url)
        words = english_words(visible_text(response.content.decode()), data=data)
        if words:
            english[url] = words

    assert english == {}
    assert len(opened) > 3 * len(admin.site._registry)


def test_admin_never_names_the_enterprise_model_家(client, db):
    world = build_admin_world()
    client.force_login(world.admin)
    pages = {
        url: visible_text(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
        for url in (
            reverse("admin:index"),
            reverse("admin:app_list", args=["clearance"]),
            reverse("admin:clearance_enterprise_changelist"),
            reverse("admin:clearance_town_changelist"),
            reverse("admin:clearance_site_changelist"),
        )
    }

    assert {url: "家" in text for url, text in pages.items()} == {url: False for url in pages}
    assert "删除所选的 企业" in pages[reverse("admin:clearance_enterprise_changelist")]


def test_model_names_in_chinese_are_domains_words():
    models = [Enterprise, Town, Target, Pairing, TaskForce]

    with translation.override("zh-hans"):
        names = {model.__name__: (str(model._meta.verbose_name), str(model._meta.verbose_name_plural)) for model in models}

    assert names == {
        "Enterprise": ("企业", "企业"),
        "Town": ("镇街道", "镇街道"),
        "Target": ("目标任务", "目标任务"),
        "Pairing": ("联挂", "联挂"),
        "TaskForce": ("专班", "专班"),
    }


def test_app_names_in_chinese_and_english():
    from django.apps import apps

    def names():
        return [str(apps.get_app_config(label).verbose_name) for label in ("clearance", "axes")]

    with translation.override("zh-hans"):
        chinese = names()
    with translation.override("en"):
        english = names()

    assert (chinese, english) == (["腾笼换鸟", "登录记录"], ["Clearance campaign", "Sign-in records"])


def test_permission_label_is_translated_from_the_codename(db):
    add_enterprise = Permission.objects.get(codename="add_enterprise")
    view_history = Permission.objects.get(codename="view_historicaltown")
    change_member_bureaus = Permission.objects.get(codename="change_historicaltaskforce_member_bureaus")

    with translation.override("zh-hans"):
        chinese = [permission_label(each) for each in (add_enterprise, view_history, change_member_bureaus)]
    with translation.override("en"):
        english = permission_label(add_enterprise)

    assert chinese == [
        "腾笼换鸟 | 企业 | 可以增加企业",
        "腾笼换鸟 | 镇街道历史记录 | 可以查看镇街道历史记录",
        "腾笼换鸟 | 专班 · 成员单位历史记录 | 可以修改专班 · 成员单位历史记录",
    ]
    assert english == "Clearance campaign | enterprise | Can add enterprise"


def test_group_page_lists_permissions_in_chinese(admin_client):
    group = Group.objects.create(name="工作组")

    response = admin_client.get(reverse("admin:auth_group_change", args=[group.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")

    options = [label for _value, label in response.context["adminform"].form.fields["permissions"].choices]
    assert "腾笼换鸟 | 攻坚小组 | 可以增加攻坚小组" in options
    assert [label for label in options if "Can " in label] == []


def test_user_page_lists_permissions_in_chinese(admin_client, admin_user):
    response = admin_client.get(
        reverse("admin:auth_user_change", args=[admin_user.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    options = [label for _value, label in response.context["adminform"].form.fields["user_permissions"].choices]
    assert "认证和授权 | 用户 | 可以修改用户" in options
    assert [label for label in options if "Can " in label] == []


def test_admin_scripts_catalogue_translates_the_two_box_selector(admin_client):
    response = admin_client.get(reverse("admin:jsi18n"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    catalogue = json.loads(re.search(r"const newcatalog = (\{.*?\});", response.content.decode(), re.S).group(1))

    assert catalogue["Choose all %s"] == "全选%s"
    assert catalogue["Remove all %s"] == "移除全部%s"
    assert catalogue["Available %s"] == "可用 %s"  # Django's own Chinese, still there


def test_admin_delete_pages_in_chinese_list_no_english_words(client, db):
    """The delete pages list what goes with the object; Django's own words for link rows are left out."""
    world = build_admin_world()
    client.force_login(world.admin)
    data = (*get_user_model().objects.values_list("username", flat=True), "test", "<unknown>")
    request = RequestFactory().get("/")
    request.user = world.admin
    english, opened = {}, []

    for model, model_admin in admin.site._registry.items():
        obj = world.admin_objects[model]
        if not model_admin.has_delete_permission(request, obj):
            continue  # users are deactivated, never deleted
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        opened.append(url)
        if words := english_words(visible_text(response.content.decode()), data=data):
            english[url] = words

    assert english == {}
    assert reverse("admin:clearance_taskforce_delete", args=[world.admin_objects[TaskForce].pk]) in opened
