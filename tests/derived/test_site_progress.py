"""Each site's stored progress (the battle board's column and card) equals a recomputation from the records.

The sequences of writes in test_rollups.py hold it after every step; here: a row changed behind the services' back
is found and repaired by verify_rollups, and a rebuild from nothing (the migration's fill, a bulk writer's) gives
the rows the write path kept.
"""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from clearance import services
from clearance.choices import Stage
from clearance.derived import site_progress
from clearance.models import Site, SiteProgress

from tests.factories import EnterpriseFactory, TownFactory, close_out


@pytest.fixture
def area(db):
    """An area with two parcels: one vacated by its own 腾退, one whose enterprise is still in talks."""
    town = TownFactory(name="甲镇")
    area = services.site_create(town=town, name="甲区", area_mu=Decimal("100"), user=None, deadline=date(2022, 6, 30))
    cleared = services.site_create(town=town, name="甲区一号", area_mu=Decimal("20.43"), parent=area, user=None)
    waiting = services.site_create(town=town, name="甲区二号", area_mu=Decimal("30"), parent=area, user=None)
    close_out(EnterpriseFactory(site=cleared), signed=date(2022, 3, 1), vacated=date(2022, 3, 2))
    services.event_record(site=cleared, stage=Stage.VACATED, on=date(2022, 3, 4), user=None)
    services.event_record(enterprise=EnterpriseFactory(site=waiting), stage=Stage.NEGOTIATING, on=date(2022, 3, 1),
                          user=None)
    return area


def test_the_stored_rows_are_those_a_rebuild_from_nothing_gives(area):
    kept = {row.pk: [getattr(row, name) for name in SiteProgress.FIGURES] for row in SiteProgress.objects.all()}

    SiteProgress.objects.all().delete()
    site_progress.rebuild()

    assert {row.pk: [getattr(row, name) for name in SiteProgress.FIGURES] for row in SiteProgress.objects.all()} == kept
    row = SiteProgress.objects.get(site=area)
    # The area waits on its parcel still in talks; it holds two parcels, one vacated with its 20.43 亩.
    assert (row.stage, row.enterprise_count, row.parcel_count, row.parcels_vacated_count, row.vacated_area_mu) == (
        Stage.NEGOTIATING, 2, 2, 1, Decimal("20.43"))
    assert (row.sort_deadline, row.vacated_on) == (date(2022, 6, 30), None)
    assert SiteProgress.objects.get(site__name="甲区一号").vacated_on == date(2022, 3, 4)


def test_verify_rollups_finds_a_row_changed_behind_the_services_back_and_repairs_it(area):
    SiteProgress.objects.filter(site=area).update(stage=Stage.CLOSED, parcels_vacated_count=2)
    SiteProgress.objects.filter(site__name="甲区二号").delete()

    [changed, missing] = site_progress.differences()
    assert (changed["site"], missing["site"]) == (area.pk, Site.objects.get(name="甲区二号").pk)
    assert missing["stored"] is None
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 in the sites' progress"):
        call_command("verify_rollups", stdout=out)
    assert f"site {area.pk}: progress" in out.getvalue()

    call_command("verify_rollups", "--repair", stdout=io.StringIO())

    assert site_progress.differences() == []
    assert SiteProgress.objects.get(site=area).stage == Stage.NEGOTIATING
