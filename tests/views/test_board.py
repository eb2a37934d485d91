"""The battle board (作战图): every site once, in the column of its stage, marked when late, filtered."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from clearance import selectors, services
from clearance.choices import Disposal, Stage
from clearance.models import Enterprise, Site

from tests.factories import EnterpriseFactory, SiteFactory, TownFactory, close_out

COLUMN_KEYS = ["0", "10", "20", "30", "40", "50", "60", "none"]


def board(client, url=None, **params) -> str:
    response = client.get(url or reverse("clearance:board"), params)
    assert response.status_code == 200
    return response.content.decode()


def columns(page: str) -> dict[str, dict]:
    """Return each column of the board: its label, the count atop it and the ids of the sites on its cards."""
    found = {}
    for key, body in re.findall(r'<section class="board-column" data-board-column="([^"]+)"[^>]*>(.*?)</section>', page, re.DOTALL):
        heading = re.search(r"<h2[^>]*>\s*([^<]+?)\s*<span[^>]*data-column-count>(\d+)</span>", body)
        found[key] = {
            "label": heading.group(1),
            "count": int(heading.group(2)),
            "sites": [int(pk) for pk in re.findall(r'data-site="(\d+)"', body)],
        }
    return found


def overdue_sites(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-site="(\d+)" data-overdue', page)}


@pytest.fixture
def leader_in(client, leader):
    client.force_login(leader)
    return client


@pytest.fixture
def sites(db):
    """One site per column in 甲镇, and one more in 乙镇; deadlines passed, to come, and passed but vacated."""
    today = timezone.localdate()
    first, second = TownFactory(name="甲镇", display_order=1), TownFactory(name="乙镇", display_order=2)
    made = {
        "none": SiteFactory(town=first, name="无企业地块"),
        "not_started": SiteFactory(town=first, name="未启动地块", deadline=today + timedelta(days=30)),
        "surveyed": SiteFactory(town=first, name="摸底地块", deadline=date(2022, 1, 1)),
        "vacated": SiteFactory(town=first, name="腾退地块", deadline=date(2022, 1, 1)),
        "demolished": SiteFactory(town=first, name="拆除地块"),
        "closed": SiteFactory(town=first, name="销号地块"),
        "negotiating": SiteFactory(town=second, name="洽谈地块"),
    }
    EnterpriseFactory(site=made["not_started"])
    ahead, behind = EnterpriseFactory(site=made["surveyed"]), EnterpriseFactory(site=made["surveyed"], is_tenant=True)
    services.event_record(enterprise=ahead, stage=Stage.SIGNED, on=date(2022, 3, 1), user=None)
    services.event_record(enterprise=behind, stage=Stage.SURVEYED, on=date(2022, 3, 1), user=None)
    close_out(EnterpriseFactory(site=made["vacated"]), signed=date(2022, 3, 1), vacated=date(2022, 3, 2))
    services.event_record(site=made["vacated"], stage=Stage.VACATED, on=date(2022, 3, 3), user=None)
    demolished = EnterpriseFactory(site=made["demolished"])
    close_out(demolished, signed=date(2022, 3, 1), vacated=date(2022, 3, 2))
    services.event_record(enterprise=demolished, stage=Stage.DEMOLISHED, on=date(2022, 3, 9), user=None)
    upgraded = EnterpriseFactory(site=made["closed"], disposal=Disposal.UPGRADE, is_high_consumption=True)
    services.event_record(enterprise=upgraded, stage=Stage.SIGNED, on=date(2022, 3, 1), user=None)
    services.event_record(enterprise=upgraded, stage=Stage.CLOSED, on=date(2022, 4, 1), user=None)
    talks = EnterpriseFactory(site=made["negotiating"], is_tenant=True)
    services.event_record(enterprise=talks, stage=Stage.NEGOTIATING, on=date(2022, 3, 1), user=None)
    return made


def test_each_site_is_in_the_column_of_its_stage_with_counts(leader_in, sites):
    page = board(leader_in)

    found = columns(page)
    assert list(found) == COLUMN_KEYS
    assert [column["label"] for column in found.values()] == ["未启动", "摸底", "洽谈", "签约", "腾退", "拆除", "销号", "无企业"]
    assert {key: column["sites"] for key, column in found.items()} == {
        "0": [sites["not_started"].pk],
        "10": [sites["surveyed"].pk],
        "20": [sites["negotiating"].pk],
        "30": [],
        "40": [sites["vacated"].pk],
        "50": [sites["demolished"].pk],
        "60": [sites["closed"].pk],
        "none": [sites["none"].pk],
    }
    assert {key: column["count"] for key, column in found.items()} == {key: len(column["sites"]) for key, column in found.items()}
    assert "显示地块 7 个。" in page


def test_a_passed_deadline_is_marked_unless_the_site_is_vacated(leader_in, sites):
    page = board(leader_in)

    assert overdue_sites(page) == {sites["surveyed"].pk}
    assert page.count("已逾期") == 1


def test_cards_show_town_area_progress_and_link_to_the_site(leader_in, sites):
    page = board(leader_in)

    card = re.search(rf'<article[^>]*data-site="{sites["surveyed"].pk}"[^>]*>(.*?)</article>', page, re.DOTALL).group(1)
    assert f'<a href="{sites["surveyed"].get_absolute_url()}">摸底地块</a>' in card
    assert "甲镇 · 10 亩" in card
    assert "企业 2 家 · 签约 1 · 腾退 0" in card
    assert '<time datetime="2022-01-01"' in card


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"town": "second"}, {"negotiating"}),
        ({"disposal": Disposal.UPGRADE}, {"closed"}),
        ({"category": "is_tenant"}, {"surveyed", "negotiating"}),
        ({"category": "is_tenant", "town": "first"}, {"surveyed"}),
        ({"category": "is_high_consumption"}, {"closed"}),
    ],
)
def test_the_board_filters_by_town_disposal_and_category(leader_in, sites, params, expected):
    towns = {"first": sites["none"].town_id, "second": sites["negotiating"].town_id}
    query = {key: towns.get(value, value) for key, value in params.items()}

    page = board(leader_in, **query)

    shown = {pk for column in columns(page).values() for pk in column["sites"]}
    assert shown == {sites[name].pk for name in expected}


def test_an_invalid_filter_shows_the_error_and_no_sites(leader_in, sites):
    page = board(leader_in, town="999999")

    assert sum(column["count"] for column in columns(page).values()) == 0
    assert "is-invalid" in page


def test_a_towns_board_has_only_its_sites_and_no_town_filter(leader_in, sites):
    town = sites["negotiating"].town

    page = board(leader_in, reverse("clearance:town_board", args=[town.pk]))

    assert {pk for column in columns(page).values() for pk in column["sites"]} == {sites["negotiating"].pk}
    assert 'name="town"' not in page
    assert 'name="disposal"' in page
    assert "乙镇作战图" in page


def test_a_towns_board_answers_404_for_an_unknown_town(leader_in):
    assert leader_in.get(reverse("clearance:town_board", args=[999999])).status_code == 404


@pytest.mark.parametrize("user_fixture", ["leader", "official", "admin_user"])
def test_every_signed_in_role_reads_the_board(client, request, sites, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    page = board(client)

    assert sum(column["count"] for column in columns(page).values()) == 7


def test_the_board_only_reads_and_needs_a_login(client, leader, sites):
    urls = [reverse("clearance:board"), reverse("clearance:town_board", args=[sites["none"].town_id])]
    anonymous = [client.get(url) for url in urls]
    client.force_login(leader)

    posted = [client.post(url, {"town": sites["none"].town_id}) for url in urls]

    assert [(response.status_code, response.url.split("?")[0]) for response in anonymous] == [(302, reverse("login"))] * 2
    assert [response.status_code for response in posted] == [405, 405]
    assert Site.objects.count() == 7


def _sites_of_size(count: int):
    town = None
    for index in range(count):
        town = TownFactory()
        for stage in (Stage.SURVEYED, Stage.SIGNED):
            site = SiteFactory(town=town, deadline=date(2022, 6, 30))
            enterprise = EnterpriseFactory(site=site, is_tenant=index % 2 == 0)
            services.event_record(enterprise=enterprise, stage=stage, on=date(2022, 3, 1), user=None)
        SiteFactory(town=town)
    return town


@pytest.mark.parametrize("size", [2, 20])
def test_the_board_runs_a_fixed_number_of_queries(leader_in, django_assert_num_queries, size):
    _sites_of_size(size)
    board(leader_in)

    # session, user, towns for the filter, the columns' counts, their cards' ids, the cards
    with django_assert_num_queries(6):
        page = board(leader_in, category="is_tenant")

    assert sum(column["count"] for column in columns(page).values()) == 2 * ((size + 1) // 2)


@pytest.mark.parametrize("size", [2, 20])
def test_a_towns_board_runs_a_fixed_number_of_queries(leader_in, django_assert_num_queries, size):
    town = _sites_of_size(size)
    for _ in range(size):
        SiteFactory(town=town)
    url = reverse("clearance:town_board", args=[town.pk])
    board(leader_in, url)

    # session, user, town, the columns' counts, their cards' ids, the cards
    with django_assert_num_queries(6):
        page = board(leader_in, url)

    assert sum(column["count"] for column in columns(page).values()) == 3 + size


# The demo --------------------------------------------------------------------------


def test_demo_board_shows_every_site_exactly_once_in_the_column_of_its_stage(client, demo_db):
    client.force_login(get_user_model().objects.get(username="leader"))
    expected = dict(selectors.with_site_stage(Site.objects.all()).values_list("pk", "stage"))

    page = board(client)

    # A crowded column shows its most urgent cards; its full list (?column=) has every one.
    capped = columns(page)
    found = {key: columns(board(client, column=key))[key] for key in capped}
    assert all(capped[key]["count"] == found[key]["count"] for key in capped)
    assert all(capped[key]["sites"] == found[key]["sites"][:30] for key in capped)
    shown = [pk for column in found.values() for pk in column["sites"]]
    assert sorted(shown) == sorted(expected)
    assert len(expected) == Site.objects.count() > 70
    for key, column in found.items():
        stage = None if key == "none" else int(key)
        assert all(expected[pk] == stage for pk in column["sites"]), key
        assert column["count"] == len(column["sites"])
    liudian = Site.objects.get(name="六店区域")
    shengli = Site.objects.get(name="原胜利钢厂地块")
    xujiadai = Site.objects.get(name="徐家埭工业集聚点")
    # An area is placed by what is inside it: 六店区域 waits on 龙牌糟厂 and 盐业公司, still in talks.
    assert liudian.pk in found[str(Stage.NEGOTIATING.value)]["sites"]
    assert xujiadai.pk not in found["none"]["sites"]
    assert shengli.pk in found[str(Stage.VACATED.value)]["sites"]


def test_demo_liudian_page_counts_everything_inside_it_and_its_vacated_land(client, demo_db):
    client.force_login(get_user_model().objects.get(username="leader"))
    liudian = Site.objects.get(name="六店区域")
    inside = Enterprise.objects.filter(site__parent=liudian)

    html = client.get(liudian.get_absolute_url()).content.decode()

    assert f"data-enterprise-count>{inside.count()}</span>" in html
    assert inside.count() > 20
    assert f'data-signed-count="{inside.filter(events__stage=Stage.SIGNED).count()}"' in html
    # The article's 360.5 亩, vacated parcel by parcel, readable on the area's page.
    assert "区域内地块：已腾退" in html and "360.50 亩" in html
    assert 'data-vacated-area="360.50"' in html
    assert 'data-site-stage="20"' in html  # 洽谈: 龙牌糟厂 and 盐业公司 are still in talks
    assert "尚无企业" not in html


def test_an_area_card_on_the_board_shows_its_parcels_vacated_and_their_land(client, leader):
    town = TownFactory(name="甲镇")
    area = services.site_create(town=town, name="甲区", area_mu=Decimal("100"), user=None)
    cleared = services.site_create(town=town, name="甲区一号", area_mu=Decimal("20.43"), parent=area, user=None)
    waiting = services.site_create(town=town, name="甲区二号", area_mu=Decimal("30"), parent=area, user=None)
    gone = EnterpriseFactory(site=cleared)
    close_out(gone, signed=date(2022, 3, 1), vacated=date(2022, 3, 2), closed=date(2022, 3, 3))
    services.event_record(site=cleared, stage=Stage.VACATED, on=date(2022, 3, 4), user=None)
    talking = EnterpriseFactory(site=waiting)
    services.event_record(enterprise=talking, stage=Stage.NEGOTIATING, on=date(2022, 3, 1), user=None)
    client.force_login(leader)

    page = client.get(reverse("clearance:town_board", args=[town.pk])).content.decode()

    found = columns(page)
    assert area.pk in found[str(Stage.NEGOTIATING.value)]["sites"]
    card = re.search(rf'<article[^>]*data-site="{area.pk}".*?</article>', page, re.DOTALL).group(0)
    assert "区域内地块：已腾退 1 / 2 个，20.43 亩" in " ".join(card.split())


def test_a_crowded_column_shows_its_most_urgent_cards_and_links_to_all_of_them(client, leader, settings):
    settings.CLEARANCE_BOARD_CARDS_PER_COLUMN = 3
    town = TownFactory(name="甲镇")
    late = [services.site_create(town=town, name=f"逾期{n}", area_mu=Decimal("1"), deadline=date(2022, 1, n + 1),
                                 user=None) for n in range(2)]
    soon = services.site_create(town=town, name="将到期", area_mu=Decimal("1"),
                                deadline=timezone.localdate() + timedelta(days=5), user=None)
    relaxed = [services.site_create(town=town, name=f"无期限{n}", area_mu=Decimal("1"), user=None) for n in range(4)]
    for site in [*late, soon, *relaxed]:
        EnterpriseFactory(site=site)  # nothing recorded: every site in the "not started" column
    client.force_login(leader)

    page = client.get(reverse("clearance:town_board", args=[town.pk])).content.decode()

    column = columns(page)["0"]
    # Overdue first, then the nearest deadline; the count atop is of all seven.
    assert column["sites"] == [late[0].pk, late[1].pk, soon.pk]
    assert column["count"] == 7
    more = re.search(r'<a class="small d-block px-1" href="([^"]+)" data-column-more="4">\s*另有 4 个，查看全部', page)
    assert more
    full = client.get(reverse("clearance:town_board", args=[town.pk]) + more.group(1).replace("&amp;", "&")).content.decode()
    assert list(columns(full)) == ["0"]
    assert len(columns(full)["0"]["sites"]) == 7


def test_in_a_column_the_sites_still_to_vacate_come_before_those_vacated(client, leader, settings):
    settings.CLEARANCE_BOARD_CARDS_PER_COLUMN = 2
    town = TownFactory(name="甲镇")
    today = timezone.localdate()
    # All three in the 腾退 column: two vacated by their own 腾退 (never late), one whose enterprise left but whose
    # own 腾退 is still to record, due later than both.
    done = [services.site_create(town=town, name=f"已腾退{n}", area_mu=Decimal("1"), deadline=date(2022, 1, n + 1),
                                 user=None) for n in range(2)]
    waiting = services.site_create(town=town, name="待腾退", area_mu=Decimal("1"), deadline=today + timedelta(days=9),
                                   user=None)
    for site in [*done, waiting]:
        close_out(EnterpriseFactory(site=site), signed=date(2022, 3, 1), vacated=date(2022, 3, 2))
    for site in done:
        services.event_record(site=site, stage=Stage.VACATED, on=date(2022, 3, 3), user=None)
    client.force_login(leader)

    page = client.get(reverse("clearance:town_board", args=[town.pk])).content.decode()

    column = columns(page)[str(Stage.VACATED.value)]
    assert column["sites"] == [waiting.pk, done[0].pk]
    assert column["count"] == 3
    assert overdue_sites(page) == set()


def test_a_card_follows_every_write_that_moves_it(leader_in):
    town = TownFactory(name="甲镇")
    area = services.site_create(town=town, name="甲区", area_mu=Decimal("100"), user=None)
    parcel = services.site_create(town=town, name="甲区一号", area_mu=Decimal("20"), parent=area, user=None,
                                  deadline=date(2022, 1, 1))
    url = reverse("clearance:town_board", args=[town.pk])

    def column_of(site):
        return next(key for key, column in columns(board(leader_in, url)).items() if site.pk in column["sites"])

    assert column_of(area) == column_of(parcel) == "none"
    enterprise = EnterpriseFactory(site=parcel)
    assert column_of(area) == column_of(parcel) == "0"
    assert overdue_sites(board(leader_in, url)) == {parcel.pk}
    event = services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 3, 1), user=None)
    assert column_of(area) == column_of(parcel) == str(Stage.SIGNED.value)
    other = services.site_create(town=town, name="乙厂", area_mu=Decimal("5"), user=None)
    enterprise.refresh_from_db()
    services.enterprise_update(enterprise=enterprise, expected_version=enterprise.version, user=None, site=other)
    assert column_of(other) == str(Stage.SIGNED.value)
    assert column_of(area) == column_of(parcel) == "none"
    event.refresh_from_db()
    services.event_delete(event=event, expected_version=event.version, user=None)
    assert column_of(other) == "0"
    close_out(EnterpriseFactory(site=parcel), signed=date(2022, 3, 1), vacated=date(2022, 3, 2))
    services.event_record(site=parcel, stage=Stage.VACATED, on=date(2022, 3, 5), user=None)
    assert column_of(parcel) == str(Stage.VACATED.value)
    assert overdue_sites(board(leader_in, url)) == set()
    # The area's card counts its parcel's land once the parcel is vacated.
    assert "区域内地块：已腾退 1 / 1 个，20 亩" in " ".join(board(leader_in, url).split())
    parcel.refresh_from_db()
    services.site_update(site=parcel, expected_version=parcel.version, user=None, parent=None)
    assert column_of(area) == "none"
    assert "区域内地块" not in board(leader_in, url)


def test_a_columns_full_list_comes_a_page_at_a_time(client, leader, settings):
    settings.CLEARANCE_BOARD_CARDS_PER_COLUMN = 2
    settings.CLEARANCE_BOARD_COLUMN_PAGE = 3
    town = TownFactory(name="甲镇")
    sites = [services.site_create(town=town, name=f"地块{n}", area_mu=Decimal("1"), deadline=date(2030, 1, n + 1),
                                  user=None) for n in range(7)]
    for site in sites:
        EnterpriseFactory(site=site)
    client.force_login(leader)
    url = reverse("clearance:town_board", args=[town.pk])

    def page(number) -> str:
        return client.get(url, {"column": "0", "page": number}).content.decode()

    first, second, last = page(1), page(2), page(3)

    assert [columns(each)["0"]["sites"] for each in (first, second, last)] == [
        [site.pk for site in sites[:3]], [site.pk for site in sites[3:6]], [sites[6].pk]]
    assert "第 1–3 个地块，共 7 个" in first and "第 7–7 个地块，共 7 个" in last
    assert 'rel="next" data-column-next' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in last and "data-column-next" not in last
    # A page that is not a number gives the first, one past the end the last, as a table's pages do.
    assert columns(page("abc"))["0"]["sites"] == columns(first)["0"]["sites"]
    assert columns(page(99))["0"]["sites"] == columns(last)["0"]["sites"]
    # The board itself links to the column's first page.
    assert re.search(r'href="\?column=0(&amp;page=)?" data-column-more="5"', client.get(url).content.decode())
