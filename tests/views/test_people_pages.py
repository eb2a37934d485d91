"""The people page: admins create, edit, deactivate and reset the password of a person in one place, in Chinese."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from clearance import services
from clearance.models import Pairing, Profile, TaskForce, TaskForceMember
from clearance.permissions import LEADERS_GROUP, OFFICIALS_GROUP, can_write_town
from tests.language import english_words, visible_text

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
GOOD_PASSWORD = "qiaozhen-2022-pw"


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def active_task_force(town) -> TaskForce:
    return Pairing.objects.active().get(town=town).task_force


def ended_task_force(world) -> TaskForce:
    """End the other town's pairing and start a new one: its old task force is ended."""
    old = active_task_force(world.other_town)
    head = services.bureau_head_upsert(bureau_name="市经信局", head_name="李局长")
    services.pairing_change(town=world.other_town, new_head=head, on=date(2023, 1, 1), user=world.admin)
    return old


def test_people_page_is_for_admins_only(client, world):
    outcomes = {}
    for role in ("official", "leader", "admin"):
        client.force_login(getattr(world, role))
        outcomes[role] = client.get(reverse("clearance:people"), **ZH).status_code

    assert outcomes == {"official": 403, "leader": 403, "admin": 200}


def test_people_page_lists_roles_in_chinese_and_searches(admin_client, world):
    services.person_update(person=world.official, full_name="王小明", phone="13800000000", role="official",
                           task_force=active_task_force(world.town), user=world.admin)

    response = admin_client.get(reverse("clearance:people"), **ZH)
    text = visible_text(response.content.decode())
    found = admin_client.get(reverse("clearance:people"), {"q": "138000"}, **ZH).context["people"]

    assert "专班工作人员" in text and "领导" in text and "管理员" in text
    assert "王小明" in text and "13800000000" in text
    assert [person.username for person in found] == ["official-a"]
    usernames = tuple(get_user_model().objects.values_list("username", flat=True))
    assert english_words(text, data=usernames) == []


def test_people_search_with_a_nul_is_a_400_saying_so(admin_client, world):
    # Found by the query-string fuzz: PostgreSQL refused the NUL in the search, a 500.
    response = admin_client.get(reverse("clearance:people"), {"q": "王\x00"}, **ZH)

    assert response.status_code == 400
    assert "请删除文字中的控制字符（如 NUL）。" in response.content.decode()


def test_person_form_offers_only_active_task_forces(admin_client, world):
    ended = ended_task_force(world)

    form = admin_client.get(reverse("clearance:person_create"), **ZH).context["form"]
    offered = set(form.fields["task_force"].queryset)

    assert ended not in offered
    assert offered == {active_task_force(world.town), active_task_force(world.other_town)}


def test_admin_creates_an_official_in_one_form(admin_client, world):
    task_force = active_task_force(world.town)

    response = admin_client.post(reverse("clearance:person_create"), {
        "username": "zhang-san", "full_name": "张三", "phone": "13912345678", "role": "official",
        "task_force": task_force.pk, "password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD,
    }, **ZH)

    person = get_user_model().objects.get(username="zhang-san")
    assert response.status_code == 302
    assert (person.first_name, person.last_name, person.is_staff, person.is_superuser) == ("张三", "", False, False)
    assert list(person.groups.values_list("name", flat=True)) == [OFFICIALS_GROUP]
    assert person.profile.phone == "13912345678"
    assert person.check_password(GOOD_PASSWORD)
    assert list(TaskForceMember.objects.filter(user=person).values_list("task_force", "person_name")) == [
        (task_force.pk, "张三")
    ]
    assert can_write_town(person, world.town) and not can_write_town(person, world.other_town)
    assert person.profile.history.get().history_user == world.admin


def test_person_create_refuses_a_weak_password_in_chinese_and_writes_nothing(admin_client, world):
    users_before = get_user_model().objects.count()

    response = admin_client.post(reverse("clearance:person_create"), {
        "username": "li-si", "full_name": "李四", "role": "leader", "password": "12345", "password_again": "12345",
    }, **ZH)

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert "密码长度太短" in " ".join(errors["password"])
    assert get_user_model().objects.count() == users_before
    assert Profile.objects.count() == 0


def test_person_create_refuses_an_ended_task_force(admin_client, world):
    ended = ended_task_force(world)

    response = admin_client.post(reverse("clearance:person_create"), {
        "username": "wang-wu", "full_name": "王五", "role": "official", "task_force": ended.pk,
        "password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD,
    }, **ZH)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["task_force"]
    assert not get_user_model().objects.filter(username="wang-wu").exists()


def test_admin_changes_an_officials_role_and_task_force(admin_client, world):
    response = admin_client.post(reverse("clearance:person_update", args=[world.official.pk]), {
        "full_name": "赵六", "phone": "", "role": "leader", "task_force": active_task_force(world.town).pk,
    }, **ZH)

    world.official.refresh_from_db()
    assert response.status_code == 302
    assert list(world.official.groups.values_list("name", flat=True)) == [LEADERS_GROUP]
    assert not TaskForceMember.objects.filter(user=world.official).exists()
    assert not can_write_town(world.official, world.town)
    last = world.official.profile.history.first()
    assert (last.history_user, last.history_change_reason) == (world.admin, "角色 专班工作人员 → 领导；姓名  → 赵六")


def test_admin_moves_an_official_to_another_task_force(admin_client, world):
    other = active_task_force(world.other_town)

    admin_client.post(reverse("clearance:person_update", args=[world.official.pk]), {
        "full_name": "赵六", "role": "official", "task_force": other.pk,
    }, **ZH)

    assert can_write_town(world.official, world.other_town) and not can_write_town(world.official, world.town)


def test_admin_deactivates_and_reactivates_a_person_never_deleting(admin_client, world):
    url = reverse("clearance:person_active", args=[world.official.pk])

    admin_client.post(url, {"active": "0"}, **ZH)
    world.official.refresh_from_db()
    deactivated = world.official.is_active
    page = visible_text(admin_client.get(reverse("clearance:person_update", args=[world.official.pk]), **ZH)
                        .content.decode())
    admin_client.post(url, {"active": "1"}, **ZH)
    world.official.refresh_from_db()

    assert (deactivated, world.official.is_active) == (False, True)
    assert "已停用 " in page and "重新启用" in page
    assert [row.history_change_reason for row in world.official.profile.history.order_by("history_id")] == [
        "已停用", "已重新启用"
    ]


def test_admin_cannot_deactivate_themselves(admin_client, world):
    response = admin_client.post(reverse("clearance:person_active", args=[world.admin.pk]), {"active": "0"},
                                 follow=True, **ZH)

    world.admin.refresh_from_db()
    assert world.admin.is_active
    assert "不能停用自己的账号。" in visible_text(response.content.decode())


def test_admin_resets_a_password_checked_by_the_rules(admin_client, world):
    url = reverse("clearance:person_password", args=[world.official.pk])

    weak = admin_client.post(url, {"password": "official-a", "password_again": "official-a"}, **ZH)
    world.official.refresh_from_db()
    kept = world.official.check_password("pw-official-a")
    admin_client.post(url, {"password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD}, **ZH)
    world.official.refresh_from_db()

    assert weak.status_code == 200 and weak.context["form"].errors["password"]
    assert english_words(" ".join(weak.context["form"].errors["password"])) == []
    assert kept
    assert world.official.check_password(GOOD_PASSWORD)
    assert world.official.profile.history.get().history_change_reason == "密码已重置"


def test_nav_links_the_people_page_for_admins_only(client, world):
    shown = {}
    for role in ("official", "leader", "admin"):
        client.force_login(getattr(world, role))
        shown[role] = f'href="{reverse("clearance:people")}"' in client.get(reverse("clearance:home"), **ZH).content.decode()

    assert shown == {"official": False, "leader": False, "admin": True}


@pytest.mark.parametrize("extra_people", [0, 5])
def test_people_page_queries_do_not_grow_with_people(admin_client, world, django_assert_num_queries, extra_people):
    task_force = active_task_force(world.town)
    for number in range(extra_people):
        services.person_create(username=f"person-{number}", full_name=f"人员{number}", phone="13800000000",
                               role="official", task_force=task_force, password=GOOD_PASSWORD, user=world.admin)

    with django_assert_num_queries(6):
        response = admin_client.get(reverse("clearance:people"), **ZH)

    assert len(response.context["people"]) == 4 + extra_people


def test_people_forms_show_no_english_words(admin_client, world):
    urls = [
        reverse("clearance:person_create"),
        reverse("clearance:person_update", args=[world.official.pk]),
        reverse("clearance:person_password", args=[world.official.pk]),
    ]
    usernames = tuple(get_user_model().objects.values_list("username", flat=True))

    english = {
        url: english_words(visible_text(admin_client.get(url, **ZH).content.decode()), data=usernames) for url in urls
    }

    assert english == {url: [] for url in urls}
    assert "只列出在任的专班" in visible_text(admin_client.get(urls[0], **ZH).content.decode())
