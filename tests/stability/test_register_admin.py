"""The register in Django's admin: every write through services.register, its refusals shown on the form, stale pages refused."""

from datetime import date

import pytest
from django.urls import reverse

from clearance.models import AttackGroup, RegisterItem

from tests.stability.helpers import raise_item, register_rows

pytestmark = pytest.mark.django_db


def url(view: str, *args) -> str:
    return reverse(f"admin:clearance_registeritem_{view}", args=args)


def test_an_item_added_in_the_admin_takes_its_subjects_town_and_names_the_admin(client, world):
    client.force_login(world.admin)
    group = AttackGroup.objects.get(task_force__pairing__town=world.town)

    response = client.post(url("add"), {
        "enterprise": world.enterprise.pk, "kind": "petition", "raised_on": "2022-06-20", "description": "职工来信",
        "responsible_group": group.pk, "resolved_on": "", "resolution": "", "note": ""})

    assert response.status_code == 302
    item = RegisterItem.objects.get()
    assert (item.town, item.enterprise, item.responsible_group, item.recorded_by) == (
        world.town, world.enterprise, group, world.admin)
    assert item.history.get().history_user == world.admin


def test_a_refused_edit_in_the_admin_shows_the_services_message_and_changes_nothing(client, world):
    item = raise_item(world)
    client.force_login(world.admin)
    before = register_rows()
    data = {"kind": "dispute", "raised_on": "2022-03-10", "description": "租金纠纷", "responsible_group": "",
            "resolution": "调解", "note": "", "expected_version": 1}

    too_early = client.post(url("change", item.pk), {**data, "resolved_on": "2022-03-01"})
    other_group = AttackGroup.objects.get(task_force__pairing__town=world.other_town)
    other_town = client.post(url("change", item.pk), {**data, "resolved_on": "", "resolution": "",
                                                      "responsible_group": other_group.pk})

    assert "化解日期不能早于发现日期。" in too_early.content.decode()
    assert "该攻坚小组属于其他镇街道的专班。" in other_town.content.decode()
    assert register_rows() == before


def test_a_stale_admin_page_is_refused_and_an_admin_deletes_through_the_service(client, world):
    item = raise_item(world)
    client.force_login(world.admin)
    data = {"kind": "dispute", "raised_on": "2022-03-10", "description": "第一次修改", "responsible_group": "",
            "resolved_on": "", "resolution": "", "note": "", "expected_version": 1}
    assert client.post(url("change", item.pk), data).status_code == 302

    stale = client.post(url("change", item.pk), {**data, "description": "旧页面"})

    assert "他人已保存了此记录" in stale.content.decode()
    assert RegisterItem.objects.get().description == "第一次修改"
    assert client.post(url("delete", item.pk), {"post": "yes"}).status_code == 302
    assert RegisterItem.objects.count() == 0
    assert RegisterItem.history.get(history_type="-").history_user == world.admin
    assert date(2022, 3, 10) == RegisterItem.history.get(history_type="-").raised_on
