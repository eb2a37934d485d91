"""Targets: the warning where the towns' allocations miss the city's target, and copying an allocation to the next year."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.contrib.messages import get_messages
from django.urls import reverse

from clearance import selectors, services
from clearance.choices import Metric
from clearance.models import Target
from clearance.selectors import AllocationGap

from tests.errors import error_code_dict
from tests.factories import TownFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:clearance_target_changelist")
RECTIFIED, LAND, ENERGY = Metric.ENTERPRISES_RECTIFIED, Metric.LAND_VACATED_MU, Metric.ENERGY_FREED_TCE


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_superuser("target-admin", "a@example.org", "pw-admin-1")


@pytest.fixture
def towns():
    return TownFactory(name="曹桥街道"), TownFactory(name="林埭镇"), TownFactory(name="新仓镇")


@pytest.fixture
def targets_2022(towns):
    caoqiao, linhai, xincang = towns
    # 家: 100 = 60 + 40, adds up. 亩: 2500 vs 1000.5 + 1200 = 2200.5, short by 299.5.
    # 吨标煤: 45000, no town allocation yet (not a gap). New town with a zero allocation counts as 0.
    services.target_set(year=2022, metric=RECTIFIED, value=Decimal("100"))
    services.target_set(year=2022, metric=RECTIFIED, value=Decimal("60"), town=caoqiao)
    services.target_set(year=2022, metric=RECTIFIED, value=Decimal("40"), town=linhai)
    services.target_set(year=2022, metric=RECTIFIED, value=Decimal("0"), town=xincang)
    services.target_set(year=2022, metric=LAND, value=Decimal("2500"))
    services.target_set(year=2022, metric=LAND, value=Decimal("1000.50"), town=caoqiao)
    services.target_set(year=2022, metric=LAND, value=Decimal("1200"), town=linhai)
    services.target_set(year=2022, metric=ENERGY, value=Decimal("45000"))
    return towns


def test_target_allocation_gaps_name_the_year_metric_and_sums(targets_2022, django_assert_num_queries):
    with django_assert_num_queries(1):
        gaps = selectors.target_allocation_gaps()

    assert gaps == [AllocationGap(2022, LAND.value, Decimal("2500.00"), Decimal("2200.50"))]
    assert gaps[0].difference == Decimal("-299.50")


def test_target_allocation_gaps_are_empty_without_targets():
    assert selectors.target_allocation_gaps() == []


def test_target_allocation_over_the_city_target_is_a_gap(towns):
    services.target_set(year=2023, metric=RECTIFIED, value=Decimal("10"))
    services.target_set(year=2023, metric=RECTIFIED, value=Decimal("12"), town=towns[0])

    assert [gap.difference for gap in selectors.target_allocation_gaps()] == [Decimal("2.00")]


def test_target_changelist_warns_where_the_allocation_misses_the_city_target(client, admin_user, targets_2022):
    client.force_login(admin_user)

    response = client.get(CHANGELIST)

    warnings = [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]
    assert warnings == [
        ("warning", "2022 腾退低效用地：各镇街道分解合计 2200.50，全市目标 2500.00（相差 -299.50）。"),
    ]


def test_target_changelist_has_no_warning_when_allocations_add_up(client, admin_user, targets_2022):
    Target.objects.filter(year=2022, metric=LAND, town=targets_2022[1]).update(value=Decimal("1499.50"))
    client.force_login(admin_user)

    response = client.get(CHANGELIST)

    assert list(get_messages(response.wsgi_request)) == []
    assert response.status_code == 200


def test_targets_copy_year_creates_next_year_s_town_targets_and_keeps_existing_ones(admin_user, targets_2022):
    caoqiao = targets_2022[0]
    services.target_set(year=2023, metric=RECTIFIED, value=Decimal("70"), town=caoqiao)

    created, kept = services.targets_copy_year(from_year=2022, user=admin_user)

    assert (created, kept) == (4, 1)
    copied = {
        (target.metric, target.town.name): target.value
        for target in Target.objects.filter(year=2023).select_related("town")
    }
    assert copied == {
        (RECTIFIED.value, "曹桥街道"): Decimal("70.00"),  # kept
        (RECTIFIED.value, "林埭镇"): Decimal("40.00"),
        (RECTIFIED.value, "新仓镇"): Decimal("0.00"),
        (LAND.value, "曹桥街道"): Decimal("1000.50"),
        (LAND.value, "林埭镇"): Decimal("1200.00"),
    }
    assert not Target.objects.filter(year=2023, town__isnull=True).exists()
    assert {record.history_user for record in Target.history.filter(year=2023, metric=LAND)} == {admin_user}


def test_targets_copy_year_twice_creates_nothing_more(targets_2022):
    services.targets_copy_year(from_year=2022)

    assert services.targets_copy_year(from_year=2022) == (0, 5)
    assert Target.objects.filter(year=2023).count() == 5


def test_targets_copy_year_beyond_the_last_year_is_refused_by_the_year_s_limit_and_copies_nothing(towns):
    services.target_set(year=2100, metric=RECTIFIED, value=Decimal("5"), town=towns[0])

    with pytest.raises(ValidationError) as caught:
        services.targets_copy_year(from_year=2100)

    assert error_code_dict(caught.value) == {"year": ["max_value"]}
    assert Target.objects.count() == 1


def test_target_admin_action_copies_the_selected_year_to_the_next(client, admin_user, targets_2022):
    client.force_login(admin_user)
    selected = Target.objects.filter(year=2022).values_list("pk", flat=True)[:1]

    response = client.post(
        CHANGELIST, {"action": "copy_allocation_to_next_year", "_selected_action": list(selected)}, follow=True
    )

    messages = [message.message for message in response.context["messages"]]
    assert "已从 2022 年复制 5 项镇街道目标到 2023 年；2023 年已有的 0 项保持不变。" in messages
    assert Target.objects.filter(year=2023, town__isnull=False).count() == 5


def test_target_admin_action_beyond_the_last_year_is_refused_and_copies_nothing(client, admin_user, towns):
    services.target_set(year=2100, metric=RECTIFIED, value=Decimal("5"), town=towns[0])
    client.force_login(admin_user)

    response = client.post(
        CHANGELIST,
        {"action": "copy_allocation_to_next_year", "_selected_action": [Target.objects.get().pk]},
        follow=True,
    )

    assert [message.level_tag for message in response.context["messages"]] == ["error"]
    assert Target.objects.count() == 1
