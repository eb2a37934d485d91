"""Figures computed from dated events, and the ranks, lights and completion made of them, checked on small cases worked out by hand."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearance import selectors, services
from clearance.selectors.ranking import light_judge
from clearance.choices import Disposal, Metric, Stage

from tests.factories import EnterpriseFactory, SiteFactory, TownFactory, close_out

pytestmark = pytest.mark.django_db


def closed_enterprise(*, site, energy, signed, vacated, closed, name=None, tenant=False):
    enterprise = EnterpriseFactory(
        site=site, energy_freed_tce=Decimal(energy), is_tenant=tenant, **({"name": name} if name else {})
    )
    close_out(enterprise, signed=signed, vacated=vacated, closed=closed)
    return enterprise


def test_period_runs_from_first_january_to_the_last_day_of_the_month():
    assert selectors.period_bounds(year=2022, month=2) == (date(2022, 1, 1), date(2022, 2, 28))
    assert selectors.period_bounds(year=2024, month=2) == (date(2024, 1, 1), date(2024, 2, 29))
    assert selectors.period_bounds(year=2022, month=12) == (date(2022, 1, 1), date(2022, 12, 31))


def test_events_on_the_first_and_last_day_of_a_month_belong_to_that_month():
    site = SiteFactory()
    closed_enterprise(site=site, energy="10", signed=date(2022, 3, 1), vacated=date(2022, 3, 1), closed=date(2022, 3, 1))
    closed_enterprise(site=site, energy="5", signed=date(2022, 3, 1), vacated=date(2022, 3, 31), closed=date(2022, 3, 31))
    closed_enterprise(site=site, energy="7", signed=date(2022, 3, 1), vacated=date(2022, 4, 1), closed=date(2022, 4, 1))

    february = selectors.city_figures(year=2022, month=2)
    march = selectors.city_figures(year=2022, month=3)
    april = selectors.city_figures(year=2022, month=4)

    assert (february["enterprises_rectified"], february["energy_freed_tce"]) == (0, Decimal("0.00"))
    assert (march["enterprises_rectified"], march["energy_freed_tce"]) == (2, Decimal("15.00"))
    assert (april["enterprises_rectified"], april["energy_freed_tce"]) == (3, Decimal("22.00"))
    assert (march["signed"], march["vacated"]) == (3, 2)


def test_year_boundary_31_december_counts_in_the_old_year_and_1_january_in_the_new():
    site = SiteFactory()
    closed_enterprise(site=site, energy="3", signed=date(2021, 12, 1), vacated=date(2021, 12, 2), closed=date(2021, 12, 31))
    closed_enterprise(site=site, energy="4", signed=date(2021, 12, 1), vacated=date(2021, 12, 2), closed=date(2022, 1, 1))

    assert selectors.city_figures(year=2021, month=12)["enterprises_rectified"] == 1
    assert selectors.city_figures(year=2022, month=1)["enterprises_rectified"] == 1
    assert selectors.city_figures(year=2022, month=1)["energy_freed_tce"] == Decimal("4.00")
    # 签约 and 腾退 of December 2021 are not in 2022's period.
    assert selectors.city_figures(year=2022, month=12)["signed"] == 0


def test_the_campaign_s_years_are_those_with_a_target_or_a_figure_each_once_without_the_gaps(
    django_assert_num_queries,
):
    town = TownFactory()
    assert selectors.campaign_years() == []
    services.target_set(year=2025, metric=Metric.ENTERPRISES_RECTIFIED, value=Decimal(3), town=town)
    services.target_set(year=2025, metric=Metric.LAND_VACATED_MU, value=Decimal(3))
    services.target_set(year=2019, metric=Metric.ENERGY_FREED_TCE, value=Decimal(3))
    site = SiteFactory(town=town)
    closed_enterprise(site=site, energy="1", signed=date(2021, 3, 1), vacated=date(2021, 4, 1), closed=date(2022, 5, 1))

    with django_assert_num_queries(1):
        years = selectors.campaign_years()

    # 2021 (签约 and 腾退) and 2022 (销号) have figures; 2019 and 2025 targets; 2020 and 2023–2024 nothing.
    assert years == [2019, 2021, 2022, 2025]


def test_an_area_and_a_parcel_inside_it_are_not_both_counted():
    town = TownFactory()
    area = SiteFactory(town=town, name="六店区域", area_mu=Decimal("360.50"))
    parcel = SiteFactory(town=town, name="原胜利钢厂地块", parent=area, area_mu=Decimal("20.43"))
    services.event_record(site=parcel, stage=Stage.VACATED, on=date(2022, 5, 3), user=None)
    services.event_record(site=area, stage=Stage.VACATED, on=date(2022, 6, 1), user=None)

    assert selectors.city_figures(year=2022, month=8)["land_vacated_mu"] == Decimal("20.43")


def test_a_tenant_and_its_landlord_on_one_site_count_the_land_once():
    site = SiteFactory(area_mu=Decimal("6.93"))
    closed_enterprise(site=site, energy="100", name="某工贸企业", signed=date(2022, 4, 1), vacated=date(2022, 4, 10), closed=date(2022, 4, 28))
    closed_enterprise(site=site, energy="20", name="某租赁户", tenant=True, signed=date(2022, 4, 1), vacated=date(2022, 4, 9), closed=date(2022, 4, 28))
    services.event_record(site=site, stage=Stage.VACATED, on=date(2022, 4, 11), user=None)

    figures = selectors.city_figures(year=2022, month=4)

    assert figures["land_vacated_mu"] == Decimal("6.93")
    assert figures["enterprises_rectified"] == 2
    assert figures["energy_freed_tce"] == Decimal("120.00")


def test_correcting_an_event_date_moves_the_figure_to_the_next_month():
    site = SiteFactory()
    enterprise = closed_enterprise(site=site, energy="50", signed=date(2022, 7, 1), vacated=date(2022, 7, 5), closed=date(2022, 7, 31))
    closed = enterprise.events.get(stage=Stage.CLOSED)
    assert selectors.city_figures(year=2022, month=7)["enterprises_rectified"] == 1

    services.event_correct(event=closed, expected_version=closed.version, on=date(2022, 8, 1), user=None)

    assert selectors.city_figures(year=2022, month=7)["enterprises_rectified"] == 0
    assert selectors.city_figures(year=2022, month=8)["enterprises_rectified"] == 1


def test_upgrade_in_place_closes_out_without_vacating_and_still_counts():
    enterprise = EnterpriseFactory(disposal=Disposal.UPGRADE, energy_freed_tce=Decimal("12.5"))
    services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 2, 1), user=None)
    services.event_record(enterprise=enterprise, stage=Stage.CLOSED, on=date(2022, 2, 20), user=None)

    figures = selectors.city_figures(year=2022, month=2)

    assert (figures["enterprises_rectified"], figures["energy_freed_tce"], figures["vacated"]) == (1, Decimal("12.50"), 0)


def test_town_figures_attribute_site_and_enterprise_events_to_their_towns():
    caoqiao, lindai, empty = TownFactory(name="曹桥街道"), TownFactory(name="林埭镇"), TownFactory(name="广陈镇")
    site = SiteFactory(town=caoqiao, area_mu=Decimal("20.43"))
    closed_enterprise(site=site, energy="30", signed=date(2022, 3, 1), vacated=date(2022, 3, 2), closed=date(2022, 3, 3))
    services.event_record(site=site, stage=Stage.VACATED, on=date(2022, 3, 4), user=None)
    other = EnterpriseFactory(site=SiteFactory(town=lindai))
    services.event_record(enterprise=other, stage=Stage.SIGNED, on=date(2022, 3, 5), user=None)

    by_town = selectors.town_figures(year=2022, month=8)

    assert by_town[caoqiao.pk] == {
        "enterprises_rectified": 1,
        "land_vacated_mu": Decimal("20.43"),
        "energy_freed_tce": Decimal("30.00"),
        "signed": 1,
        "vacated": 1,
    }
    assert by_town[lindai.pk] == {
        "enterprises_rectified": 0,
        "land_vacated_mu": Decimal("0.00"),
        "energy_freed_tce": Decimal("0.00"),
        "signed": 1,
        "vacated": 0,
    }
    assert empty.pk not in by_town


@pytest.mark.parametrize("enterprises", [3, 30])
def test_figures_take_one_query_whatever_the_number_of_events(django_assert_num_queries, enterprises):
    town = TownFactory()
    for index in range(enterprises):
        site = SiteFactory(town=town)
        closed_enterprise(site=site, energy="1", signed=date(2022, 1, 3), vacated=date(2022, 1, 4), closed=date(2022, 1, 5))
        services.event_record(site=site, stage=Stage.VACATED, on=date(2022, 1, 6), user=None)

    with django_assert_num_queries(1):
        figures = selectors.city_figures(year=2022, month=1)
    with django_assert_num_queries(1):
        by_town = selectors.town_figures(year=2022, month=1)

    assert figures["enterprises_rectified"] == enterprises
    assert figures["land_vacated_mu"] == Decimal("10.00") * enterprises
    assert by_town[town.pk]["enterprises_rectified"] == enterprises


def test_the_summary_s_ranks_of_the_month_before_are_those_of_the_month_before(django_assert_num_queries):
    """The dashboard reads last month's ranks from the summary's own queries (both months' sums in one): they must
    be the ranks previous_town_ranks computes on its own, month by month, and there are none in January."""
    towns = [TownFactory(name=name) for name in ("甲镇", "乙镇", "丙镇")]
    for town, target in zip(towns, (4, 2, 8)):
        services.target_set(year=2022, metric=Metric.ENTERPRISES_RECTIFIED, town=town, value=Decimal(target))
    # 甲 closes one in January and one in March, 乙 one in February, 丙 two in March: the ranks change each month.
    for town, month in ((towns[0], 1), (towns[1], 2), (towns[0], 3), (towns[2], 3), (towns[2], 3)):
        closed_enterprise(site=SiteFactory(town=town), energy="1", signed=date(2022, month, 2),
                          vacated=date(2022, month, 3), closed=date(2022, month, 4))

    seen = set()
    for month in (1, 2, 3, 4):
        summary = selectors.campaign_summary(year=2022, month=month, previous_ranks=True)
        now, before = selectors.town_figures_and_month_before(year=2022, month=month)
        alone = selectors.campaign_summary(year=2022, month=month)

        assert summary.previous_ranks == selectors.previous_town_ranks(year=2022, month=month)
        if month > 1:
            # The ranks the towns had in the full ranking of the month before (per-metric ranks, lights and all).
            ranked_then = selectors.town_ranking(year=2022, month=month - 1)
            assert summary.previous_ranks == {town.pk: town.rank for town in ranked_then.towns}
        assert [(town.pk, town.rank) for town in summary.towns] == [(town.pk, town.rank) for town in alone.towns]
        assert now == selectors.town_figures(year=2022, month=month)
        if month == 1:
            assert before == {}
        else:
            # A town with figures only this month has zeros before it (town_figures leaves it out: the same figures).
            alone_before = selectors.town_figures(year=2022, month=month - 1)
            assert {town.pk: before.get(town.pk, selectors.empty_figures()) for town in towns} == {
                town.pk: alone_before.get(town.pk, selectors.empty_figures()) for town in towns}
        seen.add(tuple(sorted((summary.previous_ranks or {}).items())))
    assert selectors.campaign_summary(year=2022, month=1, previous_ranks=True).previous_ranks is None
    assert len(seen) >= 3  # the ranks compared did change from month to month
    # Last month's ranks cost no query of their own: the targets, the city's and the towns' sums, the towns, the
    # counties and their bulletins either way.
    with django_assert_num_queries(6):
        selectors.campaign_summary(year=2022, month=3, previous_ranks=True)
    with django_assert_num_queries(6):
        selectors.campaign_summary(year=2022, month=3)


def test_monthly_trend_is_cumulative_and_filters_by_town():
    town, other = TownFactory(), TownFactory()
    closed_enterprise(site=SiteFactory(town=town), energy="2", signed=date(2022, 1, 5), vacated=date(2022, 1, 6), closed=date(2022, 1, 7))
    closed_enterprise(site=SiteFactory(town=town), energy="3", signed=date(2022, 3, 5), vacated=date(2022, 3, 6), closed=date(2022, 3, 7))
    closed_enterprise(site=SiteFactory(town=other), energy="4", signed=date(2022, 2, 5), vacated=date(2022, 2, 6), closed=date(2022, 2, 7))

    city = selectors.monthly_trend(year=2022, month=4)
    mine = selectors.monthly_trend(year=2022, month=4, town=town)

    assert [row["enterprises_rectified"] for row in city] == [1, 2, 3, 3]
    assert [row["energy_freed_tce"] for row in city] == [Decimal("2.00"), Decimal("6.00"), Decimal("9.00"), Decimal("9.00")]
    assert [row["enterprises_rectified"] for row in mine] == [1, 1, 2, 2]
    assert [row["month"] for row in mine] == [1, 2, 3, 4]


def test_site_stage_is_the_least_advanced_enterprise_or_vacated_once_recorded():
    from clearance.models import Site

    town = TownFactory()
    mixed, empty, cleared = SiteFactory(town=town), SiteFactory(town=town), SiteFactory(town=town)
    ahead, behind = EnterpriseFactory(site=mixed), EnterpriseFactory(site=mixed)
    close_out(ahead, signed=date(2022, 3, 1), vacated=date(2022, 3, 2))
    services.event_record(enterprise=behind, stage=Stage.NEGOTIATING, on=date(2022, 3, 1), user=None)
    only = EnterpriseFactory(site=cleared)
    close_out(only, signed=date(2022, 3, 1), vacated=date(2022, 3, 2))
    services.event_record(site=cleared, stage=Stage.VACATED, on=date(2022, 3, 3), user=None)
    not_started = SiteFactory(town=town)
    EnterpriseFactory(site=not_started)

    stages = dict(selectors.with_site_stage(Site.objects.all()).values_list("pk", "stage"))

    assert stages == {mixed.pk: Stage.NEGOTIATING, empty.pk: None, cleared.pk: Stage.VACATED, not_started.pk: 0}
    assert selectors.with_enterprise_stage(type(ahead).objects.filter(pk=ahead.pk)).get().stage == Stage.VACATED


def test_site_progress_counts_enterprises_on_its_parcels_without_multiplying():
    from clearance.models import Site

    town = TownFactory()
    cluster = SiteFactory(town=town, name="徐家埭工业集聚点")
    parcel = SiteFactory(town=town, parent=cluster)
    for index in range(3):
        enterprise = EnterpriseFactory(site=parcel if index else cluster)
        services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=date(2022, 3, 1), user=None)
        if index == 2:
            services.event_record(enterprise=enterprise, stage=Stage.VACATED, on=date(2022, 3, 2), user=None)
    EnterpriseFactory(site=parcel)

    progress = {row.pk: row for row in selectors.with_site_progress(Site.objects.all())}

    assert (progress[cluster.pk].enterprise_count, progress[cluster.pk].signed_count, progress[cluster.pk].vacated_count) == (4, 3, 1)
    assert (progress[parcel.pk].enterprise_count, progress[parcel.pk].signed_count, progress[parcel.pk].vacated_count) == (3, 2, 1)


# Ranks, lights and completion: the maths behind /api/summary/ and the dashboard ------------------------


def test_ties_share_a_rank_and_the_next_rank_skips():
    values = {"a": Fraction(90), "b": Fraction(80), "c": Fraction(80), "d": Fraction(70), "e": None}
    assert selectors.competition_ranks(values) == {"a": 1, "b": 2, "c": 2, "d": 4, "e": None}


@pytest.mark.parametrize(
    ("completion", "light"),
    [
        (Fraction(200, 3), "green"),      # exactly 序时 for August
        (Fraction(6667, 100), "green"),
        (Fraction(5667, 100), "yellow"),  # 9.997 points behind
        (Fraction(170, 3), "yellow"),     # exactly 10 points behind
        (Fraction(5666, 100), "red"),
        (None, None),
    ],
)
def test_light_compares_exact_values_with_the_yellow_band(completion, light):
    assert selectors.light(completion, selectors.time_progress(8)) == light


# The maths a page computes hundreds of times, against their plain definitions: exact, with ties kept.
fractions = st.one_of(st.none(), st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6),
                      st.integers(min_value=0, max_value=300).map(lambda n: Fraction(n, 3)))


@given(values=st.lists(fractions, max_size=30))
def test_ranks_are_one_plus_the_number_of_higher_values(values):
    ranks = selectors.competition_ranks(dict(enumerate(values)))
    assert ranks == {index: None if value is None else 1 + sum(1 for other in values if other is not None and other > value)
                     for index, value in enumerate(values)}


@given(values=st.lists(st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6), max_size=6))
def test_a_score_is_the_exact_mean(values):
    from clearance.selectors.ranking import exact_mean

    assert exact_mean(values) == (sum(values, Fraction(0)) / len(values) if values else None)


@given(value=fractions, month=st.integers(min_value=1, max_value=12))
def test_a_light_judged_with_the_band_worked_out_once_is_the_light(value, month):
    progress = selectors.time_progress(month)
    assert light_judge(progress)(value) == selectors.light(value, progress)


@given(actual=st.one_of(st.integers(min_value=0, max_value=10**6),
                        st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)),
       target=st.one_of(st.none(), st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False,
                                               allow_infinity=False)))
def test_completion_is_actual_over_target_times_100_exactly(actual, target):
    expected = None if not target else Fraction(Decimal(actual)) * 100 / Fraction(target)
    assert selectors.completion(actual, target) == expected


def test_yellow_band_is_a_setting(settings):
    settings.CLEARANCE_YELLOW_BAND_POINTS = 30
    assert selectors.light(Fraction(40), selectors.time_progress(8)) == "yellow"


def test_a_zero_target_gives_no_completion_and_no_light():
    assert selectors.completion(Decimal(5), Decimal(0)) is None
    assert selectors.completion(Decimal(5), None) is None


def test_completion_is_rounded_half_up_for_display():
    assert selectors.round_half_up(Fraction(3163 * 100, 2500)) == 126.5
    assert selectors.round_half_up(Fraction(50000 * 100, 45000)) == 111.1
    assert selectors.round_half_up(Fraction(2005, 20)) == 100.3  # 100.25 → 100.3


def test_rounding_half_up_is_exact_and_rounds_halves_away_from_zero():
    # What reports do (四舍五入), on the exact value: a negative gap's half goes down, not towards zero.
    assert selectors.round_half_up(Fraction(-2005, 20)) == -100.3
    assert selectors.round_half_up(Fraction(-2004, 20)) == -100.2
    assert selectors.round_half_up(Fraction(5, 2), places=0) == 3.0
    assert selectors.round_half_up(Fraction(12345, 1000), places=2) == 12.35
    # Just below a half, by less than the 28 digits a Decimal division keeps: still rounded down.
    assert selectors.round_half_up(Fraction(10**40 * 5 - 1, 10**42)) == 0.0
    assert selectors.round_half_up(None) is None
