"""The pairing board, and re-pairing a town: who may record progress there follows in the same request."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from clearance import services
from clearance.choices import TownKind
from clearance.models import Pairing

from tests.errors import form_error_codes

pytestmark = pytest.mark.django_db

BOARD_URL = reverse("clearance:pairings")


def _user(username: str, **kwargs):
    return get_user_model().objects.create_user(username, password=f"pw-{username}", **kwargs)


def _paired_town(name: str, bureau: str, head: str, *, started_on=date(2022, 1, 1), head_user=None):
    town = services.town_upsert(name=name, kind=TownKind.TOWN).obj
    head_obj = services.bureau_head_upsert(bureau_name=bureau, head_name=head)
    if head_user is not None:
        head_obj.user = head_user
        head_obj.save()
    pairing = services.pairing_start(town=town, head=head_obj, started_on=started_on)
    return town, pairing


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_superuser("pairing-admin", "a@example.org", "pw-admin-1")


@pytest.fixture
def caoqiao():
    """曹桥街道 paired with 市应急管理局: the head, a staffer of that bureau, and a town staffer with accounts."""
    old_head_user, bureau_staff, town_staff = _user("old-head"), _user("bureau-staff"), _user("town-staff")
    town, pairing = _paired_town("曹桥街道", "市应急管理局", "马根良", head_user=old_head_user)
    services.task_force_member_upsert(
        task_force=pairing.task_force, person_name="应急局干部", user_account=bureau_staff, unit="市应急管理局"
    )
    services.task_force_member_upsert(
        task_force=pairing.task_force, person_name="街道干部", user_account=town_staff, unit="曹桥街道"
    )
    site = services.site_create(town=town, name="六店区域", area_mu=Decimal("100"), user=None)
    new_head_user = _user("new-head")
    new_head = services.bureau_head_upsert(bureau_name="市经信局", head_name="新局长")
    new_head.user = new_head_user
    new_head.save()
    return {
        "town": town, "pairing": pairing, "site": site, "new_head": new_head,
        "old_head": old_head_user, "bureau_staff": bureau_staff, "town_staff": town_staff, "new_head_user": new_head_user,
    }


def _write_status(client, user, site) -> int:
    client.force_login(user)
    status = client.get(reverse("clearance:site_update", args=[site.pk])).status_code
    client.logout()
    return status


def _statuses(client, world) -> dict[str, int]:
    return {
        name: _write_status(client, world[name], world["site"])
        for name in ("old_head", "bureau_staff", "town_staff", "new_head_user")
    }


def test_handing_over_in_the_admin_moves_write_access_to_the_new_team_at_once(client, admin_user, caoqiao):
    assert _statuses(client, caoqiao) == {"old_head": 200, "bureau_staff": 200, "town_staff": 200, "new_head_user": 403}
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:clearance_pairing_add"),
        {"town": caoqiao["town"].pk, "head": caoqiao["new_head"].pk, "started_on": "2022-06-01", "hand_over": "on"},
    )

    assert response.status_code == 302
    client.logout()
    # The old head's team (the head and the staff of the head's bureau) lose access; the town staff move along.
    assert _statuses(client, caoqiao) == {"old_head": 403, "bureau_staff": 403, "town_staff": 200, "new_head_user": 200}
    old = Pairing.objects.get(pk=caoqiao["pairing"].pk)
    assert old.ended_on == date(2022, 5, 31)  # the day before the new head starts
    assert old.history.first().history_user == admin_user


def test_adding_a_pairing_without_hand_over_to_a_paired_town_is_refused_and_changes_nothing(client, admin_user, caoqiao):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:clearance_pairing_add"),
        {"town": caoqiao["town"].pk, "head": caoqiao["new_head"].pk, "started_on": "2022-06-01"},
    )

    assert response.status_code == 200
    # The service's own refusal; the form's "hand over" box beside it says how to hand the town over.
    assert "曹桥街道已有在任联挂，请先结束原联挂。" in response.content.decode()
    assert form_error_codes(response.context["adminform"].form) == {"town": ["town_already_paired"]}
    client.logout()
    assert _statuses(client, caoqiao) == {"old_head": 200, "bureau_staff": 200, "town_staff": 200, "new_head_user": 403}


def test_ending_a_pairing_in_the_admin_change_form_takes_write_access_away_at_once(client, admin_user, caoqiao):
    client.force_login(admin_user)
    pairing = caoqiao["pairing"]

    response = client.post(
        reverse("admin:clearance_pairing_change", args=[pairing.pk]),
        {"started_on": "2022-01-01", "ended_on": "2022-06-30", "note": "",
         "task_force-TOTAL_FORMS": "1", "task_force-INITIAL_FORMS": "1",
         "task_force-MIN_NUM_FORMS": "0", "task_force-MAX_NUM_FORMS": "1",
         "task_force-0-id": pairing.task_force.pk, "task_force-0-pairing": pairing.pk},
    )

    assert response.status_code == 302
    client.logout()
    assert _statuses(client, caoqiao) == {"old_head": 403, "bureau_staff": 403, "town_staff": 403, "new_head_user": 403}


def _board_rows(html: str) -> dict[str, list[str]]:
    """Return the board's table as {town: [head, bureau, since, task force, members, member bureaus]}."""
    table = html.split('data-table="pairings"')[1].split("</table>")[0]
    rows = {}
    for row in table.split("<tr data-town=")[1:]:
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def test_pairing_board_shows_each_town_with_its_head_team_and_history(client, leader, admin_user, caoqiao):
    services.town_upsert(name="新仓镇", kind=TownKind.TOWN)
    services.pairing_change(town=caoqiao["town"], new_head=caoqiao["new_head"], on=date(2022, 6, 1), user=admin_user)
    client.force_login(leader)

    html = client.get(BOARD_URL).content.decode()

    rows = _board_rows(html)
    assert rows["曹桥街道"][:2] == ["新局长", "市经信局"]
    assert rows["曹桥街道"][3:] == ["曹桥街道专班", "2", "市经信局"]  # the new head and the town staffer
    assert rows["新仓镇"] == ["未联挂"]
    history = html.split(f'data-history="{caoqiao["town"].pk}"')[1].split("</section>")[0]
    assert "马根良" in history and "市应急管理局" in history


def test_pairing_board_of_one_head_lists_the_head_s_pairings(client, official, admin_user, caoqiao):
    old_head = caoqiao["pairing"].head
    services.pairing_change(town=caoqiao["town"], new_head=caoqiao["new_head"], on=date(2022, 6, 1), user=admin_user)
    other_town = services.town_upsert(name="林埭镇", kind=TownKind.TOWN).obj
    services.pairing_start(town=other_town, head=old_head, started_on=date(2022, 7, 1))
    client.force_login(official)

    html = client.get(BOARD_URL, {"head": old_head.pk}).content.decode()

    table = html.split('data-table="head-pairings"')[1].split("</table>")[0]
    towns = re.findall(r'<th scope="row"><a [^>]*>(.*?)</a></th>', table)
    assert towns == ["林埭镇", "曹桥街道"]


@pytest.mark.parametrize("head", ["999999", "x"])
def test_pairing_board_of_an_unknown_head_is_a_404(client, leader, head):
    client.force_login(leader)

    response = client.get(BOARD_URL, {"head": head})

    assert response.status_code == 404


def _towns(count: int) -> None:
    for index in range(count):
        town, pairing = _paired_town(f"测试镇{index}", f"测试局{index}", f"局长{index}")
        services.task_force_member_upsert(task_force=pairing.task_force, person_name=f"干部{index}", unit="镇")
        services.pairing_change(
            town=town, new_head=services.bureau_head_upsert(bureau_name=f"新局{index}", head_name=f"新局长{index}"),
            on=date(2022, 6, 1),
        )


@pytest.mark.parametrize("count", [2, 6])
def test_pairing_board_query_count_does_not_grow_with_the_towns(client, leader, django_assert_num_queries, count):
    _towns(count)
    client.force_login(leader)

    with django_assert_num_queries(5):
        html = client.get(BOARD_URL).content.decode()

    rows = _board_rows(html)
    assert len(rows) == count
    assert rows["测试镇1"][0] == "新局长1"
    assert rows["测试镇1"][4] == "2"
    assert html.count("data-history=") == count
