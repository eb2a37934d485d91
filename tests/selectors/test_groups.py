"""The attack groups' reads: a town's groups in natural order with their counts, the choices, the ranks."""

from datetime import date

from clearance import selectors, services
from clearance.choices import Stage
from clearance.models import AttackGroup, Enterprise

from tests.factories import EnterpriseFactory, SiteFactory, TownFactory, close_out, paired_town


def test_town_attack_groups_counts_each_groups_enterprises_by_stage_reached_in_natural_order(db):
    town, pairing = paired_town()
    ten, two, one = (services.attack_group_upsert(task_force=pairing.task_force, name=f"攻坚小组{n}") for n in "十二一")
    site = SiteFactory(town=town)
    close_out(EnterpriseFactory(site=site, responsible_group=one), signed=date(2022, 3, 1), vacated=date(2022, 4, 1),
              closed=date(2022, 5, 1))
    services.event_record(enterprise=EnterpriseFactory(site=site, responsible_group=one), stage=Stage.SIGNED,
                          on=date(2022, 6, 1), user=None)
    EnterpriseFactory(site=site, responsible_group=two)
    EnterpriseFactory(site=site)

    groups = selectors.town_attack_groups(town=town)

    counts = [(g.name, g.enterprise_count, g.signed_count, g.vacated_count, g.closed_count) for g in groups]
    assert counts == [("攻坚小组一", 2, 2, 1, 1), ("攻坚小组二", 1, 0, 0, 0), ("攻坚小组十", 0, 0, 0, 0)]


def test_town_attack_groups_of_a_town_without_pairing_is_empty(db):
    assert selectors.town_attack_groups(town=TownFactory()) == []


def test_town_group_choices_keep_an_ended_task_forces_groups(db):
    town, pairing = paired_town()
    kept = services.attack_group_upsert(task_force=pairing.task_force, name="第2组")
    services.pairing_end(pairing=pairing, on=date(2022, 6, 30), user=None)

    assert selectors.town_group_choices(town=town) == [(kept.pk, "第2组")]
    assert selectors.town_attack_groups(town=town) == []


def test_with_group_rank_ranks_enterprises_by_their_groups_natural_order_and_the_groupless_last(db):
    town, pairing = paired_town()
    site = SiteFactory(town=town)
    for name in ("第10组", "第9组", None):
        group = name and services.attack_group_upsert(task_force=pairing.task_force, name=name)
        EnterpriseFactory(site=site, name=f"企业{name}", responsible_group=group)

    ranked = selectors.with_group_rank(Enterprise.objects.filter(town=town), group_names=["第10组", "第9组"])

    assert list(ranked.order_by("group_rank").values_list("name", "group_rank")) == [
        ("企业第9组", 0), ("企业第10组", 1), ("企业None", 2)
    ]


def test_with_name_rank_orders_groups_as_people_number_them(db):
    _, pairing = paired_town()
    for n in ("十一", "二", "一", "十"):
        services.attack_group_upsert(task_force=pairing.task_force, name=f"攻坚小组{n}")

    ranked = selectors.with_name_rank(AttackGroup.objects.all()).order_by("name_rank")

    assert list(ranked.values_list("name", flat=True)) == ["攻坚小组一", "攻坚小组二", "攻坚小组十", "攻坚小组十一"]
