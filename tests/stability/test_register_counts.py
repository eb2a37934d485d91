"""register_counts: raised, resolved and open per period, per town and for the city, by kind, computed by hand."""

import io
from datetime import date

import pytest
from django.core.management import call_command

from clearance import services
from clearance.choices import RegisterKind
from clearance.derived import register_rollup
from clearance.models import RegisterItem, RegisterMonthlyFigure, RegisterYearlyFigure
from clearance.selectors.register import RegisterFigures, register_counts

from tests.factories import TownFactory
from tests.stability.helpers import raise_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(world):
    """A: a dispute raised 2021-12-20, resolved 2022-01-10; B: a hazard on the parcel raised 2022-01-15, open;
    C: a petition on the enterprise raised 2022-01-31, resolved 2022-02-01; D: another town's dispute raised
    2022-02-05, resolved 2022-02-28. And a town with none."""
    raise_item(world, on=date(2021, 12, 20), resolved_on=date(2022, 1, 10))
    raise_item(world, site=world.parcel, on=date(2022, 1, 15), kind=RegisterKind.HAZARD)
    raise_item(world, enterprise=world.enterprise, on=date(2022, 1, 31), kind=RegisterKind.PETITION,
               resolved_on=date(2022, 2, 1))
    raise_item(world, site=world.other_site, on=date(2022, 2, 5), resolved_on=date(2022, 2, 28), user=world.admin)
    return TownFactory(name="空白镇", display_order=99)


def figures(counts, town=None):
    row = counts.city if town is None else next(row for row in counts.towns if row.town == town)
    return (row.total.raised, row.total.resolved, row.total.open)


def test_counts_across_the_year_boundary(world, items):
    december = register_counts(year=2021, month=12)
    january = register_counts(year=2022, month=1)

    # December 2021: A raised, nothing resolved, A open at the end of the year.
    assert figures(december) == figures(december, world.town) == (1, 0, 1)
    # January 2022 counts from 1 January: B and C raised (A was raised in 2021), A resolved; B and C open on the 31st.
    assert figures(january, world.town) == (2, 1, 2)
    assert figures(january, world.other_town) == (0, 0, 0)
    assert figures(january) == (2, 1, 2)


def test_counts_across_a_month_boundary_by_kind_and_an_empty_town(world, items):
    february = register_counts(year=2022, month=2)

    assert figures(february, world.town) == (2, 2, 1)  # raised B, C; resolved A, C; open B
    assert figures(february, world.other_town) == (1, 1, 0)
    assert figures(february, items) == (0, 0, 0)
    assert figures(february) == (3, 3, 1)
    assert february.city.kinds == {
        RegisterKind.DISPUTE: RegisterFigures(raised=1, resolved=2, open=0),
        RegisterKind.PETITION: RegisterFigures(raised=1, resolved=1, open=0),
        RegisterKind.HAZARD: RegisterFigures(raised=1, resolved=0, open=1),
    }
    # Every town is listed, in display order, the empty one too; the city is their sum.
    assert [row.town.name for row in february.towns][-1] == "空白镇"


def test_counts_are_two_queries_whatever_the_towns(world, items, django_assert_num_queries):
    # The towns, and the sums of the register's monthly rollup.
    with django_assert_num_queries(2):
        counts = register_counts(year=2022, month=2)
    assert len(counts.towns) == 3


def test_the_rollup_follows_every_write_and_verify_rollups_repairs_it(world, items):
    """RegisterMonthlyFigure is kept by the services (derived.register_rollup): each write below moves a count."""
    open_hazard = RegisterItem.objects.get(kind=RegisterKind.HAZARD)
    services.register_item_resolve(item=open_hazard, expected_version=open_hazard.version, resolved_on=date(2022, 3, 2),
                                   resolution="已整改", user=world.admin)
    assert figures(register_counts(year=2022, month=3), world.town) == (2, 3, 0)  # B resolved in March
    petition = RegisterItem.objects.get(kind=RegisterKind.PETITION)
    services.register_item_update(item=petition, expected_version=petition.version, user=world.admin,
                                  raised_on=date(2022, 2, 1))
    assert figures(register_counts(year=2022, month=1), world.town) == (1, 1, 1)  # C is February's now
    dispute = RegisterItem.objects.get(town=world.other_town)
    services.register_item_delete(item=dispute, expected_version=dispute.version, user=world.admin)
    assert figures(register_counts(year=2022, month=2), world.other_town) == (0, 0, 0)
    assert register_rollup.differences() == []

    RegisterMonthlyFigure.objects.filter(town=world.town, kind=RegisterKind.HAZARD).update(raised=5)  # as a bug would
    with pytest.raises(Exception, match="in the register's rollup"):
        call_command("verify_rollups", stdout=io.StringIO())
    call_command("verify_rollups", "--repair", stdout=io.StringIO())
    assert register_rollup.differences() == []


def test_open_at_the_end_counts_every_earlier_year_and_the_months_of_its_own(world):
    """The open items sum the earlier years' yearly rows and the period's year's months (RegisterYearlyFigure beside
    RegisterMonthlyFigure): for every month of five years, each figure is what counting the items themselves gives."""
    spans = [
        (date(2019, 3, 5), date(2021, 7, 1)), (date(2019, 11, 30), None), (date(2020, 1, 1), date(2020, 12, 31)),
        (date(2020, 12, 31), date(2021, 1, 1)), (date(2021, 6, 15), date(2023, 2, 28)), (date(2022, 2, 2), None),
        (date(2023, 12, 1), date(2023, 12, 31)),
    ]
    for raised_on, resolved_on in spans:
        raise_item(world, on=raised_on, resolved_on=resolved_on, user=world.admin)
    raise_item(world, site=world.other_site, on=date(2018, 5, 5), kind=RegisterKind.HAZARD, user=world.admin)

    for year in range(2019, 2024):
        for month in range(1, 13):
            end = date(year + month // 12, month % 12 + 1, 1)  # the day after the period's end
            start = date(year, 1, 1)
            raised = sum(start <= on < end for on, _ in spans)
            resolved = sum(done is not None and start <= done < end for _, done in spans)
            still_open = sum(on < end and (done is None or done >= end) for on, done in spans)
            counts = register_counts(year=year, month=month)
            assert figures(counts, world.town) == (raised, resolved, still_open), (year, month)
            # The other town's hazard, raised in 2018 and never resolved, is open at every end, raised in none.
            assert figures(counts, world.other_town) == (0, 0, 1), (year, month)
            assert figures(counts) == (raised, resolved, still_open + 1), (year, month)
    assert register_rollup.differences() == []


def test_verify_rollups_finds_and_repairs_a_wrong_yearly_row(world, items):
    RegisterYearlyFigure.objects.filter(town=world.town, year=2021).update(resolved=3)  # as a bug would

    assert figures(register_counts(year=2022, month=1), world.town) != (2, 1, 2)
    out = io.StringIO()
    with pytest.raises(Exception, match="in the register's rollup"):
        call_command("verify_rollups", stdout=out)
    assert f"{world.town.name} 2021 dispute resolved: register rollup 3, items 0" in out.getvalue()
    call_command("verify_rollups", "--repair", stdout=io.StringIO())
    assert register_rollup.differences() == []
    assert figures(register_counts(year=2022, month=1), world.town) == (2, 1, 2)
