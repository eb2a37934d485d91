"""The 换鸟 sections of the dashboard, a town's page and the bulletin: what they show, and constant queries."""

import re

import pytest
from django.urls import reverse

from tests.dashboard_helpers import body_rows, text
from tests.reuse.test_pages import _projects_of_size
from tests.reuse.worlds import reuse_world

pytestmark = pytest.mark.django_db
AUGUST = {"year": 2022, "month": 8}


@pytest.fixture
def leader_in(client, leader):
    client.force_login(leader)
    return client


def get(client, name, *args, **params):
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200
    return response.content.decode()


def test_town_page_shows_its_figures_target_light_rank_and_its_missed_commitments(leader_in):
    world = reuse_world()
    town, committed = world["town"], world["committed_town"]
    page = get(leader_in, "clearance:town_detail", town.pk, **AUGUST)
    other = get(leader_in, "clearance:town_detail", committed.pk, **AUGUST)

    section = page.split("data-reuse-panel")[1].split("</section>")[0]
    assert 'data-reuse-town-rank="1"' in section
    assert text(section.split('data-reuse-target="land_reused_mu">')[1].split("</dd>")[0]) == "90.00 亩"
    assert text(section.split('data-reuse-completion="land_reused_mu">')[1].split("</dd>")[0]) == "50.0%"
    assert 'data-reuse-card="land_reused_mu">' in section and 'data-light="red"' in section
    # 履约镇 has no target: no light, no rank; one missed commitment, linked to the list of its missed ones.
    other_section = other.split("data-reuse-panel")[1].split("</section>")[0]
    assert 'data-reuse-town-rank=""' in other_section
    missed = (f'href="{reverse("clearance:reuse_commitments")}?year=2022&amp;month=8&amp;state=missed'
              f'&amp;town={committed.pk}" data-reuse-commitment="missed">1<')
    assert missed in other_section
    # Each page counts its own town's commitments alone (as the bulletin's row of each town does).
    assert commitments(other_section) == {"due": "4", "met": "1", "missed": "1", "unverified": "2"}
    assert commitments(section) == {"due": "0", "met": "0", "missed": "0", "unverified": "0"}


def commitments(section: str) -> dict[str, str]:
    return dict(re.findall(r'data-reuse-commitment="(\w+)">(\d+)<', section))


def test_dashboard_shows_the_city_and_each_town_s_land_reused_and_awaiting(leader_in):
    reuse_world()
    page = get(leader_in, "clearance:home", **AUGUST)

    assert [cells for _attrs, cells in body_rows(page, "dashboard-reuse")] == [
        ["履约镇", "0", "0.00", "100.00"],
        ["换鸟镇", "1", "45.00 红灯", "15.00"],
    ]
    assert f'href="{reverse("clearance:reuse")}?year=2022&amp;month=8" data-reuse-link' in page
    # The city's commitments: every town's, counted at once.
    assert commitments(page.split('data-reuse-commitments')[1].split("</ul>")[0]) == {
        "due": "4", "met": "1", "missed": "1", "unverified": "2"}


def test_bulletin_shows_the_city_the_towns_ranked_and_the_commitments(leader_in):
    reuse_world()
    page = get(leader_in, "clearance:bulletin", **AUGUST)

    city = [cells for _attrs, cells in body_rows(page, "bulletin-reuse-city")]
    assert city[2] == ["再利用土地", "45.00 亩", "—", "—", "无目标"]
    assert [cells for _attrs, cells in body_rows(page, "bulletin-reuse-towns")] == [
        ["1", "换鸟镇", "1", "—", "8,000.00", "—", "45.00", "50.0% 红灯", "15.00", "0", "0", "0", "0"],
        ["—", "履约镇", "0", "—", "0.00", "—", "0.00", "—", "100.00", "4", "1", "1", "2"],
    ]


@pytest.mark.parametrize("size", [2, 20])
def test_the_sections_keep_the_pages_queries_constant(leader_in, django_assert_num_queries, size):
    _projects_of_size(size)
    town = reuse_world()["town"]
    for name, args in (("clearance:home", []), ("clearance:bulletin", []), ("clearance:town_detail", [town.pk])):
        leader_in.get(reverse(name, args=args), AUGUST)

    # Each as in tests/views/test_dashboard.py, with the reuse summary's 5: the dashboard with its evaluation panel
    # (the world's operators are evaluated, and whether their scoring waits), the town page without a pairing (the
    # towns ranked without the city's figures and the counties').
    with django_assert_num_queries(26):
        dashboard = get(leader_in, "clearance:home", **AUGUST)
    with django_assert_num_queries(19):
        bulletin = get(leader_in, "clearance:bulletin", **AUGUST)
    with django_assert_num_queries(19):
        town_page = get(leader_in, "clearance:town_detail", town.pk, **AUGUST)

    assert len(body_rows(dashboard, "dashboard-reuse")) == size + 2
    assert len(body_rows(bulletin, "bulletin-reuse-towns")) == size + 2
    assert 'data-reuse-scope="换鸟镇"' in town_page
