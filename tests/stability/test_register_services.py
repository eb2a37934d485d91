"""The register's services: town copied from the subject, the rules refused in Chinese with nothing changed, stale edits,
the closed-month note, resolving, deleting by admins only; history attributed."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clearance import services
from clearance.choices import RegisterKind
from clearance.models import AttackGroup, RegisterItem

from tests.stability.helpers import raise_item, register_rows

pytestmark = pytest.mark.django_db


def messages_of(error: ValidationError) -> dict:
    return {field: [str(message) for message in messages] for field, messages in error.message_dict.items()} \
        if hasattr(error, "error_dict") else {"": [str(message) for message in error.messages]}


def test_an_item_on_a_parcel_takes_the_parcels_town_and_records_who_raised_it(world):
    group = AttackGroup.objects.get(task_force__pairing__town=world.town)

    item = raise_item(world, site=world.parcel, kind=RegisterKind.HAZARD)
    item.refresh_from_db()

    assert (item.town, item.site, item.enterprise, item.kind, item.is_open) == (
        world.town, world.parcel, None, RegisterKind.HAZARD, True)
    assert item.recorded_by == world.official
    assert item.history.get().history_user == world.official
    on_enterprise = raise_item(world, enterprise=world.other_enterprise, responsible_group=None)
    assert on_enterprise.town == world.other_town
    with_group = services.register_item_create(
        kind=RegisterKind.PETITION, raised_on=date(2022, 4, 1), description="职工来信", responsible_group=group,
        enterprise=world.enterprise, user=world.official,
    )
    assert with_group.responsible_group == group


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"raised_on": date(2022, 3, 10), "resolved_on": date(2022, 3, 1), "resolution": "调解"},
         {"resolved_on": ["化解日期不能早于发现日期。"]}),
        ({"raised_on": timezone.localdate() + timedelta(days=1)}, {"raised_on": ["日期不能晚于今天。"]}),
        ({"raised_on": date(2022, 3, 10), "resolved_on": date(2022, 3, 12)}, {"resolution": ["请说明是如何化解的。"]}),
        ({"raised_on": date(2022, 3, 10), "resolution": "调解"},
         {"resolved_on": ["请填写化解日期，或不填化解情况。"]}),
    ],
)
def test_a_bad_item_is_refused_in_chinese_and_nothing_is_written(world, arguments, expected):
    before = register_rows()

    with pytest.raises(ValidationError) as refused:
        services.register_item_create(kind=RegisterKind.DISPUTE, description="纠纷", site=world.site,
                                      user=world.official, **arguments)

    assert messages_of(refused.value) == expected
    assert register_rows() == before


def test_another_towns_group_is_refused(world):
    other_group = AttackGroup.objects.get(task_force__pairing__town=world.other_town)

    with pytest.raises(ValidationError) as refused:
        raise_item(world, responsible_group=other_group)

    assert messages_of(refused.value) == {"responsible_group": ["该攻坚小组属于其他镇街道的专班。"]}
    assert RegisterItem.objects.count() == 0


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("both", "一条登记只能针对一个地块或一家企业，不能同时针对两者。"), ("none", "请选择所涉及的地块或企业。")],
)
def test_an_item_on_both_a_site_and_an_enterprise_or_on_neither_is_refused(world, subject, expected):
    subjects = {"both": {"site": world.site, "enterprise": world.enterprise}, "none": {}}[subject]

    with pytest.raises(ValidationError) as refused:
        services.register_item_create(kind=RegisterKind.DISPUTE, raised_on=date(2022, 3, 1), description="纠纷",
                                      user=world.official, **subjects)

    assert refused.value.messages == [expected]
    assert RegisterItem.objects.count() == 0


def test_an_edit_on_a_stale_page_is_refused_and_changes_nothing(world):
    item = raise_item(world)
    services.register_item_update(item=item, expected_version=1, user=world.admin, description="租金与押金纠纷")
    before = register_rows()

    with pytest.raises(services.StaleEditError):
        services.register_item_update(item=item, expected_version=1, user=world.official, description="旧页面的修改")
    with pytest.raises(services.StaleEditError):
        services.register_item_resolve(item=item, expected_version=1, resolved_on=date(2022, 3, 20),
                                       resolution="调解", user=world.official)

    assert register_rows() == before
    assert RegisterItem.objects.get().description == "租金与押金纠纷"


def test_resolving_records_when_and_how_and_keeps_the_old_state_in_the_history(world):
    item = raise_item(world)

    resolved = services.register_item_resolve(item=item, expected_version=1, resolved_on=date(2022, 3, 20),
                                              resolution="镇司法所调解结案", user=world.official)

    assert (resolved.resolved_on, resolved.resolution, resolved.version, resolved.is_open) == (
        date(2022, 3, 20), "镇司法所调解结案", 2, False)
    assert [row.resolved_on for row in item.history.order_by("history_id")] == [None, date(2022, 3, 20)]
    with pytest.raises(ValidationError) as again:
        services.register_item_resolve(item=resolved, expected_version=2, resolved_on=date(2022, 3, 21),
                                       resolution="再次", user=world.official)
    assert again.value.messages == ["该事项已于 2022-03-20 化解；如需更改请编辑该事项。"]
    # Reopened by clearing the date and how.
    reopened = services.register_item_update(item=resolved, expected_version=2, user=world.official, resolved_on=None,
                                             resolution="")
    assert reopened.is_open


def test_a_change_to_a_closed_months_counts_needs_a_note_and_keeps_it_as_the_reason(world):
    item = raise_item(world, on=date(2022, 1, 10))
    services.period_close(year=2022, month=1, user=None)
    before = register_rows()

    with pytest.raises(ValidationError) as refused:
        services.register_item_update(item=item, expected_version=1, user=world.official, raised_on=date(2022, 2, 10))
    assert messages_of(refused.value) == {"note": ["2022年1月已通报，数据已公布：在该月份记录、更正或删除进度须填写说明原因。"]}
    with pytest.raises(ValidationError):
        raise_item(world, on=date(2022, 1, 20))
    with pytest.raises(ValidationError):
        services.register_item_resolve(item=item, expected_version=1, resolved_on=date(2022, 1, 25),
                                       resolution="调解", user=world.official)
    assert register_rows() == before

    # The description changes no count: no note needed. Resolving in an open month needs none either.
    services.register_item_update(item=item, expected_version=1, user=world.official, description="补充说明")
    services.register_item_resolve(item=item, expected_version=2, resolved_on=date(2022, 2, 3), resolution="调解",
                                   user=world.official)
    moved = services.register_item_update(item=item, expected_version=3, user=world.official,
                                          raised_on=date(2022, 1, 5), note="核实后更正发现日期")
    assert moved.raised_on == date(2022, 1, 5)
    assert moved.history.order_by("-history_id").first().history_change_reason == "核实后更正发现日期"


def test_only_admins_delete_an_item_and_the_deletion_stays_in_the_history(world):
    item = raise_item(world)

    with pytest.raises(ValidationError) as refused:
        services.register_item_delete(item=item, expected_version=1, user=world.official)
    assert refused.value.messages == ["只有管理员可以删除登记事项。"]
    assert RegisterItem.objects.count() == 1

    services.register_item_delete(item=item, expected_version=1, user=world.admin)

    assert RegisterItem.objects.count() == 0
    deleted = RegisterItem.history.filter(history_type="-").get()
    assert deleted.history_user == world.admin
