"""The site tree (SiteAncestry) behind "a site and every parcel inside it": exact at any depth, after any move.

The pages count an area's enterprises, signed and vacated stages, and list its
timeline and photos through it; the tests read those pages and compare them with
the parent links the officials edit.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clearance import services
from clearance.derived import site_tree
from clearance.choices import Stage
from clearance.models import Site, SiteAncestry

from tests.url_rules import build_world

pytestmark = pytest.mark.django_db


def nested(world, depth: int) -> list[Site]:
    """Parcels nested DEPTH levels below the world's area, each inside the one before: [area, level 1, …]."""
    chain = [world.site]
    for level in range(1, depth + 1):
        chain.append(services.site_create(
            town=world.town, name=f"第{level}层地块", area_mu=Decimal(10 - level), parent=chain[-1], user=world.admin
        ))
    return chain


def counts_on_page(client, site: Site) -> tuple[int, int, int]:
    """(enterprises, signed, vacated) as the site's progress bars give them: 「签约 2 / 3 家」."""
    html = client.get(site.get_absolute_url()).content.decode()
    signed, total = re.search(r'data-signed-count="\d+">(\d+) / (\d+) 家', html).groups()
    vacated, total_again = re.search(r'data-vacated-count="\d+">(\d+) / (\d+) 家', html).groups()
    assert total == total_again
    return int(total), int(signed), int(vacated)


def timeline_on_page(client, site: Site) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-event="(\d+)"', client.get(site.get_absolute_url()).content.decode())]


def test_an_area_counts_the_enterprises_of_parcels_nested_four_levels_down():
    world = build_world()
    chain = nested(world, 4)
    deepest = services.enterprise_create(site=chain[4], name="最深处企业", user=world.admin)
    services.event_record(enterprise=deepest, stage=Stage.SIGNED, on=date(2022, 5, 1), user=world.official)
    services.event_record(enterprise=deepest, stage=Stage.VACATED, on=date(2022, 6, 1), user=world.official)
    signed, vacated = deepest.events.get(stage=Stage.SIGNED), deepest.events.get(stage=Stage.VACATED)
    client = Client()
    client.force_login(world.leader)

    # The area had one enterprise (signed); four levels down adds one signed and vacated.
    assert counts_on_page(client, world.site) == (2, 2, 1)
    # Every level between counts it too, and only it.
    for level in range(1, 5):
        assert counts_on_page(client, chain[level]) == (1, 1, 1), level
    # The area's timeline includes what happened four levels down, newest first.
    assert timeline_on_page(client, world.site)[:2] == [vacated.pk, signed.pk]
    assert site_tree.differences() == []


def test_moving_a_parcel_moves_its_whole_subtree_and_its_counts():
    world = build_world()
    chain = nested(world, 3)  # area ⊃ 1 ⊃ 2 ⊃ 3
    other_area = services.site_create(town=world.town, name="另一区域", area_mu=Decimal("50"), user=world.admin)
    tenant = services.enterprise_create(site=chain[3], name="第三层租户", user=world.admin, is_tenant=True)
    services.event_record(enterprise=tenant, stage=Stage.SIGNED, on=date(2022, 5, 1), user=world.official)
    client = Client()
    client.force_login(world.leader)
    assert counts_on_page(client, world.site) == (2, 2, 0)
    assert counts_on_page(client, other_area) == (0, 0, 0)

    # Level 1 (with 2 and 3 inside it) is moved into the other area on its edit page.
    services.site_update(site=chain[1], expected_version=chain[1].version, user=world.admin, parent=other_area)

    assert counts_on_page(client, world.site) == (1, 1, 0)
    assert counts_on_page(client, other_area) == (1, 1, 0)
    assert set(SiteAncestry.objects.filter(site=chain[3]).values_list("ancestor_id", "depth")) == {
        (chain[3].pk, 0), (chain[2].pk, 1), (chain[1].pk, 2), (other_area.pk, 3)
    }
    # And out to the top level: it belongs to no area any more.
    services.site_update(site=chain[1], expected_version=chain[1].version + 1, user=world.admin, parent=None)
    assert counts_on_page(client, other_area) == (0, 0, 0)
    assert counts_on_page(client, chain[1]) == (1, 1, 0)
    assert site_tree.differences() == []

    # A parcel deleted takes its rows with it.
    empty = services.site_create(town=world.town, name="空地块", area_mu=Decimal("1"), parent=chain[2], user=world.admin)
    services.site_delete(site=empty, expected_version=empty.version, user=world.admin)
    assert site_tree.differences() == []


def test_the_area_page_reads_the_tree_in_the_same_queries_at_any_depth():
    world = build_world()
    nested(world, 2)
    client = Client()
    client.force_login(world.leader)
    client.get(world.site.get_absolute_url())
    with CaptureQueriesContext(connection) as shallow:
        client.get(world.site.get_absolute_url())
    nested_deeper = nested(world, 0)
    for level in range(3, 7):
        nested_deeper.append(services.site_create(
            town=world.town, name=f"更深{level}", area_mu=Decimal(1), parent=nested_deeper[-1], user=world.admin
        ))
    with CaptureQueriesContext(connection) as deep:
        client.get(world.site.get_absolute_url())
    assert len(deep.captured_queries) == len(shallow.captured_queries)


def test_verify_rollups_finds_a_broken_tree_and_repairs_it():
    world = build_world()
    chain = nested(world, 2)
    assert site_tree.differences() == []

    # A write behind the model's back (raw SQL, a restore gone wrong) is found…
    SiteAncestry.objects.filter(site=chain[2], ancestor=world.site).delete()
    [difference] = site_tree.differences()
    assert difference == {"site": chain[2].pk, "ancestor": world.site.pk, "depth": 2, "problem": "missing"}
    with pytest.raises(CommandError, match="1 in the site tree"):
        call_command("verify_rollups")

    # …and rebuilt from the parent links.
    call_command("verify_rollups", "--repair")
    assert site_tree.differences() == []
    assert SiteAncestry.objects.filter(site=chain[2], ancestor=world.site, depth=2).exists()
