"""The register's pages: the list with its filters and exports, recording and resolving on a phone-sized form, open
items on the site, enterprise and town pages and the board, the dashboard and bulletin panels; fixed query counts."""

import csv
import io
import re
from datetime import date

import pytest
from django.urls import reverse

from clearance import services
from clearance.choices import RegisterKind
from clearance.derived import site_progress
from clearance.models import AttackGroup, Enterprise, RegisterItem

from tests.dashboard_helpers import body_rows
from tests.stability.helpers import raise_item, register_rows

pytestmark = pytest.mark.django_db
LIST = "/register/"


def page(client, url, **query) -> str:
    response = client.get(url, query)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def many_items(world, count: int) -> None:
    """COUNT more open items on enterprises of the world's site, written in bulk (the pages must not care how many)."""
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(town=world.town, site=world.site, name=f"租户{n:03d}") for n in range(count))
    RegisterItem.objects.bulk_create(
        RegisterItem(town=world.town, enterprise=each, kind=RegisterKind.HAZARD, raised_on=date(2022, 5, 1),
                     description="隐患", responsible_group=AttackGroup.objects.get(task_force__pairing__town=world.town))
        for each in enterprises)
    site_progress.rebuild([world.town.pk])  # as a bulk writer does (the board's cards count the enterprises)


# The list ------------------------------------------------------------------------------------------------


def test_the_list_filters_by_town_kind_status_and_subject_and_exports_as_filtered(client, world):
    raise_item(world, site=world.parcel, kind=RegisterKind.HAZARD, on=date(2022, 4, 2))
    raise_item(world, enterprise=world.enterprise, on=date(2022, 3, 1), resolved_on=date(2022, 3, 9))
    raise_item(world, site=world.other_site, kind=RegisterKind.PETITION, on=date(2022, 2, 1), user=world.admin)
    client.force_login(world.leader)

    rows = body_rows(page(client, LIST), "register")
    assert [cells[:4] for _attrs, cells in rows] == [
        ["2022-04-02", "曹桥街道", "安全隐患", "原胜利钢厂地块"],
        ["2022-03-01", "曹桥街道", "矛盾纠纷", "示例企业甲"],
        ["2022-02-01", "林埭镇", "信访", "林埭示例地块"],
    ]
    # A leader writes nothing: no edit links.
    assert "data-edit-item" not in page(client, LIST)
    only_open = body_rows(page(client, LIST, town=world.town.pk, status="open"), "register")
    assert [cells[3] for _attrs, cells in only_open] == ["原胜利钢厂地块"]
    assert [cells[3] for _a, cells in body_rows(page(client, LIST, kind="petition"), "register")] == ["林埭示例地块"]
    assert [cells[3] for _a, cells in body_rows(page(client, LIST, subject="示例企业"), "register")] == ["示例企业甲"]

    export = client.get(LIST, {"status": "resolved", "_export": "csv"})
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert lines == [
        ["发现日期", "镇街道", "类别", "地块或企业", "情况描述", "责任攻坚小组", "化解日期", "化解情况"],
        ["2022-03-01", "曹桥街道", "矛盾纠纷", "示例企业甲", "租金纠纷", "", "2022-03-09", "调解结案"],
    ]
    assert client.get(LIST, {"_export": "json"}).status_code == 400


def test_an_official_gets_edit_links_for_their_town_only(client, world):
    own = raise_item(world)
    other = raise_item(world, site=world.other_site, user=world.admin)
    client.force_login(world.official)

    html = page(client, LIST)

    assert reverse("clearance:register_item_update", args=[own.pk]) in html
    assert reverse("clearance:register_item_update", args=[other.pk]) not in html


# Recording, editing, resolving ------------------------------------------------------------------------------


def test_an_official_records_an_item_on_a_site_of_their_town_choosing_among_its_active_groups(client, world):
    group = AttackGroup.objects.get(task_force__pairing__town=world.town)
    client.force_login(world.official)
    url = f"/register/new/?site={world.site.pk}"

    form = page(client, url)
    offered = re.findall(r'<option value="(\d+)"', re.search(r'name="responsible_group".*?</select>', form, re.S).group(0))
    assert offered == [str(group.pk)]

    response = client.post(url, {"kind": "hazard", "raised_on": "2022-05-06", "description": "私拉电线",
                                 "responsible_group": group.pk})

    assert response.status_code == 302 and response["Location"] == world.site.get_absolute_url() + "#register"
    item = RegisterItem.objects.get()
    assert (item.town, item.site, item.kind, item.responsible_group, item.recorded_by) == (
        world.town, world.site, RegisterKind.HAZARD, group, world.official)
    html = page(client, world.site.get_absolute_url())
    assert 'data-register-open="1"' in html and "私拉电线" in html


def test_a_refused_item_shows_the_reason_in_chinese_and_writes_nothing(client, world):
    client.force_login(world.official)
    before = register_rows()

    response = client.post(f"/register/new/?enterprise={world.enterprise.pk}", {
        "kind": "dispute", "raised_on": "2022-05-06", "description": "纠纷", "resolved_on": "2022-05-01",
        "resolution": "调解"})

    assert response.status_code == 200
    assert "化解日期不能早于发现日期。" in response.content.decode()
    assert register_rows() == before


def test_other_towns_and_leaders_get_no_form_and_a_403(client, world):
    raise_item(world)
    for user in (world.other_official, world.leader):
        client.force_login(user)
        html = page(client, world.site.get_absolute_url())
        assert "data-register-new" not in html and "编辑或销号" not in html
        assert client.get(f"/register/new/?site={world.site.pk}").status_code == 403
        assert client.post(f"/register/new/?site={world.site.pk}", {"kind": "dispute"}).status_code == 403
    assert RegisterItem.objects.count() == 1


def test_the_new_page_without_a_subject_says_why_in_chinese(client, world):
    client.force_login(world.official)

    response = client.get("/register/new/")

    assert response.status_code == 400
    assert "请从地块或企业页面进入本页" in response.content.decode()


def test_an_official_resolves_an_item_and_it_leaves_the_open_lists(client, world):
    item = raise_item(world, enterprise=world.enterprise)
    client.force_login(world.official)
    url = reverse("clearance:register_item_update", args=[item.pk])
    assert "data-resolve-form" in page(client, url)

    response = client.post(url, {"resolve": "1", "version": 1, "resolved_on": "2022-03-20", "resolution": "协商一致"})

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.resolved_on, item.resolution, item.version) == (date(2022, 3, 20), "协商一致", 2)
    assert 'data-register-open="0"' in page(client, world.enterprise.get_absolute_url())


def test_an_edit_from_a_stale_page_gets_the_conflict_page_and_changes_nothing(client, world):
    item = raise_item(world)
    services.register_item_update(item=item, expected_version=1, user=world.admin, description="管理员已修改")
    client.force_login(world.official)
    before = register_rows()

    response = client.post(reverse("clearance:register_item_update", args=[item.pk]), {
        "version": 1, "kind": "dispute", "raised_on": "2022-03-10", "description": "旧页面"})

    assert response.status_code == 409
    assert register_rows() == before


# Open items on the pages -----------------------------------------------------------------------------------


def test_the_site_page_shows_the_open_items_of_its_parcels_and_enterprises_the_town_page_and_board_too(client, world):
    raise_item(world, site=world.parcel, kind=RegisterKind.HAZARD, on=date(2022, 4, 2))
    raise_item(world, enterprise=world.enterprise, on=date(2022, 3, 1))
    raise_item(world, enterprise=world.enterprise, on=date(2022, 2, 1), resolved_on=date(2022, 2, 9))
    client.force_login(world.official)

    site = page(client, world.site.get_absolute_url())
    assert 'data-register-open="2"' in site and "data-register-new" in site
    assert 'data-register-open="1"' in page(client, world.parcel.get_absolute_url())
    assert 'data-register-open="2"' in page(client, reverse("clearance:town_detail", args=[world.town.pk]))
    board = page(client, "/board/")
    card = re.search(rf'data-site="{world.site.pk}".*?</article>', board, re.S).group(0)
    assert 'data-register-open="2"' in card and "2 项矛盾隐患未化解" in card
    other_card = re.search(rf'data-site="{world.other_site.pk}".*?</article>', board, re.S).group(0)
    assert "data-register-open" not in other_card


def open_lines(html: str) -> list[str]:
    """Each open item's line as a reader sees it: its text, then the addresses it links to."""
    items = re.findall(r'<li class="list-group-item" data-register-item="\d+">(.*?)</li>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) + " → " + " ".join(re.findall(r'href="([^"]+)"', item))
            for item in items]


def test_each_open_item_names_its_kind_subject_date_and_group_and_links_to_edit_only_where_the_page_may(client, world):
    group = AttackGroup.objects.get(task_force__pairing__town=world.town)
    item = raise_item(world, enterprise=world.enterprise, kind=RegisterKind.PETITION, on=date(2022, 3, 1),
                      responsible_group=group)
    RegisterItem.objects.filter(pk=item.pk).update(description="租" * 150)
    hazard = raise_item(world, site=world.parcel, kind=RegisterKind.HAZARD, on=date(2022, 4, 2))
    client.force_login(world.official)
    # A long description is cut at 140 characters, Django's Chinese ellipsis ("...") included.
    edit = reverse("clearance:register_item_update", args=[item.pk])
    enterprise_line = (f"信访 {world.enterprise.name} 发现于 2022-03-01 · {group.name} {'租' * 137}... 编辑或销号 → "
                       f"{world.enterprise.get_absolute_url()} {edit}")

    # The site page may record items: each line links to its subject and to its editing.
    assert open_lines(page(client, world.site.get_absolute_url())) == [
        enterprise_line,
        f"安全隐患 {world.parcel.name} 发现于 2022-04-02 租金纠纷 编辑或销号 → {world.parcel.get_absolute_url()} "
        f"{reverse('clearance:register_item_update', args=[hazard.pk])}",
    ]
    # The town page lists them for reading: no editing there.
    town = open_lines(page(client, reverse("clearance:town_detail", args=[world.town.pk])))
    assert town[0] == f"信访 {world.enterprise.name} 发现于 2022-03-01 · {group.name} {'租' * 137}... → " \
                      f"{world.enterprise.get_absolute_url()}"


def test_a_town_page_lists_its_oldest_twenty_open_items_and_links_to_the_rest(client, world):
    raise_item(world, on=date(2022, 1, 5))
    many_items(world, 25)
    client.force_login(world.leader)

    town = page(client, reverse("clearance:town_detail", args=[world.town.pk]))

    lines = open_lines(town)
    assert len(lines) == 20 and lines[0] == f"矛盾纠纷 {world.site.name} 发现于 2022-01-05 租金纠纷 → {world.site.get_absolute_url()}"
    assert 'data-register-open="20"' in town and "data-register-more" in town
    assert re.search(r'id="register-heading">.*?20\+</span>', town, re.S)


def test_the_dashboard_and_the_bulletin_count_the_period(client, world):
    raise_item(world, on=date(2022, 3, 1), resolved_on=date(2022, 3, 9))
    raise_item(world, site=world.parcel, kind=RegisterKind.HAZARD, on=date(2022, 4, 2))
    raise_item(world, site=world.other_site, on=date(2022, 9, 1), user=world.admin)
    client.force_login(world.leader)

    dashboard = page(client, "/", year=2022, month=8)
    assert re.search(r'data-register-card="raised">.*?fw-semibold">2<', dashboard, re.S)
    assert re.search(r'data-register-card="open">.*?fw-semibold">1<', dashboard, re.S)
    towns = [cells for _attrs, cells in body_rows(dashboard, "register-counts")]
    # Township, then raised, resolved, open: in all, then disputes, petitions, hazards. September is not in August's.
    assert towns == [["曹桥街道", "2", "1", "1", "1", "1", "0", "0", "0", "0", "1", "0", "1"],
                     ["林埭镇", *["0"] * 12]]
    bulletin = page(client, "/bulletin/", year=2022, month=8)
    rows = [cells for _attrs, cells in body_rows(bulletin, "bulletin-register")]
    assert rows == [["曹桥街道", "2", "1", "1"], ["林埭镇", "0", "0", "0"]]
    assert "2022年1月1日至2022-08-31：新发现 2 项，化解 1 项；期末未化解 1 项。" in bulletin


# Constant queries -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 30])
def test_the_register_pages_run_a_fixed_number_of_queries(client, world, django_assert_num_queries, size):
    many_items(world, size)
    client.force_login(world.official)
    with django_assert_num_queries(QUERIES["list"]):
        client.get(LIST)
    with django_assert_num_queries(QUERIES["site"]):
        client.get(world.site.get_absolute_url())
    with django_assert_num_queries(QUERIES["enterprise"]):
        client.get(world.enterprise.get_absolute_url())
    with django_assert_num_queries(QUERIES["town"]):
        client.get(reverse("clearance:town_detail", args=[world.town.pk]))
    with django_assert_num_queries(QUERIES["board"]):
        client.get("/board/")
    with django_assert_num_queries(QUERIES["dashboard"]):
        client.get("/", {"year": 2022, "month": 8})
    with django_assert_num_queries(QUERIES["bulletin"]):
        client.get("/bulletin/", {"year": 2022, "month": 8})


# An official's view (the pages ask which towns they write for); the same at one item and at thirty.
QUERIES = {"list": 7, "site": 24, "enterprise": 12, "town": 22, "board": 6, "dashboard": 25, "bulletin": 19}
