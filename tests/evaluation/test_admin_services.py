"""The services behind the evaluation's admin pages: what they refuse, with which message, and the scores they move."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clearance.choices import SizeClass
from clearance.models import EvaluatedEnterprise, IndicatorRow, Scheme, SchemeWeight
from clearance.services import evaluation
from clearance.services.base import StaleEditError

from tests.evaluation.helpers import four_below, grades
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(db):
    return four_below(TownFactory(name="试点镇"))


def refusal(call) -> tuple[list[str], str]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.messages, caught.value.code


def test_an_enterprise_with_data_is_not_deleted(rows, admin_user):
    enterprise = rows["甲"].enterprise

    messages, code = refusal(lambda: evaluation.evaluated_enterprise_delete(
        enterprise=enterprise, expected_version=enterprise.version, user=admin_user))

    assert (messages, code) == (["“甲”尚有2022年度的亩均数据，请先删除这些数据。"], "evaluated_enterprise_has_data")
    assert EvaluatedEnterprise.objects.filter(pk=enterprise.pk).exists()


def test_an_enterprise_with_adjustments_only_is_not_deleted(admin_user):
    enterprise = evaluation.evaluated_enterprise_create(town=TownFactory(name="试点镇"), name="甲", user=admin_user)
    evaluation.adjustment_add(enterprise=enterprise, year=2022, points=Decimal("5"), reason="高新技术企业", user=admin_user)

    messages, code = refusal(lambda: evaluation.evaluated_enterprise_delete(
        enterprise=enterprise, expected_version=enterprise.version, user=admin_user))

    assert (messages, code) == (["“甲”尚有1条加减分记录，请先删除这些记录。"], "evaluated_enterprise_has_adjustments")


def test_an_enterprise_with_nothing_is_deleted_and_kept_in_the_history(admin_user):
    enterprise = evaluation.evaluated_enterprise_create(town=TownFactory(name="试点镇"), name="甲", user=admin_user)

    evaluation.evaluated_enterprise_delete(enterprise=enterprise, expected_version=1, user=admin_user)

    assert not EvaluatedEnterprise.objects.exists()
    assert [(each.history_type, each.history_user) for each in EvaluatedEnterprise.history.all()] == [
        ("-", admin_user), ("+", admin_user)]


def test_a_second_enterprise_of_a_name_in_a_town_is_refused(rows, admin_user):
    town = rows["甲"].enterprise.town

    with pytest.raises(ValidationError) as caught:
        evaluation.evaluated_enterprise_create(town=town, name=" 甲 ", user=admin_user)

    assert caught.value.message_dict == {"name": ["试点镇已有名为“甲”的参评企业。"]}
    assert EvaluatedEnterprise.objects.filter(name="甲").count() == 1


def test_an_enterprise_edit_on_a_stale_page_is_refused(rows, admin_user):
    enterprise = rows["甲"].enterprise
    evaluation.evaluated_enterprise_update(enterprise=enterprise, expected_version=1, user=admin_user, name="甲公司")

    with pytest.raises(StaleEditError):
        evaluation.evaluated_enterprise_update(enterprise=enterprise, expected_version=1, user=admin_user, name="甲厂")

    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.version) == ("甲公司", 2)


def test_a_second_row_of_a_year_is_refused(rows, admin_user):
    enterprise = rows["甲"].enterprise

    with pytest.raises(ValidationError) as caught:
        evaluation.indicator_row_create(enterprise=enterprise, year=2022, size=SizeClass.BELOW, user=admin_user)

    assert caught.value.message_dict == {"year": ["“甲”已有2022年度的亩均数据，请直接修改该条数据。"]}
    assert IndicatorRow.objects.filter(enterprise=enterprise).count() == 1


def test_a_row_created_scores_its_year_again(rows, admin_user):
    enterprise = evaluation.evaluated_enterprise_create(town=rows["甲"].enterprise.town, name="戊", user=admin_user)

    # 戊: tax per mu 20 and per power 20 lead both means; capped at 1.5 twice: 150, first of five.
    row = evaluation.indicator_row_create(enterprise=enterprise, year=2022, size=SizeClass.BELOW, user=admin_user,
                                          land_mu=Decimal("10"), tax_wan=Decimal("200"), power_10k_kwh=Decimal("10"))

    assert (row.total, row.position, row.graded_count) == (Decimal("150"), 1, 5)
    rows["乙"].refresh_from_db()
    assert (rows["乙"].position, rows["乙"].graded_count) == (2, 5)


def test_a_row_deleted_scores_its_year_again(rows, admin_user):
    row = rows["乙"]

    evaluation.indicator_row_delete(row=row, expected_version=row.version, user=admin_user)

    # Without 乙 the means are tax per mu 13/3 and per power 1: 甲 75 + 50, 丙 23.08 + 50, 丁 11.54 + 50.
    remaining = {name: each for name, each in rows.items() if name != "乙"}
    for each in remaining.values():
        each.refresh_from_db()
    assert {name: (each.position, each.graded_count) for name, each in remaining.items()} == {
        "甲": (1, 3), "丙": (2, 3), "丁": (3, 3)}
    assert IndicatorRow.history.filter(id=row.pk, history_type="-").get().history_user == admin_user


def test_a_row_deleted_from_a_stale_page_is_refused(rows, admin_user):
    row = rows["乙"]
    evaluation.indicator_row_update(row=row, expected_version=1, user=admin_user, tax_wan=Decimal("60"))

    with pytest.raises(StaleEditError):
        evaluation.indicator_row_delete(row=row, expected_version=1, user=admin_user)

    assert IndicatorRow.objects.filter(pk=row.pk).exists()


def test_a_scheme_that_scored_data_is_not_deleted(rows, admin_user):
    scheme = Scheme.objects.get(year=2022, size=SizeClass.BELOW)

    messages, code = refusal(lambda: evaluation.scheme_delete(scheme=scheme, expected_version=scheme.version,
                                                              user=admin_user))

    assert (messages, code) == (["评价方案“2022 规下”已用于4条亩均数据的评价，不能删除；如需调整，请修改其权重等设置。"],
                                "scheme_in_use")
    assert SchemeWeight.objects.filter(scheme=scheme).count() == 7


def test_a_scheme_without_data_is_deleted_with_its_weights(admin_user):
    scheme = evaluation.scheme_create(year=2030, size=SizeClass.ABOVE, user=admin_user)

    evaluation.scheme_delete(scheme=scheme, expected_version=scheme.version, user=admin_user)

    assert (Scheme.objects.count(), SchemeWeight.objects.count()) == (0, 0)


def test_a_second_scheme_of_a_year_and_size_is_refused(rows, admin_user):
    messages, code = refusal(lambda: evaluation.scheme_create(year=2022, size=SizeClass.BELOW, user=admin_user))

    assert (messages, code) == (["2022年度规下企业的评价方案已存在，请直接修改该方案。"], "scheme_exists")


def test_a_scheme_created_with_its_cut_offs_grades_the_year_with_them(admin_user):
    town = TownFactory(name="试点镇")
    evaluation.scheme_create(year=2022, size=SizeClass.BELOW, user=admin_user,
                             cut_a=Decimal("0.5"), cut_b=Decimal("0.75"), cut_c=Decimal("0.95"))

    rows = four_below(town)

    # The same positions as with the defaults (0.25, 0.5, 0.75, 1.0), cut at 0.5 for A instead of 0.2.
    assert grades(rows) == {"乙": "A", "甲": "A", "丙": "B", "丁": "D"}
    assert Scheme.objects.get().weights.count() == 7
