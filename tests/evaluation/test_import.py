"""import_indicators: the 亩均数据 sheet of DOMAIN.md, all or nothing, every bad row named, idempotent, with history."""

import csv
import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from openpyxl import Workbook

from clearance.indicators import COLUMNS, SHEET
from clearance.models import EvaluatedEnterprise, IndicatorRow
from clearance.validators import credit_code_check_character

pytestmark = pytest.mark.django_db

CODE = "91330482MA2B8XXXX" + credit_code_check_character("91330482MA2B8XXXX")
OTHER_CODE = "91330482MA2B8YYYY" + credit_code_check_character("91330482MA2B8YYYY")


def line(name="平湖某纺织公司", code="", town="曹桥街道", size="规上", year=2022, land="20", tax="100", value_added="500",
         revenue="2000", energy="400", emission="30", rd="60", employees="80", power="150", exempt=""):
    """One row of the sheet, in the column order of DOMAIN.md."""
    return [year, name, code, town, size, land, tax, value_added, revenue, energy, emission, rd, employees, power, exempt]


def write_xlsx(path, rows, *, header=COLUMNS, sheet=SHEET):
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(list(header))
    for row in rows:
        worksheet.append(row)
    file = path / "亩均数据.xlsx"
    workbook.save(file)
    return file


def write_csv(path, rows, *, header=COLUMNS):
    file = path / "亩均数据.csv"
    with file.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return file


def run_import(file, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_indicators", str(file), *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    return status, out.getvalue(), err.getvalue()


def row_counts():
    return {model.__name__: model.objects.count() for model in apps.get_app_config("clearance").get_models()
            if model.__name__ not in {"BackgroundJob", "JobFile"}}


GOOD_ROWS = [
    line(),
    line(name="平湖某五金厂", code=CODE, land="10", tax="5", value_added="40", employees="12"),
    line(name="平湖某小作坊", town="林埭镇", size="规下", land="3", tax="2", value_added="", revenue="", energy="",
         emission="", rd="", employees="", power="4"),
    line(name="平湖某水厂", town="林埭镇", size="规下", land="8", tax="1", power="2", exempt="是"),
]


def test_a_good_sheet_is_imported_and_scored(tmp_path, ledger_towns):
    status, out, err = run_import(write_xlsx(tmp_path, GOOD_ROWS))
    assert status == 0, err
    rows = {row.enterprise.name: row for row in IndicatorRow.objects.select_related("enterprise")}
    assert len(rows) == 4
    assert rows["平湖某五金厂"].enterprise.credit_code == CODE
    assert rows["平湖某纺织公司"].tax_per_mu == pytest.approx(5.0)  # 100 ÷ 20
    assert rows["平湖某纺织公司"].rd_intensity_pct == pytest.approx(3.0)  # 60 ÷ 2000 × 100
    assert rows["平湖某小作坊"].value_added_per_mu is None  # an empty figure is null, not 0
    assert rows["平湖某水厂"].exempt and rows["平湖某水厂"].grade == ""
    # Each size class is scored within itself: two 规上 rows, and one graded 规下 row.
    assert {rows[name].grade for name in ("平湖某纺织公司", "平湖某五金厂")} <= {"A", "B", "C", "D"}
    assert rows["平湖某纺织公司"].position == 1 and rows["平湖某纺织公司"].graded_count == 2
    assert rows["平湖某小作坊"].graded_count == 1
    assert "2022 规上" in out and "2022 规下" in out


def test_a_csv_file_with_a_bom_is_imported(tmp_path, ledger_towns):
    status, _out, err = run_import(write_csv(tmp_path, GOOD_ROWS))
    assert status == 0, err
    assert IndicatorRow.objects.count() == 4


def test_importing_the_same_sheet_twice_changes_nothing_and_adds_no_history(tmp_path, ledger_towns):
    file = write_xlsx(tmp_path, GOOD_ROWS)
    run_import(file)
    before = row_counts()
    totals = dict(IndicatorRow.objects.values_list("pk", "total"))
    status, out, _err = run_import(file)
    assert status == 0
    assert row_counts() == before
    assert dict(IndicatorRow.objects.values_list("pk", "total")) == totals
    assert "新增 0，更新 0，未变 4" in out or "0 created, 0 changed, 4 unchanged" in out


def test_a_corrected_sheet_updates_in_place_with_history_for_the_importer(tmp_path, ledger_towns, django_user_model):
    importer = django_user_model.objects.create_user("统计员", password="x")
    run_import(write_xlsx(tmp_path, GOOD_ROWS))
    row = IndicatorRow.objects.get(enterprise__name="平湖某纺织公司")
    other = IndicatorRow.objects.get(enterprise__name="平湖某五金厂")
    corrected = [line(tax="300"), *GOOD_ROWS[1:]]
    status, _out, err = run_import(write_xlsx(tmp_path, corrected), "--user", "统计员")
    assert status == 0, err
    row.refresh_from_db()
    assert row.tax_wan == Decimal("300") and row.tax_per_mu == pytest.approx(15.0)
    assert row.version == 2
    # The mean of tax per mu rose from (5 + 0.5)/2 to (15 + 0.5)/2: the other 规上 enterprise scores less.
    old_total = other.total
    other.refresh_from_db()
    assert other.total < old_total
    history = list(row.history.order_by("history_date"))
    assert [entry.tax_wan for entry in history] == [Decimal("100"), Decimal("300")]
    assert history[-1].history_user == importer
    assert IndicatorRow.objects.count() == 4  # in place, not a new row


def test_the_credit_code_is_the_key_a_renamed_enterprise_keeps_its_rows(tmp_path, ledger_towns):
    run_import(write_xlsx(tmp_path, GOOD_ROWS))
    renamed = [line(name="平湖某五金科技公司", code=CODE, land="10", tax="5", value_added="40", employees="12", year=2023)]
    status, _out, err = run_import(write_xlsx(tmp_path, renamed))
    assert status == 0, err
    enterprise = EvaluatedEnterprise.objects.get(credit_code=CODE)
    assert enterprise.name == "平湖某五金科技公司"
    assert sorted(enterprise.indicator_rows.values_list("year", flat=True)) == [2022, 2023]
    assert enterprise.history.count() == 2


def test_a_code_given_later_is_attached_to_the_enterprise_known_by_name(tmp_path, ledger_towns):
    run_import(write_xlsx(tmp_path, [line()]))
    status, _out, err = run_import(write_xlsx(tmp_path, [line(code=CODE, year=2023)]))
    assert status == 0, err
    assert EvaluatedEnterprise.objects.get().credit_code == CODE
    assert IndicatorRow.objects.count() == 2


def test_dry_run_reports_but_writes_nothing(tmp_path, ledger_towns):
    before = row_counts()
    status, out, _err = run_import(write_xlsx(tmp_path, GOOD_ROWS), "--dry-run")
    assert status == 0
    assert row_counts() == before
    assert "4" in out


BAD_ROWS = {
    "year not a number": (line(year="去年"), "年度", "2000"),
    "year out of range": (line(year=1999), "年度", "2000"),
    "empty name": (line(name=""), "企业名称", "名称为空"),
    "unknown town": (line(town="乍浦镇"), "镇街道", "乍浦镇"),
    "unknown size class": (line(size="中型"), "规模", "规上"),
    "figure not a number": (line(tax="一百"), "税收(万元)", "一百"),
    "negative land": (line(land="-3"), "用地面积(亩)", "负"),
    "bad credit code": (line(code="123"), "统一社会信用代码", ""),
    "bad exemption": (line(exempt="也许"), "不定等级", "是"),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_each_bad_row_is_named_exit_status_1_and_nothing_changes(tmp_path, ledger_towns, case):
    bad, column, words = BAD_ROWS[case]
    before = row_counts()
    status, _out, err = run_import(write_xlsx(tmp_path, [line(name="好企业"), bad]))
    assert status == 1
    assert row_counts() == before
    problem_lines = [text for text in err.splitlines() if text.startswith(f"{SHEET} 第")]
    assert len(problem_lines) == 1, err
    assert f"{SHEET} 第 3 行 {column}" in problem_lines[0] and words in problem_lines[0]


def test_a_repeated_enterprise_and_year_is_named_with_the_first_row(tmp_path, ledger_towns):
    status, _out, err = run_import(write_xlsx(tmp_path, [line(), line(tax="5")]))
    assert status == 1
    assert "第 3 行" in err and "第 2 行" in err
    assert IndicatorRow.objects.count() == 0


def test_a_name_taken_by_another_code_is_refused(tmp_path, ledger_towns):
    run_import(write_xlsx(tmp_path, [line(code=CODE)]))
    status, _out, err = run_import(write_xlsx(tmp_path, [line(code=OTHER_CODE, year=2023)]))
    assert status == 1
    assert CODE in err and "统一社会信用代码" in err
    assert IndicatorRow.objects.count() == 1


def test_a_missing_column_is_named_on_the_header_row(tmp_path, ledger_towns):
    header = [column for column in COLUMNS if column != "排放当量(吨)"]
    status, _out, err = run_import(write_xlsx(tmp_path, [line()[:10] + line()[11:]], header=header))
    assert status == 1
    assert f"{SHEET} 表头 排放当量(吨)" in err or "排放当量(吨)" in err
    assert IndicatorRow.objects.count() == 0


def test_every_bad_row_is_reported_not_only_the_first(tmp_path, ledger_towns):
    status, _out, err = run_import(write_xlsx(tmp_path, [line(town="无此镇"), line(name="乙", tax="x"), line(name="丙", size="大")]))
    assert status == 1
    assert all(f"第 {row} 行" in err for row in (2, 3, 4))


def test_a_workbook_without_the_sheet_is_refused(tmp_path, ledger_towns):
    status, _out, err = run_import(write_xlsx(tmp_path, [line()], sheet="Sheet1"))
    assert status == 1 and SHEET in err


def test_headers_match_whatever_their_spaces_and_full_width_brackets(tmp_path, ledger_towns):
    header = [column.replace("(", "（").replace(")", "）") for column in COLUMNS]
    header[5] = "用地面积 （亩）"
    status, _out, err = run_import(write_xlsx(tmp_path, [line()], header=header))
    assert status == 0, err
    assert IndicatorRow.objects.get().land_mu == Decimal("20")
