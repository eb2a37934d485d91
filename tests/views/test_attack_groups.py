"""Attack groups (攻坚小组) through the pages: the town page's section, the workspace's filter and sort, the pickers."""

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from clearance import services
from clearance.choices import Stage
from clearance.models import AttackGroup, Enterprise, Town

from tests.dashboard_helpers import body_rows, text
from tests.factories import EnterpriseFactory, SiteFactory, close_out, paired_town

AUGUST = {"year": 2022, "month": 8}
NUMERALS = "一 二 三 四 五 六 七 八 九 十 十一 十二 十三".split()


@pytest.fixture
def leader_in(client, leader):
    client.force_login(leader)
    return client


@pytest.fixture
def grouped(db):
    """A paired town with groups 攻坚小组十, 二, 一 (made in that order) and enterprises at several stages."""
    town, pairing = paired_town()
    groups = {
        name: services.attack_group_upsert(task_force=pairing.task_force, name=f"攻坚小组{name}", leader_name=leader)
        for name, leader in [("十", "王十"), ("二", ""), ("一", "张一")]
    }
    site = SiteFactory(town=town, name="示例地块")
    done = EnterpriseFactory(site=site, name="甲企业", responsible_group=groups["一"])
    close_out(done, signed=date(2022, 3, 1), vacated=date(2022, 4, 1), closed=date(2022, 5, 1))
    signed = EnterpriseFactory(site=site, name="乙企业", responsible_group=groups["一"])
    services.event_record(enterprise=signed, stage=Stage.SIGNED, on=date(2022, 6, 1), user=None)
    EnterpriseFactory(site=site, name="丙企业", responsible_group=groups["二"])
    EnterpriseFactory(site=site, name="丁企业")
    # Another town's group of the same name is not this town's.
    other_town, other_pairing = paired_town()
    other = services.attack_group_upsert(task_force=other_pairing.task_force, name="攻坚小组三")
    EnterpriseFactory(site=SiteFactory(town=other_town), responsible_group=other)
    return town, groups


def group_rows(page: str) -> list[list[str]]:
    return [cells for attrs, cells in body_rows(page, "attack-groups")]


# The town page -------------------------------------------------------------------


def test_town_page_lists_its_groups_in_natural_order_with_leader_enterprises_and_progress(leader_in, grouped):
    town, groups = grouped

    page = leader_in.get(reverse("clearance:town_detail", args=[town.pk]), AUGUST).content.decode()

    # group, leader, enterprises, signed, vacated, closed out, link
    assert group_rows(page) == [
        ["攻坚小组一", "张一", "2", "2", "1", "1", "企业"],
        ["攻坚小组二", "—", "1", "0", "0", "0", "企业"],
        ["攻坚小组十", "王十", "0", "0", "0", "0", "企业"],
    ]
    links = re.findall(r'<a href="([^"]+)" data-group-link>', page)
    workspace = reverse("clearance:workspace_enterprises", args=[town.pk])
    assert links == [f"{workspace}?group={groups[name].pk}" for name in ("一", "二", "十")]


def test_town_page_without_groups_says_so(leader_in, db):
    town, _ = paired_town()

    page = leader_in.get(reverse("clearance:town_detail", args=[town.pk]), AUGUST).content.decode()

    assert re.search(r"data-no-groups>([^<]+)<", page).group(1) == "暂无攻坚小组。"


def test_town_page_leaves_out_the_groups_of_an_ended_pairing(leader_in, grouped):
    town, groups = grouped
    pairing = groups["一"].task_force.pairing
    services.pairing_end(pairing=pairing, on=date(2022, 12, 31), user=None)

    page = leader_in.get(reverse("clearance:town_detail", args=[town.pk]), AUGUST).content.decode()

    assert "data-table=\"attack-groups\"" not in page
    assert "data-no-groups" in page


# The workspace -------------------------------------------------------------------


def names_in_table(page: str) -> list[str]:
    return [cells[0] for attrs, cells in body_rows(page, "enterprises")]


def group_options(page: str) -> list[str]:
    select = re.search(r'<select name="group"[^>]*>(.*?)</select>', page, re.DOTALL).group(1)
    return [text(option) for option in re.findall(r"<option[^>]*>(.*?)</option>", select, re.DOTALL)]


def test_workspace_filters_enterprises_by_group_with_the_towns_groups_in_natural_order(leader_in, grouped):
    town, groups = grouped
    url = reverse("clearance:workspace_enterprises", args=[town.pk])

    page = leader_in.get(url).content.decode()
    first = leader_in.get(url, {"group": groups["一"].pk}).content.decode()
    none = leader_in.get(url, {"group": "none"}).content.decode()

    assert group_options(page) == ["全部", "攻坚小组一", "攻坚小组二", "攻坚小组十", "未分配攻坚小组"]
    assert names_in_table(first) == ["乙企业", "甲企业"]
    assert names_in_table(none) == ["丁企业"]


def test_workspace_refuses_another_towns_group_as_a_filter(leader_in, grouped):
    town, _ = grouped
    other = AttackGroup.objects.exclude(task_force__pairing__town=town).get()

    page = leader_in.get(reverse("clearance:workspace_enterprises", args=[town.pk]), {"group": other.pk}).content.decode()

    # Not a choice: the form says so and no row of another town's group shows.
    assert "选择一个有效的选项" in page
    assert names_in_table(page) == ["没有符合条件的企业。"]
    assert "攻坚小组三" not in group_options(page)


def test_workspace_sorts_enterprises_by_group_in_natural_order_across_pages(leader_in, db):
    town, pairing = paired_town()
    groups = [services.attack_group_upsert(task_force=pairing.task_force, name=f"攻坚小组{n}") for n in reversed(NUMERALS)]
    site = SiteFactory(town=town)
    for index, group in enumerate(groups):
        for k in range(2):
            EnterpriseFactory(site=site, name=f"企业{index:02d}{k}", responsible_group=group)
    EnterpriseFactory(site=site, name="无组企业")
    url = reverse("clearance:workspace_enterprises", args=[town.pk])

    first = leader_in.get(url, {"sort": "responsible_group"}).content.decode()
    second = leader_in.get(url, {"sort": "responsible_group", "page": 2}).content.decode()
    descending = leader_in.get(url, {"sort": "-responsible_group"}).content.decode()

    shown = [cells[5] for attrs, cells in body_rows(first, "enterprises") + body_rows(second, "enterprises")]
    expected = [f"攻坚小组{n}" for n in NUMERALS for _ in range(2)] + ["—"]
    assert shown == expected
    assert [cells[5] for attrs, cells in body_rows(descending, "enterprises")][:3] == ["—", "攻坚小组十三", "攻坚小组十三"]


# The pickers: the page's enterprise form and the admin -------------------------------


def select_options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.DOTALL).group(1)
    return [text(option) for option in re.findall(r"<option[^>]*>(.*?)</option>", select, re.DOTALL)]


def test_enterprise_form_offers_the_towns_groups_in_natural_order(admin_client, db):
    town, pairing = paired_town()
    for n in ("三", "十", "一", "二"):
        services.attack_group_upsert(task_force=pairing.task_force, name=f"攻坚小组{n}")
    enterprise = EnterpriseFactory(site=SiteFactory(town=town))

    page = admin_client.get(reverse("clearance:enterprise_update", args=[enterprise.pk])).content.decode()

    assert select_options(page, "responsible_group")[1:] == ["攻坚小组一", "攻坚小组二", "攻坚小组三", "攻坚小组十"]


def test_admin_pickers_and_lists_show_groups_in_natural_order(admin_client, db):
    town, pairing = paired_town()
    for n in ("十", "二", "十一", "一"):
        services.attack_group_upsert(task_force=pairing.task_force, name=f"第{n}攻坚小组" if n != "二" else "第2攻坚小组")
    enterprise = EnterpriseFactory(site=SiteFactory(town=town))
    expected = ["第一攻坚小组", "第2攻坚小组", "第十攻坚小组", "第十一攻坚小组"]
    task_force = pairing.task_force

    picker = admin_client.get(reverse("admin:clearance_enterprise_change", args=[enterprise.pk])).content.decode()
    changelist = admin_client.get(reverse("admin:clearance_attackgroup_changelist")).content.decode()
    inline = admin_client.get(reverse("admin:clearance_taskforce_change", args=[task_force.pk])).content.decode()

    assert select_options(picker, "responsible_group")[1:] == [f"{task_force} · {name}" for name in expected]
    assert re.findall(r'<th class="field-group_name"><a [^>]*>([^<]+)</a>', changelist) == expected
    assert re.findall(r'name="attack_groups-\d+-name"[^>]*value="([^"]+)"', inline) == expected


# The demo: 林埭镇's 13 groups ---------------------------------------------------------


def test_demo_lindai_page_shows_its_13_groups_in_order_with_every_assigned_enterprise(client, demo_db):
    client.force_login(get_user_model().objects.get(username="leader"))
    lindai = Town.objects.get(name="林埭镇")

    page = client.get(reverse("clearance:town_detail", args=[lindai.pk]), AUGUST).content.decode()

    rows = group_rows(page)
    assert [row[0] for row in rows] == [f"攻坚小组{n}" for n in NUMERALS]
    assert [row[1] for row in rows] == [f"示例组长{n}" for n in NUMERALS]
    assigned = Enterprise.objects.filter(town=lindai, responsible_group__isnull=False).count()
    assert assigned > 13
    assert sum(int(row[2]) for row in rows) == assigned
