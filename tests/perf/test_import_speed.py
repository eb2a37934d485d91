"""The ledger import's fast paths: bench_import against plain resources, the rollup after bulk writes, COPY, calamine."""

import io
import json
import zipfile
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from clearance import ledger
from clearance.derived import rollup
from clearance.choices import Stage
from clearance.ledger import LedgerError, ledger_import, read_ledger, read_workbook
from perf.management.commands.bench_import import bench_rows, resource_datasets, towns_ensure
from clearance.models import Enterprise, Event, MonthlyFigure, Site

from tests.factories import EnterpriseFactory, TownFactory, close_out
from tests.ledger.test_import import enterprise_row, equivalence_ledger, site_row, write_xlsx

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    """Rows of every table of the app, history tables included."""
    return {model.__name__: model.objects.count() for model in apps.get_app_config("clearance").get_models()}


def bench(*args) -> str:
    out = io.StringIO()
    call_command("bench_import", *args, stdout=out)
    return out.getvalue()


# bench_import ----------------------------------------------------------------------------------------


def test_bench_import_compare_json_reports_both_timings_and_writes_nothing():
    before = row_counts()

    results = json.loads(bench("--enterprises", "40", "--compare", "--compare-at", "16", "--json"))

    assert row_counts() == before
    assert (results["enterprises"], results["sites"], results["events"]) == (40, 5, 100)
    assert results["import_seconds"] > 0 and results["reimport_seconds"] > 0 and results["peak_mb"] > 0
    # Timed on 16 enterprises and on 8 for the linearity check, then scaled to 40.
    assert results["import_export_rows_measured"] == 16
    # Both times are printed to the millisecond: the scaled one may differ from 2.5 × the printed one by that rounding.
    assert results["import_export_seconds"] == pytest.approx(
        results["import_export_measured_seconds"] * 40 / 16, abs=0.0005 * 40 / 16 + 0.0005
    )
    assert results["import_export_linearity"] > 0
    assert results["speedup"] == pytest.approx(results["import_export_seconds"] / results["import_seconds"], abs=0.1)
    assert results["speedup"] > 0


def test_bench_import_report_says_what_each_timing_includes():
    lines = bench("--enterprises", "16", "--compare").splitlines()

    assert lines[0].startswith("enterprises=16 rows=18 events=40 seconds=")
    assert lines[1:4] == ["地块：新增 2，更新 0，未变 0", "企业：新增 16，更新 0，未变 0", "进度记录：新增 40，更新 0，未变 0"]
    assert lines[4].startswith("import_export_seconds=")
    assert "every rule of DOMAIN.md checked" in lines[5]
    assert "one save() per row" in lines[6]
    assert len(lines) == 7  # measured at full size: nothing scaled


def test_the_plain_resources_write_the_same_rows_as_the_ledger_import(tmp_path):
    site_rows, enterprise_rows = bench_rows(16)
    towns_ensure()

    def contents():
        return (
            sorted(Site.objects.values_list("town__name", "name", "area_mu", "land_use", "parent")),
            sorted(Enterprise.objects.values_list("town__name", "name", "site__name", "credit_code", "is_high_consumption",
                                                  "disposal", "annual_energy_tce", "energy_freed_tce")),
            sorted(Event.objects.values_list("enterprise__name", "site__name", "stage", "occurred_on")),
        )

    for resource_class, dataset in resource_datasets(site_rows, enterprise_rows):
        result = resource_class().import_data(dataset, dry_run=False, use_transactions=True)
        assert not result.has_errors() and not result.has_validation_errors()
    plain = contents()
    Event.objects.all().delete()
    Enterprise.objects.all().delete()
    Site.objects.all().delete()
    ledger_import(path=write_xlsx(tmp_path, site_rows, enterprise_rows))

    assert contents() == plain
    assert (len(plain[0]), len(plain[1]), len(plain[2])) == (2, 16, 40)


# The monthly rollup after the set-based writes ------------------------------------------------------------


def test_the_rollup_agrees_with_the_events_after_an_import_and_a_corrected_reimport(tmp_path, django_user_model):
    user = django_user_model.objects.create_user("importer")
    caoqiao, linda = TownFactory(name="曹桥街道"), TownFactory(name="林埭镇")
    # A third town, written through the services before the import: its rollup rows must stay as they are.
    elsewhere = EnterpriseFactory(site__town=TownFactory(name="新埭镇"), energy_freed_tce=Decimal("7.5"))
    close_out(elsewhere, signed=date(2022, 2, 1), vacated=date(2022, 2, 2), closed=date(2022, 2, 3))
    elsewhere_rows = list(MonthlyFigure.objects.filter(town=elsewhere.town).values())
    assert [(row["year"], row["month"]) for row in elsewhere_rows] == [(2022, 2)]
    (tmp_path / "first").mkdir(), (tmp_path / "corrected").mkdir()
    first = write_xlsx(tmp_path / "first", *equivalence_ledger())
    corrected = write_xlsx(tmp_path / "corrected", *equivalence_ledger(changed=True))

    ledger_import(sheets=read_ledger(first), user=user)
    assert rollup.differences() == []
    after_first = rollup.stored()
    ledger_import(sheets=read_ledger(corrected), user=user, dry_run=True)
    assert rollup.stored() == after_first  # a dry run writes nothing, the rollup included
    ledger_import(sheets=read_ledger(corrected), user=user)

    assert rollup.differences() == []
    assert {town for town, _year, _month in after_first} == {caoqiao.pk, linda.pk, elsewhere.town_id}
    assert rollup.stored() != after_first  # dates moved, energy and areas changed
    assert list(MonthlyFigure.objects.filter(town=elsewhere.town).values()) == elsewhere_rows


def test_the_rollup_agrees_after_an_unchanged_reimport_that_writes_nothing(tmp_path):
    TownFactory(name="曹桥街道"), TownFactory(name="林埭镇")
    file = write_xlsx(tmp_path, *equivalence_ledger())
    ledger_import(path=file)
    stored, counts = rollup.stored(), row_counts()

    ledger_import(path=file)

    assert (rollup.stored(), row_counts()) == (stored, counts)
    assert rollup.differences() == []


# What COPY writes --------------------------------------------------------------------------------------


def test_tabs_newlines_and_backslashes_in_cells_are_stored_as_given(tmp_path):
    TownFactory(name="曹桥街道")
    name, land_use = "甲\t乙\\丙\n丁厂", "工业\\N\t用地"  # XML turns \r into \n: no cell keeps one
    file = write_xlsx(tmp_path, [site_row(land_use=land_use)], [enterprise_row(name=name)])

    ledger_import(path=file)

    assert Site.objects.get().land_use == land_use
    assert Enterprise.objects.get().name == name
    assert Enterprise.history.get().name == name
    assert Event.objects.filter(enterprise__name=name).count() == 2


def test_history_rows_are_attributed_to_the_importer_with_the_rows_values(tmp_path, django_user_model):
    user = django_user_model.objects.create_user("importer")
    TownFactory(name="曹桥街道")
    file = write_xlsx(tmp_path, [site_row()], [enterprise_row(freed="80.5", signed="2022-03-01", vacated="2022-03-20")])

    ledger_import(path=file, user=user)

    event = Event.objects.get(stage=Stage.VACATED)
    (history,) = event.history.all()
    assert (history.history_type, history.history_user, history.occurred_on, history.recorded_by) == (
        "+", user, date(2022, 3, 20), user)
    assert history.recorded_at == event.recorded_at is not None
    assert Enterprise.history.get().energy_freed_tce == Decimal("80.50")
    assert Site.history.get().history_user == user


# Reading .xlsx -----------------------------------------------------------------------------------------

CELLS = [None, "", " 曹桥街道 ", "a\nb", 0, 7, -3, 20.43, 0.1 + 0.2, 1e20, 10 ** 15, True, False, date(2022, 3, 1),
         datetime(2022, 3, 1, 12, 5), datetime(2022, 3, 1), time(8, 30), "2022-03-01", "#N/A", Decimal("12.34")]


@pytest.mark.parametrize("write_only", [False, True], ids=["excel-like", "write-only"])
def test_the_fast_reader_reads_every_kind_of_cell_as_openpyxl_does(write_only):
    workbook = Workbook(write_only=write_only)
    if not write_only:
        workbook.remove(workbook.active)
    for sheet in (ledger.SITES_SHEET, ledger.ENTERPRISES_SHEET):
        rows = workbook.create_sheet(sheet)
        rows.append([f"列{index}" for index in range(len(CELLS))])
        rows.append(CELLS)
        rows.append([])
        rows.append(list(reversed(CELLS)))
    buffer = io.BytesIO()
    workbook.save(buffer)

    fast = read_workbook(io.BytesIO(buffer.getvalue()), name="台账.xlsx")

    reference = load_workbook(io.BytesIO(buffer.getvalue()), read_only=True, data_only=True)
    for sheet in (ledger.SITES_SHEET, ledger.ENTERPRISES_SHEET):
        expected = ledger.rows_with_header(reference[sheet].iter_rows(values_only=True))
        assert [(row.number, row.values) for row in fast[sheet]] == [(row.number, row.values) for row in expected]


def test_a_cell_showing_an_excel_error_is_reported_not_read_as_empty(tmp_path):
    TownFactory(name="曹桥街道")
    file = write_xlsx(tmp_path, [site_row()], [enterprise_row(signed=987654, vacated="")])
    # Excel stores a formula's error result as a cell of type "e"; openpyxl cannot write one, so it is put in by hand.
    number, error = b't="n"><v>987654</v>', b't="e"><f>1/0</f><v>#DIV/0!</v>'
    with zipfile.ZipFile(file) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert sum(data.count(number) for data in members.values()) == 1
    members = {name: data.replace(number, error) for name, data in members.items()}
    with zipfile.ZipFile(file, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)

    with pytest.raises(LedgerError) as refused:
        ledger_import(path=file)

    assert [str(problem) for problem in refused.value.problems] == ["企业 第 2 行 签约日期：“#DIV/0!”不是日期：请写作 YYYY-MM-DD、YYYY/M/D、YYYY.M.D 或 YYYY年M月D日。"]
    assert Enterprise.objects.count() == 0
