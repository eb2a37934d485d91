"""Who may write where: roles against towns, following the active pairings."""

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser

from clearance import services
from clearance.models import Pairing, Town
from clearance.permissions import can_write_town, is_admin, is_leader, writable_towns

from tests.factories import TownFactory, paired_town

pytestmark = pytest.mark.django_db


@pytest.fixture
def towns(official):
    caoqiao, pairing = paired_town(town=TownFactory(name="曹桥街道"))
    lindai, _ = paired_town(town=TownFactory(name="林埭镇"))
    services.task_force_member_upsert(task_force=pairing.task_force, person_name="龚华锋", user_account=official)
    return caoqiao, lindai


def test_an_official_writes_only_for_the_towns_of_their_active_task_force(towns, official):
    caoqiao, lindai = towns
    assert list(writable_towns(official)) == [caoqiao]
    assert (can_write_town(official, caoqiao), can_write_town(official, lindai)) == (True, False)


def test_an_official_loses_the_town_when_the_pairing_ends(towns, official):
    caoqiao, _ = towns
    services.pairing_end(pairing=Pairing.objects.active().get(town=caoqiao), on=date(2022, 9, 1), user=None)
    assert list(writable_towns(official)) == []


def test_a_leader_reads_but_writes_for_no_town(towns, leader):
    assert is_leader(leader) and not is_admin(leader)
    assert list(writable_towns(leader)) == []


def test_an_admin_writes_for_every_town(towns, admin_user):
    assert is_admin(admin_user) and not is_leader(admin_user)
    assert set(writable_towns(admin_user)) == set(Town.objects.all())


def test_anonymous_and_inactive_users_write_nowhere(towns, official):
    caoqiao, _ = towns
    official.is_active = False
    official.save()
    assert not can_write_town(AnonymousUser(), caoqiao)
    assert not can_write_town(official, caoqiao)
