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
