"""Importing the economy: a good file, bad rows named one line each with nothing written, re-import, dry run."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from clearance.choices import Region
from clearance.economy import COLUMNS, SHEET, economy_import, economy_template
from clearance.ledger import LedgerError
from clearance.models import EconomyFigure
from clearance.spreadsheets import xlsx_bytes

from tests.stability.economy_helpers import month

pytestmark = pytest.mark.django_db

HEADER = "地区,年,月,规上工业增加值增速（%）, 制造业投资(亿元) ,制造业投资增速(%),规上工业企业用工人数(人)"
GOOD = [
    "平湖,2022,3,7.2,25.8,31.5,111800",
    "平湖,2022,8,6.5,71.7,30,\"115,000\"",
    "嘉兴市,2022年,8月,3.1,597.3,18.6,1078900",
    "嘉兴,2022,7,,,,1074100",
]


def csv_file(tmp_path, lines, name="经济.csv"):
    path = tmp_path / name
    path.write_text("\ufeff" + "\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def stored() -> dict:
    return {(figure.region, figure.month): (figure.value_added_growth_pct, figure.manufacturing_investment_yi,
                                            figure.manufacturing_investment_growth_pct, figure.employment)
            for figure in EconomyFigure.objects.filter(year=2022)}


def test_a_good_file_records_each_month_and_again_changes_nothing(tmp_path, admin_user):
    path = csv_file(tmp_path, GOOD)

    report = economy_import(path=path, user=admin_user)

    assert (report.created, report.changed, report.unchanged) == (4, 0, 0)
    assert stored() == {
        ("pinghu", 3): (Decimal("7.2"), Decimal("25.8"), Decimal("31.5"), 111800),
        ("pinghu", 8): (Decimal("6.5"), Decimal("71.7"), Decimal("30"), 115000),
        ("jiaxing", 8): (Decimal("3.1"), Decimal("597.3"), Decimal("18.6"), 1078900),
        ("jiaxing", 7): (None, None, None, 1074100),
    }
    history = EconomyFigure.history.count()
    again = economy_import(path=path, user=admin_user)
    assert (again.created, again.changed, again.unchanged, EconomyFigure.history.count()) == (0, 0, 4, history)


def test_an_empty_cell_leaves_the_stored_figure_and_a_changed_one_is_updated(tmp_path):
    month(Region.PINGHU, 2022, 8, growth="6.4", investment="70", employment=114000)

    report = economy_import(path=csv_file(tmp_path, ["平湖,2022,8,6.5,,,"]))

    assert (report.created, report.changed) == (0, 1)
    figure = EconomyFigure.objects.get(region=Region.PINGHU, year=2022, month=8)
    assert (figure.value_added_growth_pct, figure.manufacturing_investment_yi, figure.employment, figure.version) == (
        Decimal("6.5"), Decimal("70"), 114000, 2)


def test_bad_rows_are_named_one_line_each_and_nothing_is_written(tmp_path):
    lines = [
        "平湖,2022,3,7.2,25.8,31.5,111800",
        "上海,2022,3,1,1,1,1",
        "平湖,2022,13,1,1,1,1",
        "嘉兴,2022,4,abc,1,1,1",
        "嘉兴,2022,5,1,-3,1,1",
        "嘉兴,2022,6,1,1,1,12.5",
        "平湖,2022,3,7.2,25.8,31.5,111800",
        "嘉兴,2022,7,-120,1,1,1",
        "嘉兴,2022,9,1.234,1,1,1",
    ]

    with pytest.raises(LedgerError) as refused:
        economy_import(path=csv_file(tmp_path, lines))

    assert [str(problem) for problem in refused.value.problems] == [
        "经济数据 第 3 行 地区：地区须为平湖、嘉兴，不能是“上海”。",
        "经济数据 第 4 行 月：请填写 1 至 12 之间的整数。",
        "经济数据 第 5 行 规上工业增加值增速(%)：“abc”不是数字。",
        "经济数据 第 6 行 制造业投资(亿元)：确保该值大于或等于0。",
        "经济数据 第 7 行 规上工业企业用工人数(人)：用工人数须为 0 或以上的整数。",
        "经济数据 第 8 行 月：同一地区同一月份已在第 2 行。",
        "经济数据 第 9 行 规上工业增加值增速(%)：增速须在 -100% 至 1000% 之间。",
        "经济数据 第 10 行 规上工业增加值增速(%)：最多两位小数。",
    ]
    assert EconomyFigure.objects.count() == 0


def test_a_missing_column_is_named(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("地区,年,月\n平湖,2022,3\n", encoding="utf-8")
    with pytest.raises(LedgerError) as refused:
        economy_import(path=path)
    assert [problem.column for problem in refused.value.problems] == list(COLUMNS[3:])


def test_an_xlsx_workbook_imports_and_the_template_unchanged_creates_nothing(tmp_path):
    workbook = tmp_path / "经济.xlsx"
    workbook.write_bytes(xlsx_bytes({SHEET: [list(COLUMNS), ["平湖", 2022, 8, 6.5, 71.7, 30, 115000]]}))
    template = tmp_path / "template.xlsx"
    template.write_bytes(economy_template())

    assert economy_import(path=template).created == 0
    assert economy_import(path=workbook).created == 1
    assert stored() == {("pinghu", 8): (Decimal("6.5"), Decimal("71.7"), Decimal("30"), 115000)}


def test_the_command_checks_without_writing_on_a_dry_run_and_says_why_it_refuses(tmp_path):
    out = io.StringIO()
    call_command("import_economy", str(csv_file(tmp_path, GOOD)), "--dry-run", stdout=out)
    assert EconomyFigure.objects.count() == 0
    assert "经济运行数据：新增 4 个月，更新 0 个月，未变 0 个月" in out.getvalue()

    call_command("import_economy", str(csv_file(tmp_path, GOOD)), stdout=io.StringIO())
    assert EconomyFigure.objects.count() == 4

    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_status:
        call_command("import_economy", str(csv_file(tmp_path, ["上海,2022,3,1,1,1,1"], name="bad.csv")), stderr=err)
    assert exit_status.value.code == 1
    assert "经济数据 第 2 行 地区" in err.getvalue()


def upload(lines, name="economy.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join([HEADER, *lines]) + "\n").encode(), content_type="text/csv")


def test_the_web_import_writes_all_or_nothing(admin_client, admin_user):
    url = reverse("clearance:economy_import")

    dry = admin_client.post(url, {"upload": upload(GOOD), "dry_run": "on"})
    assert "经济运行数据：新增 4 个月" in dry.content.decode()
    assert EconomyFigure.objects.count() == 0

    bad = admin_client.post(url, {"upload": upload([*GOOD, "上海,2022,3,1,1,1,1"])})
    assert "经济数据 第 6 行 地区：地区须为平湖、嘉兴，不能是“上海”。" in bad.content.decode()
    assert EconomyFigure.objects.count() == 0

    good = admin_client.post(url, {"upload": upload(GOOD)})
    assert good.status_code == 302
    assert EconomyFigure.objects.count() == 4
    assert {row.history_user for row in EconomyFigure.history.all()} == {admin_user}


def test_the_web_import_refuses_a_large_file_or_one_of_another_kind(admin_client):
    url = reverse("clearance:economy_import")
    big = SimpleUploadedFile("big.csv", b"x" * (1024 * 1024 + 1))
    other = SimpleUploadedFile("economy.txt", b"x")

    assert "文件超过 1 MB 的上限。" in admin_client.post(url, {"upload": big}).content.decode()
    assert "请选择 .xlsx 工作簿或 .csv 文件。" in admin_client.post(url, {"upload": other}).content.decode()


def test_the_template_downloads(admin_client):
    response = admin_client.get(reverse("clearance:economy_template"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    path = io.BytesIO(response.content)
    assert next(load_workbook(path)[SHEET].iter_rows(values_only=True)) == COLUMNS
