"""Targets for the reuse figures: set in Django's admin (the only page for targets), they light and rank the towns on
/reuse/; every place that names a target's metric names the reuse ones too."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clearance import services
from clearance.choices import ReuseMetric
from clearance.models import Target
from tests.dashboard_helpers import body_rows
from tests.reuse.worlds import reuse_world

pytestmark = pytest.mark.django_db
AUGUST = {"year": 2022, "month": 8}


def test_the_admin_offers_the_reuse_metrics_and_a_town_target_set_there_lights_and_ranks_the_town(admin_client):
    world = reuse_world()
    town = world["committed_town"]
    form = admin_client.get(reverse("admin:clearance_target_add")).content.decode()
    for metric in ("projects_signed", "investment_signed_wan", "land_reused_mu"):
        assert f'<option value="{metric}">' in form
    assert '<option value="land_awaiting_mu">' not in form

    response = admin_client.post(reverse("admin:clearance_target_add"),
                                 {"year": 2022, "metric": "land_reused_mu", "town": town.pk, "value": "20"})
    assert response.status_code == 302
    assert Target.objects.get(metric="land_reused_mu", town=town).value == Decimal("20")

    rows = body_rows(admin_client.get(reverse("clearance:reuse"), AUGUST).content.decode(), "reuse-towns")
    ranked = {cells[1]: (cells[0], attrs) for attrs, cells in rows}
    # 换鸟镇 45 of 90 亩 (50%) and 履约镇 0 of 20 (0%): both ranked now, both red against 66.7%.
    assert [cells[1] for _attrs, cells in rows] == ["换鸟镇", "履约镇"]
    assert ranked["履约镇"][0] == "2"
    page = admin_client.get(reverse("clearance:town_detail", args=[town.pk]), AUGUST).content.decode()
    assert 'data-reuse-town-rank="2"' in page
    assert 'data-reuse-rank="land_reused_mu">2<' in page
    assert page.count('data-light="red"') >= 1


def test_the_admin_warns_of_a_reuse_allocation_that_differs_from_the_city_target(admin_client):
    reuse_world()
    services.target_set(year=2022, metric=ReuseMetric.LAND_REUSED_MU, value=Decimal("100"))

    page = admin_client.get(reverse("admin:clearance_target_changelist")).content.decode()

    assert "2022 再利用土地" in page


def test_copying_a_year_s_allocation_copies_the_reuse_targets(admin_user):
    world = reuse_world()

    created, _kept = services.targets_copy_year(from_year=2022, user=admin_user)

    assert created == 1
    assert Target.objects.get(year=2023, town=world["town"]).metric == "land_reused_mu"


def test_the_change_log_names_a_reuse_target(admin_client, admin_user):
    world = reuse_world()
    target = Target.objects.get(town=world["town"])
    services.target_update(target=target, user=admin_user, value=Decimal("95"))

    page = admin_client.get(reverse("clearance:audit")).content.decode()

    assert "2022 再利用土地" in page
