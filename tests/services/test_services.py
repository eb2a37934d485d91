"""Writes: idempotent upserts, event corrections with history, stale edits, pairings."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clearance import selectors, services
from clearance.choices import Disposal, MemberRole, Stage
from clearance.models import Enterprise, Event, Pairing, Site, TaskForceMember
from clearance.permissions import can_write_town

from tests.errors import error_codes
from tests.factories import BureauHeadFactory, EnterpriseFactory, SiteFactory, TownFactory, close_out, paired_town

pytestmark = pytest.mark.django_db


def test_site_upsert_twice_with_the_same_values_changes_nothing_and_adds_no_history():
    town = TownFactory()
    first = services.site_upsert(town=town, name="六店区域", area_mu=360.5, land_use="工业")
    second = services.site_upsert(town=town, name="六店区域", area_mu=Decimal("360.50"), land_use="工业")

    assert (first.created, second.created, second.changed) == (True, False, False)
    assert Site.history.count() == 1
    assert Site.objects.get().version == 1


def test_site_upsert_with_a_new_area_updates_in_place_and_keeps_the_old_value_in_history():
    town = TownFactory()
    services.site_upsert(town=town, name="徐家埭工业集聚点", area_mu=Decimal("100"))
    result = services.site_upsert(town=town, name="徐家埭工业集聚点", area_mu=Decimal("120.5"))

    assert result.changed
    assert Site.objects.get().area_mu == Decimal("120.50")
    assert [h.area_mu for h in Site.history.order_by("history_date")] == [Decimal("100.00"), Decimal("120.50")]


def test_event_correct_moves_the_date_and_keeps_who_changed_it(django_user_model):
    user = django_user_model.objects.create_user("gong", password="x")
    enterprise = EnterpriseFactory()
    event = services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 7, 31), user=user)

    services.event_correct(event=event, expected_version=1, on=date(2022, 8, 1), user=user)

    history = list(Event.history.filter(id=event.pk).order_by("history_date"))
    assert [h.occurred_on for h in history] == [date(2022, 7, 31), date(2022, 8, 1)]
    assert [h.history_user for h in history] == [user, user]
    assert Event.objects.get(pk=event.pk).version == 2


def test_event_correct_on_a_stale_version_is_refused_and_changes_nothing():
    enterprise = EnterpriseFactory()
    event = services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 7, 1), user=None)
    services.event_correct(event=event, expected_version=1, note="第一次修改", user=None)

    with pytest.raises(services.StaleEditError) as caught:
        services.event_correct(event=event, expected_version=1, on=date(2022, 7, 2), user=None)

    assert caught.value.current.note == "第一次修改"
    assert caught.value.messages == ["您打开此页面后，他人已保存了此记录。请查看对方的版本后重新修改。"]
    assert error_codes(caught.value) == ["stale_edit"]
    assert Event.objects.get(pk=event.pk).occurred_on == date(2022, 7, 1)


def test_enterprise_update_on_a_stale_version_is_refused():
    enterprise = EnterpriseFactory(plan_notes="")
    services.enterprise_update(enterprise=enterprise, expected_version=1, user=None, plan_notes="先谈租赁户")
    with pytest.raises(services.StaleEditError) as caught:
        services.enterprise_update(enterprise=enterprise, expected_version=1, user=None, plan_notes="旧页面")
    assert error_codes(caught.value) == ["stale_edit"]
    assert Enterprise.objects.get(pk=enterprise.pk).plan_notes == "先谈租赁户"


def test_recording_a_stage_twice_is_refused_with_a_pointer_to_the_existing_event():
    enterprise = EnterpriseFactory()
    services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 3, 1), user=None)
    with pytest.raises(ValidationError) as caught:
        services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 3, 5), user=None)
    assert caught.value.messages == ["“签约”已于 2022-03-01 记录，请修改原记录。"]
    assert error_codes(caught.value) == ["stage_already_recorded"]
    assert enterprise.events.count() == 1


def test_event_upsert_records_then_moves_then_leaves_alone():
    enterprise = EnterpriseFactory()
    created = services.event_upsert(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 3, 1), user=None)
    moved = services.event_upsert(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 4, 1), user=None)
    same = services.event_upsert(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 4, 1), user=None)

    assert (created.created, moved.changed, same.changed) == (True, True, False)
    assert Event.history.count() == 2


def test_deleting_a_stage_a_later_one_needs_is_refused():
    enterprise = EnterpriseFactory()
    close_out(enterprise, signed=date(2022, 3, 1), vacated=date(2022, 3, 2))
    signed = enterprise.events.get(stage=Stage.SIGNED)
    with pytest.raises(ValidationError) as caught:
        services.event_delete(event=signed, expected_version=signed.version, user=None)
    assert caught.value.messages == ["已记录“腾退”，不能删除“签约”。"]
    assert error_codes(caught.value) == ["stage_needed_by_later"]
    assert enterprise.events.count() == 2


def test_deleting_an_event_keeps_it_in_the_history():
    enterprise = EnterpriseFactory()
    event = services.event_record(enterprise=enterprise, stage=Stage.SURVEYED, on=date(2022, 3, 1), user=None)
    services.event_delete(event=event, expected_version=1, user=None)
    assert Event.objects.count() == 0
    assert list(Event.history.values_list("history_type", flat=True).order_by("history_date")) == ["+", "-"]


def test_the_only_vacated_event_of_an_enterprise_cannot_go_while_its_site_is_recorded_vacated():
    site = SiteFactory(name="原胜利钢厂地块")
    enterprise = EnterpriseFactory(site=site, name="示例钢铁")
    close_out(enterprise, signed=date(2022, 3, 1), vacated=date(2022, 3, 2))
    services.event_record(site=site, stage=Stage.VACATED, on=date(2022, 3, 3), user=None)
    vacated = enterprise.events.get(stage=Stage.VACATED)
    with pytest.raises(ValidationError) as caught:
        services.event_delete(event=vacated, expected_version=vacated.version, user=None)
    assert caught.value.messages == [
        "删除此记录后，“示例钢铁”在“原胜利钢厂地块”腾退之日（2022-03-03）尚未腾退或销号；请先更正或删除该地块的腾退记录。"
    ]
    assert error_codes(caught.value) == ["site_not_empty"]
    assert enterprise.events.count() == 2


def test_a_mistaken_closing_out_can_be_deleted_while_the_enterprise_stays_vacated_on_a_vacated_site():
    site = SiteFactory()
    enterprise = EnterpriseFactory(site=site, energy_freed_tce=Decimal("12.50"))
    close_out(enterprise, signed=date(2022, 3, 1), vacated=date(2022, 3, 2), closed=date(2022, 3, 5))
    services.event_record(site=site, stage=Stage.VACATED, on=date(2022, 3, 3), user=None)
    closed = enterprise.events.get(stage=Stage.CLOSED)

    services.event_delete(event=closed, expected_version=closed.version, user=None)

    assert sorted(enterprise.events.values_list("stage", flat=True)) == [Stage.SIGNED, Stage.VACATED]
    assert selectors.city_figures(year=2022, month=3)["enterprises_rectified"] == 0


def test_a_vacated_event_can_go_when_a_closing_out_keeps_the_enterprise_out_by_the_sites_date():
    site = SiteFactory()
    # Merged in place: its 销号 needs no 腾退, so the 腾退 is not needed by a later stage.
    enterprise = EnterpriseFactory(site=site, disposal=Disposal.MERGE)
    close_out(enterprise, signed=date(2022, 3, 1), vacated=date(2022, 3, 2), closed=date(2022, 3, 2))
    services.event_record(site=site, stage=Stage.VACATED, on=date(2022, 3, 3), user=None)
    vacated = enterprise.events.get(stage=Stage.VACATED)

    services.event_delete(event=vacated, expected_version=vacated.version, user=None)

    closed = enterprise.events.get(stage=Stage.CLOSED)
    with pytest.raises(ValidationError) as caught:
        services.event_delete(event=closed, expected_version=closed.version, user=None)
    assert error_codes(caught.value) == ["site_not_empty"]
    assert sorted(enterprise.events.values_list("stage", flat=True)) == [Stage.SIGNED, Stage.CLOSED]


def test_pairing_start_creates_the_task_force_with_the_head_as_member():
    town = TownFactory(name="曹桥街道")
    head = BureauHeadFactory(name="马根良", bureau__name="市应急管理局")
    pairing = services.pairing_start(town=town, head=head, started_on=date(2022, 1, 1))

    assert pairing.task_force.name == "曹桥街道专班"
    assert list(pairing.task_force.member_bureaus.values_list("name", flat=True)) == ["市应急管理局"]
    assert [(m.person_name, m.role) for m in pairing.task_force.members.all()] == [("马根良", MemberRole.HEAD)]


def test_pairing_start_refuses_a_town_that_is_already_paired_in_chinese():
    town, _ = paired_town(town=TownFactory(name="新埭镇"))
    with pytest.raises(ValidationError) as caught:
        services.pairing_start(town=town, head=BureauHeadFactory(), started_on=date(2022, 2, 1))
    assert caught.value.messages == ["新埭镇已有在任联挂，请先结束原联挂。"]
    assert error_codes(caught.value) == ["town_already_paired"]
    assert Pairing.objects.filter(town=town).count() == 1


def test_pairing_change_moves_write_access_from_the_old_heads_team_to_the_new_one(django_user_model):
    town, old = paired_town()
    bureau_staff = django_user_model.objects.create_user("bureau-staff")
    town_staff = django_user_model.objects.create_user("town-staff")
    services.task_force_member_upsert(
        task_force=old.task_force, person_name="局里的人", user_account=bureau_staff, unit=old.head.bureau.name
    )
    services.task_force_member_upsert(task_force=old.task_force, person_name="镇里的人", user_account=town_staff)
    assert can_write_town(bureau_staff, town) and can_write_town(town_staff, town)

    new = services.pairing_change(town=town, new_head=BureauHeadFactory(), on=date(2022, 7, 1))

    assert Pairing.objects.get(pk=old.pk).ended_on == date(2022, 6, 30)  # the day before the new pairing
    assert new.is_active
    assert not can_write_town(bureau_staff, town)
    assert can_write_town(town_staff, town)
    assert TaskForceMember.objects.filter(task_force=new.task_force, user=town_staff).count() == 1
