"""Model invariants: validation messages in Chinese with their codes, and constraints the database itself enforces."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clearance import services
from clearance.choices import Disposal, Stage
from clearance.models import Enterprise, Event, Pairing, Site
from clearance.validators import credit_code_check_character, validate_credit_code

from tests.errors import error_code_dict, error_codes
from tests.factories import BureauHeadFactory, EnterpriseFactory, SiteFactory, TownFactory, close_out, paired_town

pytestmark = pytest.mark.django_db


def messages_of(error: ValidationError) -> list[str]:
    return error.messages


def test_site_with_zero_or_negative_area_is_refused_in_chinese_and_not_saved():
    town = TownFactory()
    for area in (Decimal("0"), Decimal("-3.5")):
        with pytest.raises(ValidationError) as caught:
            services.site_upsert(town=town, name="坏地块", area_mu=area)
        assert messages_of(caught.value) == ["面积必须是大于 0 的亩数。"]
        assert error_code_dict(caught.value) == {"area_mu": ["area_not_positive"]}
    assert Site.objects.filter(name="坏地块").count() == 0


def test_database_refuses_a_non_positive_area_even_past_validation():
    site = SiteFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Site.objects.filter(pk=site.pk).update(area_mu=Decimal("0"))


def test_event_dated_in_the_future_is_refused_and_not_saved():
    enterprise = EnterpriseFactory()
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        services.event_record(enterprise=enterprise, stage=Stage.SURVEYED, on=tomorrow, user=None)
    assert messages_of(caught.value) == ["日期不能晚于今天。"]
    assert error_code_dict(caught.value) == {"occurred_on": ["future_date"]}
    assert Event.objects.count() == 0


def test_closing_out_dated_before_signing_is_refused():
    enterprise = EnterpriseFactory(disposal=Disposal.UPGRADE)
    services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 5, 10), user=None)
    with pytest.raises(ValidationError) as caught:
        services.event_record(enterprise=enterprise, stage=Stage.CLOSED, on=date(2022, 5, 1), user=None)
    assert messages_of(caught.value) == ["销号日期 2022-05-01 早于签约日期 2022-05-10：各节点须按顺序。"]
    assert error_code_dict(caught.value) == {"occurred_on": ["dates_out_of_order"]}
    assert list(enterprise.events.values_list("stage", flat=True)) == [Stage.SIGNED]


def test_closing_out_without_vacating_is_refused_unless_the_disposal_keeps_the_enterprise_in_place():
    shut_down = EnterpriseFactory(disposal=Disposal.SHUT_DOWN)
    upgraded = EnterpriseFactory(disposal=Disposal.UPGRADE)
    for enterprise in (shut_down, upgraded):
        services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 3, 1), user=None)

    with pytest.raises(ValidationError) as caught:
        services.event_record(enterprise=shut_down, stage=Stage.CLOSED, on=date(2022, 3, 2), user=None)
    services.event_record(enterprise=upgraded, stage=Stage.CLOSED, on=date(2022, 3, 2), user=None)

    assert messages_of(caught.value) == ["须先记录“腾退”，才能记录“销号”。"]
    assert error_code_dict(caught.value) == {"stage": ["stage_out_of_order"]}
    assert not shut_down.events.filter(stage=Stage.CLOSED).exists()
    assert upgraded.events.filter(stage=Stage.CLOSED).exists()


def test_vacating_without_signing_is_refused():
    enterprise = EnterpriseFactory()
    with pytest.raises(ValidationError) as caught:
        services.event_record(enterprise=enterprise, stage=Stage.VACATED, on=date(2022, 3, 1), user=None)
    assert messages_of(caught.value) == ["须先记录“签约”，才能记录“腾退”。"]
    assert error_code_dict(caught.value) == {"stage": ["stage_out_of_order"]}


def test_enterprise_on_a_site_of_another_town_is_refused_and_not_saved():
    site = SiteFactory(name="原胜利钢厂地块", town=TownFactory(name="曹桥街道"))
    other_town = TownFactory(name="林埭镇")
    with pytest.raises(ValidationError) as caught:
        services.enterprise_upsert(town=other_town, name="某贸易公司", site=site)
    assert messages_of(caught.value) == ["地块“原胜利钢厂地块”属于曹桥街道，不属于林埭镇。"]
    assert error_code_dict(caught.value) == {"site": ["site_other_town"]}
    assert Enterprise.objects.count() == 0


def test_site_cannot_be_vacated_while_an_enterprise_on_it_is_still_there():
    site = SiteFactory(name="六店一号地块")
    out = EnterpriseFactory(site=site, name="甲企业")
    EnterpriseFactory(site=site, name="乙企业")
    close_out(out, signed=date(2022, 2, 1), vacated=date(2022, 2, 20))
    with pytest.raises(ValidationError) as caught:
        services.event_record(site=site, stage=Stage.VACATED, on=date(2022, 3, 1), user=None)
    assert messages_of(caught.value) == ["地块不能在 2022-03-01 腾退：其上还有 1 家企业（乙企业）届时尚未腾退或销号。"]
    assert error_codes(caught.value) == ["site_not_empty"]
    assert not site.events.exists()


def test_site_cannot_be_vacated_before_its_last_enterprise_left():
    site = SiteFactory()
    enterprise = EnterpriseFactory(site=site)
    close_out(enterprise, signed=date(2022, 2, 1), vacated=date(2022, 2, 20))
    with pytest.raises(ValidationError) as caught:
        services.event_record(site=site, stage=Stage.VACATED, on=date(2022, 2, 19), user=None)
    assert error_codes(caught.value) == ["site_not_empty"]
    services.event_record(site=site, stage=Stage.VACATED, on=date(2022, 2, 20), user=None)
    assert site.events.get().occurred_on == date(2022, 2, 20)


def test_database_refuses_a_second_event_of_one_stage():
    enterprise = EnterpriseFactory()
    services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 3, 1), user=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(enterprise=enterprise, stage=Stage.SIGNED, occurred_on=date(2022, 3, 2))


def test_database_refuses_an_event_of_both_a_site_and_an_enterprise():
    enterprise = EnterpriseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(
            enterprise=enterprise, site=enterprise.site, stage=Stage.VACATED, occurred_on=date(2022, 3, 2)
        )


def test_database_refuses_a_second_active_pairing_for_a_town():
    town, pairing = paired_town()
    with pytest.raises(IntegrityError), transaction.atomic():
        Pairing.objects.create(town=town, head=BureauHeadFactory(), started_on=date(2022, 2, 1))
    assert Pairing.objects.filter(town=town).count() == 1


def test_database_refuses_a_second_active_pairing_for_a_head():
    _, pairing = paired_town()
    with pytest.raises(IntegrityError), transaction.atomic():
        Pairing.objects.create(town=TownFactory(), head=pairing.head, started_on=date(2022, 2, 1))


def test_an_ended_pairing_leaves_room_for_a_new_one():
    town, pairing = paired_town()
    Pairing.objects.filter(pk=pairing.pk).update(ended_on=date(2022, 6, 30))
    Pairing.objects.create(town=town, head=BureauHeadFactory(), started_on=date(2022, 7, 1))
    assert Pairing.objects.filter(town=town).count() == 2


def test_site_parent_must_be_in_the_same_town():
    area = SiteFactory(name="六店区域", town=TownFactory(name="曹桥街道"))
    with pytest.raises(ValidationError) as caught:
        services.site_upsert(town=TownFactory(name="新埭镇"), name="子地块", area_mu=Decimal("5"), parent=area)
    assert messages_of(caught.value) == ["所属区域必须在同一镇街道。"]
    assert error_code_dict(caught.value) == {"parent": ["parent_other_town"]}


def test_site_cannot_lie_inside_itself():
    area = SiteFactory()
    parcel = SiteFactory(town=area.town, parent=area)
    area.parent = parcel
    with pytest.raises(ValidationError) as caught:
        area.full_clean()
    assert messages_of(caught.value) == ["地块不能位于自身之内。"]
    assert error_code_dict(caught.value) == {"parent": ["parent_cycle"]}


VALID_CODE = "91330482MA2B8XXXX"  # 17 characters; the check character is computed below


@pytest.mark.parametrize(
    ("code", "refusal"),
    [
        (VALID_CODE + credit_code_check_character(VALID_CODE), None),
        ("914403001922038216", None),  # a real, published code
        ("914403001922038217", "credit_code_check"),
        (VALID_CODE + ("0" if credit_code_check_character(VALID_CODE) != "0" else "1"), "credit_code_check"),
        ("9133048", "credit_code_format"),
        ("91330482MA2B8XXXXI", "credit_code_format"),
    ],
)
def test_credit_code_is_checked_by_its_check_character(code, refusal):
    if refusal is None:
        validate_credit_code(code)
    else:
        with pytest.raises(ValidationError) as caught:
            validate_credit_code(code)
        assert error_codes(caught.value) == [refusal]


def test_enterprise_with_a_bad_credit_code_is_refused_in_chinese():
    site = SiteFactory()
    bad = VALID_CODE + ("0" if credit_code_check_character(VALID_CODE) != "0" else "1")
    with pytest.raises(ValidationError) as caught:
        services.enterprise_upsert(town=site.town, name="某企业", site=site, credit_code=bad)
    assert messages_of(caught.value) == ["该统一社会信用代码的校验码不正确。"]
    assert error_code_dict(caught.value) == {"credit_code": ["credit_code_check"]}
    assert Enterprise.objects.count() == 0


def test_empty_credit_codes_do_not_collide():
    site = SiteFactory()
    services.enterprise_upsert(town=site.town, name="甲", site=site, credit_code="")
    services.enterprise_upsert(town=site.town, name="乙", site=site, credit_code="")
    assert list(Enterprise.objects.values_list("credit_code", flat=True)) == [None, None]


def test_an_enterprise_cannot_leave_after_its_site_was_recorded_vacated():
    site = SiteFactory(name="原胜利钢厂地块")
    enterprise = EnterpriseFactory(site=site)
    close_out(enterprise, signed=date(2022, 2, 1), vacated=date(2022, 2, 20))
    services.event_record(site=site, stage=Stage.VACATED, on=date(2022, 3, 1), user=None)
    vacated = enterprise.events.get(stage=Stage.VACATED)

    with pytest.raises(ValidationError) as caught:
        services.event_correct(event=vacated, expected_version=vacated.version, on=date(2022, 5, 1), user=None)
    # Closing out later is fine: the enterprise was out (vacated) by the site's date.
    services.event_record(enterprise=enterprise, stage=Stage.CLOSED, on=date(2022, 5, 1), user=None)

    assert messages_of(caught.value) == ["原胜利钢厂地块已于 2022-03-01 腾退，该企业须在此之前腾出。"]
    assert error_code_dict(caught.value) == {"occurred_on": ["after_site_vacated"]}
    assert enterprise.events.get(stage=Stage.VACATED).occurred_on == date(2022, 2, 20)


def test_a_site_with_enterprises_cannot_change_town():
    site = SiteFactory(town=TownFactory(name="曹桥街道"))
    EnterpriseFactory(site=site)
    site.town = TownFactory(name="新仓镇")
    with pytest.raises(ValidationError) as caught:
        site.full_clean()
    assert messages_of(caught.value) == ["该地块上还有企业或子地块，不能改变所属镇街道；请先迁出。"]
    assert error_code_dict(caught.value) == {"town": ["site_town_has_members"]}


def test_no_enterprise_can_be_put_on_a_site_already_vacated_whatever_the_path():
    site = SiteFactory(name="纺织企业地块")
    enterprise = EnterpriseFactory(site=site)
    close_out(enterprise, signed=date(2022, 4, 1), vacated=date(2022, 4, 20))
    services.event_record(site=site, stage=Stage.VACATED, on=date(2022, 4, 21), user=None)

    with pytest.raises(ValidationError) as caught:
        services.enterprise_upsert(town=site.town, name="新来的租户", site=site)
    services.enterprise_upsert(town=site.town, name=enterprise.name, site=site, plan_notes="已腾退")  # staying is fine

    assert messages_of(caught.value) == ["“纺织企业地块”已记录腾退，不能再添加企业。"]
    assert error_code_dict(caught.value) == {"site": ["site_vacated"]}
    assert site.enterprises.count() == 1
