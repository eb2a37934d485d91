"""The order of the evaluation's lists where totals tie (by the enterprise's name, then the row, page after page), and
the copy of the enterprise's town and name on its rows that gives it (derived.row_copies): kept by every write of a
name or a row, filled by the migration, checked by verify_rollups."""

import importlib
import io
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from clearance.choices import SizeClass
from clearance.derived import evaluation_rollup, row_copies
from clearance.derived.scores import previous_grades_refresh
from clearance.models import EvaluatedEnterprise, IndicatorRow
from clearance.services.evaluation import (
    evaluated_enterprise_update,
    evaluated_enterprise_upsert,
    indicator_row_upsert,
    scores_recompute,
)
from tests.evaluation.test_import import CODE, line, run_import, write_xlsx

pytestmark = pytest.mark.django_db

CARD_LINK = re.compile(r'href="/evaluation/enterprises/(\d+)/"')
# Sixty enterprises whose names are not in the order they are created in (the row's pk).
COUNT = 60


def tied_name(number: int) -> str:
    return f"并列企业{number * 37 % COUNT:02d}"


def add_tied(world, year=2022) -> list[EvaluatedEnterprise]:
    """COUNT enterprises of the world's town with the same figures (so the same total), and one of the other town named
    as one of them: the row decides between those two."""
    created = []
    for number in range(COUNT):
        created.append(evaluated_enterprise_upsert(town=world.town, name=tied_name(number)))
    created.append(evaluated_enterprise_upsert(town=world.other_town, name=tied_name(5)))
    for enterprise in created:
        indicator_row_upsert(enterprise=enterprise, year=year, size=SizeClass.BELOW, rescore=False,
                             land_mu=Decimal(10), tax_wan=Decimal(50), power_10k_kwh=Decimal(20))
    scores_recompute(year=year)
    return created


def by_name_then_row(year=2022) -> list[int]:
    """The enterprises of YEAR's rows by total (best first), the enterprise's name, the row: as a user reads them."""
    rows = IndicatorRow.objects.filter(year=year).select_related("enterprise")
    return [row.enterprise_id for row in sorted(rows, key=lambda row: (-row.total, row.enterprise.name, row.pk))]


def listed_ids(client, url, **query) -> list[int]:
    response = client.get(url, query)
    assert response.status_code == 200
    return [int(pk) for pk in CARD_LINK.findall(response.content.decode())]


def test_tied_totals_are_listed_by_name_then_row_and_pages_neither_repeat_nor_skip(client, world):
    add_tied(world)
    assert IndicatorRow.objects.filter(year=2022).values("total").distinct().count() == 1
    client.force_login(world.leader)

    first = listed_ids(client, reverse("clearance:evaluation"))
    second = listed_ids(client, reverse("clearance:evaluation"), page=2)

    assert len(first) == 50
    assert first + second == by_name_then_row()
    # Sorted by score, lowest first, ties keep the same order; by name, the same name is two rows in pk order.
    assert listed_ids(client, reverse("clearance:evaluation"), sort="total") == by_name_then_row()[:50]
    twins = EvaluatedEnterprise.objects.filter(name=tied_name(5)).order_by("pk").values_list("pk", flat=True)
    by_name = listed_ids(client, reverse("clearance:evaluation"), sort="name")
    assert by_name.index(twins[0]) + 1 == by_name.index(twins[1])


def test_a_town_page_lists_ties_by_name_then_row(client, world):
    add_tied(world)
    client.force_login(world.leader)

    url = reverse("clearance:evaluation_town", args=[world.town.pk])
    ids = listed_ids(client, url) + listed_ids(client, url, page=2)

    in_town = set(EvaluatedEnterprise.objects.filter(town=world.town).values_list("pk", flat=True))
    assert ids == [pk for pk in by_name_then_row() if pk in in_town]


def test_tied_candidates_are_listed_by_town_then_name_then_row_across_pages(client, world):
    created = add_tied(world)
    # Every one a candidate (class D) with the same total, as the scoring of a year of equals could leave them.
    IndicatorRow.objects.filter(year=2022).update(grade="D", total=Decimal(1))
    previous_grades_refresh(year=2022)
    evaluation_rollup.refresh(year=2022)
    client.force_login(world.leader)

    url = reverse("clearance:evaluation_candidates")
    ids = listed_ids(client, url) + listed_ids(client, url, page=2)

    order = {town.pk: (town.display_order, town.name) for town in (world.town, world.other_town)}
    expected = sorted(created, key=lambda enterprise: (order[enterprise.town_id], enterprise.name, enterprise.pk))
    assert ids == [enterprise.pk for enterprise in expected]
    assert listed_ids(client, url, town=world.town.pk) == [enterprise.pk for enterprise in expected
                                                          if enterprise.town_id == world.town.pk][:50]


def test_a_renamed_enterprise_takes_its_place_by_its_new_name(client, world, django_user_model):
    created = add_tied(world)
    last = max(created[:COUNT], key=lambda enterprise: enterprise.name)
    client.force_login(world.leader)
    assert listed_ids(client, reverse("clearance:evaluation"))[0] != last.pk

    evaluated_enterprise_update(enterprise=last, expected_version=last.version, user=world.admin, name="并列企业00前")

    assert set(IndicatorRow.objects.filter(enterprise=last).values_list("enterprise_name", flat=True)) == {"并列企业00前"}
    assert listed_ids(client, reverse("clearance:evaluation"))[:2][1] == last.pk
    assert listed_ids(client, reverse("clearance:evaluation"), name="00前") == [last.pk]
    assert row_copies.differences() == []


def test_an_enterprise_moved_to_another_town_takes_its_rows_there(world):
    enterprise = add_tied(world)[0]

    evaluated_enterprise_update(enterprise=enterprise, expected_version=enterprise.version, user=world.admin,
                                town=world.other_town)

    assert set(IndicatorRow.objects.filter(enterprise=enterprise).values_list("town_id", "enterprise_name")) == {
        (world.other_town.pk, enterprise.name)}
    assert row_copies.differences() == []


def test_the_import_writes_the_name_on_new_rows_and_a_rename_on_every_row(tmp_path, ledger_towns):
    status, _out, err = run_import(write_xlsx(tmp_path, [line(name="平湖某纺织公司", code=CODE)]))
    assert status == 0, err
    assert list(IndicatorRow.objects.values_list("enterprise_name", flat=True)) == ["平湖某纺织公司"]

    status, _out, err = run_import(write_xlsx(tmp_path, [line(name="平湖某五金科技公司", code=CODE, year=2023)]))

    assert status == 0, err
    assert sorted(IndicatorRow.objects.values_list("year", "enterprise_name")) == [
        (2022, "平湖某五金科技公司"), (2023, "平湖某五金科技公司")]
    assert row_copies.differences() == []


def test_the_migration_fills_the_name_from_the_enterprises(world):
    created = add_tied(world)
    IndicatorRow.objects.update(enterprise_name="")
    migration = importlib.import_module("clearance.migrations.0019_indicator_row_enterprise_name")

    migration.fill(apps, None)

    names = dict(IndicatorRow.objects.values_list("enterprise_id", "enterprise_name"))
    assert names == {enterprise.pk: enterprise.name for enterprise in created}


def test_verify_rollups_finds_a_stale_copy_and_repairs_it(world):
    enterprise = add_tied(world)[0]
    row = IndicatorRow.objects.get(enterprise=enterprise)
    IndicatorRow.objects.filter(pk=row.pk).update(enterprise_name="旧名", town_id=world.other_town.pk)

    out = io.StringIO()
    with pytest.raises(CommandError, match="1 in the rows' copies of their enterprise"):
        call_command("verify_rollups", stdout=out)
    assert f"indicator row {row.pk}: town and name ({world.other_town.pk}, '旧名') stored" in out.getvalue()

    call_command("verify_rollups", "--repair", stdout=io.StringIO())

    assert IndicatorRow.objects.filter(pk=row.pk).values_list("town_id", "enterprise_name").get() == (
        world.town.pk, enterprise.name)
    call_command("verify_rollups", stdout=io.StringIO())
