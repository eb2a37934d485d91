"""The land form's site picker: the sites of the project's town found by a part of their name (htmx, or a GET of
the land page without scripts), at most 20 of them; the site chosen checked and looked up alone when the form is
sent; the same permission as the other writes; a fixed number of queries however many sites the town has."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clearance import services
from clearance.models import ProjectSite
from clearance.selectors.projects import LAND_MATCHES, LAND_SEARCH_LENGTH
from tests.reuse.pages import form_errors, take_land, vacate

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
RADIO = re.compile(r'<input[^>]*type="radio" name="site" value="(\d+)"[^>]*>')


@pytest.fixture
def project(world):
    return services.project_create(town=world.town, name="嘉创智谷", investor="嘉兴创投", user=world.admin)


def add_sites(world, names, *, area="10"):
    return [services.site_create(town=world.town, name=name, area_mu=Decimal(area), user=world.admin) for name in names]


def found(client, project, text: str = "", **extra):
    """The site picker's answer to TEXT, as htmx asks for it."""
    response = client.get(reverse("clearance:project_land_sites", args=[project.pk]), {"q": text, **extra}, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def offered(html: str) -> list[int]:
    """The ids of the sites the picker offers, in order."""
    return [int(pk) for pk in RADIO.findall(html)]


def checked(html: str) -> list[int]:
    """The ids of the sites the picker shows checked."""
    return [int(match.group(1)) for match in RADIO.finditer(html) if " checked" in match.group(0)]


def test_the_search_finds_leaf_sites_of_the_town_by_a_part_of_their_name_in_any_case(as_official, world, project):
    east, west, _ = add_sites(world, ["东区ABC地块", "西区abc厂房", "无关地块"])
    vacate(east, date(2022, 3, 1))
    services.site_create(town=world.other_town, name="林埭abc地块", area_mu=Decimal(5), user=world.admin)

    html = found(as_official, project, "Abc")

    assert offered(html) == [east.pk, west.pk]
    # Each with its free land and 腾退 date, as the list showed them.
    assert "东区ABC地块 · 共 10.00 亩，空余 10.00 亩 · 2022-03-01 腾退" in html
    assert "西区abc厂房 · 共 10.00 亩，空余 10.00 亩 · 未腾退" in html
    # An area holding parcels gives no land itself; every leaf of the town is offered before a search.
    assert world.site.pk not in offered(found(as_official, project))
    assert world.parcel.pk in offered(found(as_official, project, "胜利"))


def test_at_most_twenty_sites_are_listed_and_the_user_is_told_to_type_more(as_official, world, project):
    add_sites(world, [f"批量地块{number:02d}" for number in range(LAND_MATCHES + 5)])

    html = found(as_official, project, "批量")

    assert len(offered(html)) == LAND_MATCHES
    assert "只列出前 20 个匹配的地块：请输入更多名称文字。" in html
    exact = found(as_official, project, "批量地块07")
    assert len(offered(exact)) == 1 and "请输入更多" not in exact


def test_a_search_that_finds_nothing_says_so(as_official, project):
    html = found(as_official, project, "不存在")

    assert offered(html) == []
    assert "本镇没有名称含“不存在”的地块。" in html


def test_the_search_text_is_capped_and_control_characters_dropped(as_official, world, project):
    html = found(as_official, project, "胜利" + "\x00" + "x" * 500)

    assert offered(html) == []
    assert "“胜利" + "x" * (LAND_SEARCH_LENGTH - 2) + "”" in html
    page = as_official.get(reverse("clearance:project_land", args=[project.pk]), {"q": "胜\x00利" * 100})
    assert page.status_code == 200
    assert f'maxlength="{LAND_SEARCH_LENGTH}"' in page.content.decode()


@pytest.mark.parametrize("role", ["other_official", "leader"])
def test_only_who_writes_for_the_town_may_search_its_sites(client, world, project, role):
    client.force_login(getattr(world, role))
    url = reverse("clearance:project_land_sites", args=[project.pk])

    assert client.get(url, {"q": "胜利"}, **HTMX).status_code == 403
    assert client.get(reverse("clearance:project_land_sites", args=[project.pk + 1000]), **HTMX).status_code == 404


def test_an_admin_searches_any_town_s_sites(client, world, project):
    client.force_login(world.admin)

    assert offered(found(client, project, "胜利")) == [world.parcel.pk]


def test_without_scripts_the_search_reloads_the_land_page_with_the_sites_found(as_official, world, project):
    vacate(world.parcel)
    land_url = reverse("clearance:project_land", args=[project.pk])
    add_sites(world, ["胜利二号地块"])

    page = as_official.get(land_url, {"q": "钢厂"}).content.decode()

    assert offered(page) == [world.parcel.pk]
    assert 'name="q" form="land-search"' in page and 'value="钢厂"' in page
    assert f'<form id="land-search" method="get" action="{land_url}"' in page
    # The site found is sent with the land form.
    assert take_land(as_official, project, world.parcel, "3").status_code == 302
    assert ProjectSite.objects.get(project=project).site == world.parcel
    # The picker's own address, followed without htmx, shows the land page with the same search.
    response = as_official.get(reverse("clearance:project_land_sites", args=[project.pk]), {"q": "钢厂"})
    assert response.status_code == 302
    assert response.url == f"{land_url}?q=%E9%92%A2%E5%8E%82"


def test_without_scripts_a_search_keeps_the_site_chosen(as_official, world, project):
    others = add_sites(world, ["甲地块"])
    land_url = reverse("clearance:project_land", args=[project.pk])
    # The search form sends the site chosen (by ?site=) with the text searched.
    page = as_official.get(land_url, {"site": world.parcel.pk}).content.decode()
    search_form = page[page.index('<form id="land-search"'):]
    search_form = search_form[:search_form.index("</form>")]
    assert f'name="site" id="land-search-site" value="{world.parcel.pk}"' in search_form

    page = as_official.get(land_url, {"q": "甲", "site": world.parcel.pk}).content.decode()

    assert checked(page) == [world.parcel.pk]
    assert offered(page) == [world.parcel.pk, others[0].pk]
    # The picker's address followed without htmx keeps it too; a site that is none of the town's is not offered.
    response = as_official.get(reverse("clearance:project_land_sites", args=[project.pk]), {"q": "甲", "site": world.parcel.pk})
    assert response.url == f"{land_url}?q=%E7%94%B2&site={world.parcel.pk}"
    page = as_official.get(land_url, {"q": "甲", "site": world.other_site.pk}).content.decode()
    assert checked(page) == [] and offered(page) == [others[0].pk]
    assert 'id="land-search-site" value=""' in page


def test_a_site_chosen_by_the_url_is_shown_checked_on_the_project_page_and_the_land_page(as_official, world, project):
    others = add_sites(world, ["甲地块", "乙地块"])
    for url in (project.get_absolute_url(), reverse("clearance:project_land", args=[project.pk])):
        html = as_official.get(url, {"site": world.parcel.pk}).content.decode()

        assert checked(html) == [world.parcel.pk]
        # First, and not listed twice.
        assert offered(html)[0] == world.parcel.pk and offered(html).count(world.parcel.pk) == 1
        assert {site.pk for site in others} <= set(offered(html))
    # A site of another town in the URL is not offered.
    html = as_official.get(project.get_absolute_url(), {"site": world.other_site.pk}).content.decode()
    assert checked(html) == [] and world.other_site.pk not in offered(html)


def test_the_site_checked_stays_checked_while_the_user_searches(as_official, world, project):
    add_sites(world, ["甲地块"])

    html = found(as_official, project, "甲", site=world.parcel.pk)

    assert checked(html) == [world.parcel.pk]
    assert offered(html)[0] == world.parcel.pk


@pytest.mark.parametrize("choice", ["other_town", "area", "unknown", "text", "none"])
def test_land_of_a_site_not_offered_is_refused_in_chinese_and_nothing_changes(as_official, world, project, choice):
    site = {
        "other_town": str(world.other_site.pk), "area": str(world.site.pk), "unknown": "999999999",
        "text": "胜利", "none": "",
    }[choice]

    response = as_official.post(reverse("clearance:project_land", args=[project.pk]),
                                {"site": site, "area_mu": "3", "version": str(project.version)})

    assert response.status_code == 200
    assert form_errors(response) == [{
        "other_town": "所选地块不是曹桥街道可供地的地块，请在列表中选择。",
        "area": "所选地块不是曹桥街道可供地的地块，请在列表中选择。",
        "unknown": "所选地块不是曹桥街道可供地的地块，请在列表中选择。",
        "text": "请在列表中选择地块。", "none": "请选择地块：先按名称搜索，再在列表中选中。",
    }[choice]]
    assert 'id="land-site-error"' in response.content.decode()
    assert not ProjectSite.objects.filter(project=project).exists()
    project.refresh_from_db()
    assert project.version == 1


def test_a_form_sent_back_keeps_the_site_chosen_checked(as_official, world, project):
    response = as_official.post(reverse("clearance:project_land", args=[project.pk]),
                                {"site": str(world.parcel.pk), "area_mu": "-1", "version": str(project.version)})

    assert response.status_code == 200
    assert checked(response.content.decode()) == [world.parcel.pk]


def queries(client, url: str, **extra) -> int:
    client.get(url, **extra)  # Warm the caches (session, content types) before counting.
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["project", "project_with_site", "land", "land_search", "sites"])
def test_the_pages_with_the_picker_keep_a_fixed_number_of_queries(as_official, world, project, page):
    url = {
        "project": project.get_absolute_url(),
        "project_with_site": f"{project.get_absolute_url()}?site={world.parcel.pk}",
        "land": reverse("clearance:project_land", args=[project.pk]),
        "land_search": reverse("clearance:project_land", args=[project.pk]) + "?q=地块",
        "sites": reverse("clearance:project_land_sites", args=[project.pk]) + f"?q=地块&site={world.parcel.pk}",
    }[page]
    extra = HTMX if page == "sites" else {}
    counts = []
    for start, count in ((0, 2), (2, 2 * LAND_MATCHES)):
        sites = add_sites(world, [f"地块{number:03d}" for number in range(start, start + count)])
        for site in sites[::2]:
            vacate(site)
            services.project_land_set(project=project, site=site, area_mu=Decimal(1),
                                      expected_version=project.version, user=world.admin)
            project.refresh_from_db()
        counts.append(queries(as_official, url, **extra))

    assert counts[0] == counts[1]


def test_htmx_is_loaded_on_the_project_page_only_for_who_may_write_there(client, world, project):
    client.force_login(world.official)
    assert "htmx.min.js" in client.get(project.get_absolute_url()).content.decode()
    client.force_login(world.leader)
    assert "htmx.min.js" not in client.get(project.get_absolute_url()).content.decode()
