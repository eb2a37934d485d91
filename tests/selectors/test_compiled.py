"""Read queries compiled once (clearance/selectors/compiled.py): each gives exactly the rows its queryset gives, for
every period and town, and a second call with the same arguments compiles nothing."""

import inspect
import itertools
from datetime import date
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db.models import Model
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

# Every module with a compiled read, so that the registry is complete.
from clearance import permissions  # noqa: F401
from clearance.selectors import compiled, economy, evaluation, figures, groups, periods, register, reuse, summary  # noqa: F401
from clearance.models import AttackGroup, ReportingPeriod, Town
from clearance.permissions import LEADERS_GROUP, OFFICIALS_GROUP
from clearance.selectors.compiled import COMPILED_READS, compiled_read

# The demo's campaign is 2022 (January to August); 2021 has targets only, 2019 nothing at all.
ARGUMENTS = {
    "year": (2022, 2021, 2019),
    "month": (1, 8, 12),
    "period_end": (date(2022, 1, 31), date(2022, 8, 31), date(2030, 12, 31)),
    "years": ((2022, 2021), (2021, 2020)),
    "name": (LEADERS_GROUP, OFFICIALS_GROUP),
}


def _town_ids():
    # A town with figures, one with a pairing and its attack groups, and an id no town has.
    with_groups = AttackGroup.objects.filter(task_force__pairing__ended_on__isnull=True).values_list(
        "task_force__pairing__town_id", flat=True).first()
    return (Town.objects.order_by("pk").values_list("pk", flat=True).first(), with_groups, 987654)


def _user_ids():
    # The demo's leader and official, and an id no user has.
    users = get_user_model().objects.filter(username__in=("leader", "official")).order_by("username")
    return (*users.values_list("pk", flat=True), 987654)


def _calls(read, town_ids, user_ids):
    parameters = inspect.signature(read.queryset).parameters
    names = list(parameters)
    choices = {**ARGUMENTS, "town_id": town_ids, "user_id": user_ids}
    if "town_id" in parameters and "None" in str(parameters["town_id"].annotation):
        # A read for one town or, given None, every town: both paths are held to the queryset.
        choices["town_id"] = (*town_ids, None)
    missing = [name for name in names if name not in choices]
    assert not missing, f"{read.__qualname__}: give test_compiled.ARGUMENTS values for {missing}"
    for values in itertools.product(*(choices[name] for name in names)):
        yield dict(zip(names, values))


def _comparable(rows, queryset):
    """Rows as plain values: an instance as its fields' values and its annotations."""
    annotations = list(queryset.query.annotation_select)
    return [
        (type(row), row.pk, {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields},
         {name: getattr(row, name) for name in annotations}, row._state.adding, row._state.db)
        if isinstance(row, Model) else row
        for row in rows
    ]


@pytest.mark.usefixtures("demo_db")
def test_every_compiled_read_gives_its_querysets_rows(db):
    assert len(COMPILED_READS) >= 15
    town_ids, user_ids = _town_ids(), _user_ids()
    empty = []
    for read in COMPILED_READS:
        checked_rows = 0
        for arguments in _calls(read, town_ids, user_ids):
            expected = list(read.queryset(**arguments))
            first, again = read(**arguments), read(**arguments)
            shown = f"{read.__module__}.{read.__qualname__}({arguments})"
            assert _comparable(first, read.queryset(**arguments)) == _comparable(expected, read.queryset(**arguments)), shown
            assert again == first or _comparable(again, read.queryset(**arguments)) == _comparable(first, read.queryset(
                **arguments)), shown
            checked_rows += len(expected)
        if not checked_rows:
            empty.append(read.__qualname__)
    # The demo gives every read something to read, not only empty lists.
    assert not empty


@pytest.mark.usefixtures("demo_db")
def test_the_same_arguments_compile_once_and_still_read_the_data(db):
    compiles = mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql)
    figures.town_figures(year=2022, month=7)
    with compiles as as_sql, CaptureQueriesContext(connection) as queries:
        before = figures.town_figures(year=2022, month=7)
    assert as_sql.call_count == 0 and len(queries) == 1
    # The rows are read afresh: a change shows at once.
    town_id = next(iter(before))
    figures_row = figures.MonthlyFigure.objects.filter(town_id=town_id, year=2022, month__lte=7).first()
    figures_row.signed += 5
    figures_row.save(update_fields=["signed"])
    assert figures.town_figures(year=2022, month=7)[town_id]["signed"] == before[town_id]["signed"] + 5
    # Other arguments are other SQL: August is not July.
    assert figures.town_figures(year=2022, month=8) == {
        row.pop("town_id"): figures.to_cents(row) for row in figures._town_sums.queryset(year=2022, month=8)
    }


@pytest.mark.usefixtures("demo_db")
def test_instances_are_as_the_orm_makes_them(db):
    ReportingPeriod.objects.update_or_create(year=2022, month=7, defaults={"closed": True})
    period = periods.closed_period(year=2022, month=7)
    assert period == ReportingPeriod.objects.get(year=2022, month=7)
    assert period.closed and not period._state.adding and period._state.db == "default"
    assert periods.closed_period(year=2022, month=12) is None
    towns = figures.towns_in_order()
    assert [town.name for town in towns] == list(Town.objects.order_by("display_order", "name").values_list("name", flat=True))
    # A town read this way saves as any other.
    towns[0].display_order = 99
    towns[0].save(update_fields=["display_order"])
    assert Town.objects.get(pk=towns[0].pk).display_order == 99


def test_a_queryset_with_related_rows_is_refused(db):
    @compiled_read(AttackGroup)
    def with_task_force():
        return AttackGroup.objects.select_related("task_force")

    COMPILED_READS.remove(with_task_force)
    with pytest.raises(TypeError, match="select_related"):
        with_task_force()


def test_a_connection_keeps_at_most_max_entries_the_least_recently_used_forgotten(db, monkeypatch):
    monkeypatch.setattr(compiled, "MAX_ENTRIES", 3)
    for year in range(2000, 2004):
        summary._target_rows(year=year)
    summary._target_rows(year=2001)  # used again: now the most recent
    figures.town_names()
    kept = connections["default"].__dict__["compiled_reads"]
    assert list(kept) == [(summary._target_rows.queryset, ("year", 2003)), (summary._target_rows.queryset, ("year", 2001)),
                          (figures.town_names.queryset,)]
