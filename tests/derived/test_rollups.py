"""The monthly rollup the dashboard reads always equals a recomputation from the events.

Random sequences of the writes users make (record, correct, delete events; change
an enterprise's energy or site, a site's area or containing area; add and remove
parcels inside a vacated area) go through the services; after every step the
rollup and a recomputation from the events agree, month by month, town by town,
and so do the site tree and the sites' parent links, and each site's stored progress
(the battle board's column and card) and a recomputation.
"""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from clearance import selectors, services
from clearance.derived import rollup, site_progress, site_tree
from clearance.choices import Disposal, Stage
from clearance.models import Enterprise, Event, MonthlyFigure, Site, YearlyFigure
from clearance.selectors.reuse import reuse_town_figures

from tests.factories import EnterpriseFactory, SiteFactory, TownFactory, close_out

FIRST_DAY = date(2021, 11, 1)  # sequences cross a year boundary
days = st.integers(min_value=0, max_value=150).map(lambda offset: FIRST_DAY + timedelta(days=offset))
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)
ENTERPRISE_STAGES = [Stage.SURVEYED, Stage.NEGOTIATING, Stage.SIGNED, Stage.VACATED, Stage.DEMOLISHED, Stage.CLOSED]

operations = st.one_of(
    st.tuples(st.just("record"), st.integers(0, 5), st.sampled_from(ENTERPRISE_STAGES), days),
    st.tuples(st.just("vacate_site"), st.integers(0, 4), days),
    st.tuples(st.just("correct"), st.integers(0, 40), days),
    st.tuples(st.just("delete"), st.integers(0, 40)),
    st.tuples(st.just("energy"), st.integers(0, 5), amounts),
    st.tuples(st.just("area"), st.integers(0, 4), amounts),
    st.tuples(st.just("move"), st.integers(0, 5), st.integers(0, 4)),
    st.tuples(st.just("add_parcel"), st.integers(0, 4), amounts),
    st.tuples(st.just("remove_parcel"),),
    st.tuples(st.just("reparent"), st.integers(0, 4), st.integers(0, 5)),  # 5: out of any area
)


def apply(operation, *, enterprises, sites, user):
    """Apply one operation through the services; a refusal by the rules is part of the game."""
    kind, *args = operation
    events = list(Event.objects.order_by("pk"))
    try:
        if kind == "record":
            index, stage, on = args
            services.event_record(enterprise=enterprises[index], stage=stage, on=on, user=user)
        elif kind == "vacate_site":
            index, on = args
            services.event_record(site=sites[index], stage=Stage.VACATED, on=on, user=user)
        elif kind == "correct" and events:
            index, on = args
            event = events[args[0] % len(events)]
            services.event_correct(event=event, expected_version=event.version, on=on, user=user)
        elif kind == "delete" and events:
            event = events[args[0] % len(events)]
            services.event_delete(event=event, expected_version=event.version, user=user)
        elif kind == "energy":
            enterprise = Enterprise.objects.get(pk=enterprises[args[0]].pk)
            services.enterprise_update(
                enterprise=enterprise, expected_version=enterprise.version, user=user, energy_freed_tce=args[1]
            )
        elif kind == "area":
            site = Site.objects.get(pk=sites[args[0]].pk)
            services.site_update(site=site, expected_version=site.version, user=user, area_mu=args[1])
        elif kind == "move":
            enterprise = Enterprise.objects.get(pk=enterprises[args[0]].pk)
            target = sites[args[1]]
            services.enterprise_update(
                enterprise=enterprise, expected_version=enterprise.version, user=user, site=target, town=target.town
            )
        elif kind == "add_parcel":
            parent = sites[args[0]]
            services.site_create(
                town=parent.town, name=f"地块{Site.objects.count()}", area_mu=args[1], parent=parent, user=user
            )
        elif kind == "remove_parcel":
            parcel = Site.objects.filter(name__startswith="地块", enterprises__isnull=True, events__isnull=True).first()
            if parcel is not None:
                services.site_delete(site=parcel, expected_version=parcel.version, user=user)
        elif kind == "reparent":
            site = Site.objects.get(pk=sites[args[0]].pk)
            parent = sites[args[1]] if args[1] < len(sites) else None
            services.site_update(site=site, expected_version=site.version, user=user, parent=parent)
    except ValidationError:
        pass


class RollupAgreesWithEvents(TestCase):
    def setUp(self):
        north, south = TownFactory(name="北镇"), TownFactory(name="南镇")
        area = SiteFactory(town=north, name="北区", area_mu=Decimal("100.00"))
        self.sites = [
            area,
            SiteFactory(town=north, name="北区一号", parent=area, area_mu=Decimal("20.43")),
            SiteFactory(town=north, name="北厂", area_mu=Decimal("6.93")),
            SiteFactory(town=south, name="南厂", area_mu=Decimal("20.00")),
            SiteFactory(town=south, name="南区", area_mu=Decimal("50.00")),  # no enterprises: vacated at once
        ]
        disposals = [Disposal.VACATE, Disposal.UPGRADE, Disposal.SHUT_DOWN, Disposal.MERGE, Disposal.VACATE,
                     Disposal.MOVE_TO_PARK]
        self.enterprises = [
            EnterpriseFactory(site=self.sites[[1, 1, 2, 3, 3, 3][i]], disposal=disposal,
                              energy_freed_tce=Decimal(10 * i + 1))
            for i, disposal in enumerate(disposals)
        ]

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(operations, min_size=1, max_size=30))
    # The cases that move a figure without touching an event, always tried besides the random ones.
    @example([("vacate_site", 4, date(2022, 1, 3)), ("add_parcel", 4, Decimal("3.00")), ("remove_parcel",)])
    @example([("vacate_site", 4, date(2022, 1, 3)), ("area", 4, Decimal("7.50")), ("correct", 0, date(2021, 12, 31))])
    @example([("record", 2, Stage.SIGNED, date(2021, 12, 1)), ("record", 2, Stage.VACATED, date(2021, 12, 2)),
              ("record", 2, Stage.CLOSED, date(2022, 1, 2)), ("energy", 2, Decimal("99.00")),
              ("move", 2, 4), ("delete", 2)])
    def test_after_any_sequence_of_writes(self, sequence):
        for step, operation in enumerate(sequence):
            apply(operation, enterprises=self.enterprises, sites=self.sites, user=None)
            assert rollup.differences() == [], f"after step {step}: {operation}"
            assert site_tree.differences() == [], f"after step {step}: {operation}"
            assert site_progress.differences() == [], f"after step {step}: {operation}"


@pytest.mark.django_db
def test_differences_name_the_month_and_figure_and_verify_rollups_repairs_them():
    site = SiteFactory(area_mu=Decimal("6.93"))
    enterprise = EnterpriseFactory(site=site, energy_freed_tce=Decimal("12.50"))
    close_out(enterprise, signed=date(2022, 1, 5), vacated=date(2022, 2, 1), closed=date(2022, 3, 9))
    assert rollup.differences() == []
    assert selectors.city_figures(year=2022, month=3)["energy_freed_tce"] == Decimal("12.50")

    # A write behind the services' back (raw SQL, a restore gone wrong) is found…
    MonthlyFigure.objects.filter(year=2022, month=3).update(energy_freed_tce=Decimal("1.00"))
    [difference] = rollup.differences()
    assert (difference["year"], difference["month"], difference["figure"]) == (2022, 3, "energy_freed_tce")
    assert (difference["rollup"], difference["events"]) == (Decimal("1.00"), Decimal("12.50"))
    with pytest.raises(CommandError, match="1 differences"):
        call_command("verify_rollups")

    # …and repaired from the events.
    call_command("verify_rollups", "--repair")
    assert rollup.differences() == []
    assert selectors.city_figures(year=2022, month=3)["energy_freed_tce"] == Decimal("12.50")


@pytest.mark.django_db
def test_a_wrong_yearly_row_is_found_and_repaired_and_the_land_awaiting_reuse_reads_it():
    """YearlyFigure holds the years before a period for the land awaiting reuse: a wrong row there moves it."""
    site = SiteFactory(area_mu=Decimal("6.93"))
    services.event_record(site=site, stage=Stage.VACATED, on=date(2021, 12, 1), user=None)
    awaiting = reuse_town_figures(year=2022, month=6)[site.town_id]["land_awaiting_mu"]
    assert awaiting == Decimal("6.93")  # vacated in 2021: the year's row

    YearlyFigure.objects.filter(year=2021).update(land_vacated_mu=Decimal("1.00"))  # as a bug would
    assert reuse_town_figures(year=2022, month=6)[site.town_id]["land_awaiting_mu"] == Decimal("1.00")
    [difference] = rollup.differences()
    assert (difference["year"], difference["month"], difference["figure"]) == (2021, None, "land_vacated_mu")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 differences"):
        call_command("verify_rollups", stdout=out)
    assert f"{site.town.name} 2021 land_vacated_mu: rollup 1.00, events 6.93" in out.getvalue()

    call_command("verify_rollups", "--repair", stdout=io.StringIO())
    assert rollup.differences() == []
    assert reuse_town_figures(year=2022, month=6)[site.town_id]["land_awaiting_mu"] == Decimal("6.93")


@pytest.mark.django_db
def test_a_parcel_added_inside_a_vacated_area_takes_the_area_out_of_the_land_figure():
    area = SiteFactory(area_mu=Decimal("100.00"))
    services.event_record(site=area, stage=Stage.VACATED, on=date(2022, 4, 1), user=None)
    assert selectors.city_figures(year=2022, month=4)["land_vacated_mu"] == Decimal("100.00")

    parcel = services.site_create(town=area.town, name="内部地块", area_mu=Decimal("20.43"), parent=area, user=None)
    assert selectors.city_figures(year=2022, month=4)["land_vacated_mu"] == Decimal("0.00")

    services.site_delete(site=parcel, expected_version=parcel.version, user=None)
    assert selectors.city_figures(year=2022, month=4)["land_vacated_mu"] == Decimal("100.00")
    assert rollup.differences() == []


@pytest.mark.django_db
def test_the_dashboard_reads_twelve_rows_per_town_at_most_whatever_the_history():
    site = SiteFactory()
    for year in range(2019, 2023):
        enterprise = EnterpriseFactory(site=site)
        close_out(enterprise, signed=date(year, 1, 5), vacated=date(year, 2, 1), closed=date(year, 3, 9))
    assert MonthlyFigure.objects.filter(year=2022).count() == 3  # January, February, March of one town
    assert selectors.city_figures(year=2022, month=12)["enterprises_rectified"] == 1
    assert selectors.city_figures(year=2019, month=3)["signed"] == 1
