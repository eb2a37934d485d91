"""import_bulletin: Jiaxing's bulletin figures from a sheet, all or nothing, every bad row named."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from clearance import services
from clearance.models import BulletinFigure

pytestmark = pytest.mark.django_db

HEADER = ["县(市、区)", "年", "月", "指标", "完成数", "目标"]


@pytest.fixture
def counties():
    return [services.county_upsert(name=name).obj for name in ("海宁市", "桐乡市")]


def write_xlsx(tmp_path, rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "通报"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    path = tmp_path / "通报.xlsx"
    workbook.save(path)
    return path


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_bulletin", str(path), *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    return status, out.getvalue(), err.getvalue()


def figures():
    return sorted(
        (figure.county.name, figure.year, figure.month, figure.metric, figure.actual, figure.target)
        for figure in BulletinFigure.objects.select_related("county")
    )


GOOD_ROWS = [
    ["海宁市", 2022, 8, "高耗低效企业整治销号", 150, 180],
    ["海宁市", 2022, 8, "腾退低效用地", "2100.5", "2600"],
    ["桐乡市", 2022, 8, "energy_freed_tce", 30000, None],
]


def test_import_bulletin_records_each_row_by_chinese_name_or_key(tmp_path, counties):
    status, out, err = run(write_xlsx(tmp_path, GOOD_ROWS))

    assert (status, err) == (0, "")
    assert out.strip() == "通报数据：新增 3，更新 0，未变 0"
    assert figures() == [
        ("桐乡市", 2022, 8, "energy_freed_tce", Decimal("30000.00"), None),
        ("海宁市", 2022, 8, "enterprises_rectified", Decimal("150.00"), Decimal("180.00")),
        ("海宁市", 2022, 8, "land_vacated_mu", Decimal("2100.50"), Decimal("2600.00")),
    ]


def test_import_bulletin_twice_changes_nothing_and_a_changed_figure_is_updated(tmp_path, counties):
    run(write_xlsx(tmp_path, GOOD_ROWS))
    history = BulletinFigure.history.count()

    assert run(write_xlsx(tmp_path, GOOD_ROWS))[1].strip() == "通报数据：新增 0，更新 0，未变 3"
    assert BulletinFigure.history.count() == history
    changed = [GOOD_ROWS[0][:4] + [160, 180], *GOOD_ROWS[1:]]
    assert run(write_xlsx(tmp_path, changed))[1].strip() == "通报数据：新增 0，更新 1，未变 2"
    assert BulletinFigure.objects.get(metric="enterprises_rectified").actual == Decimal("160.00")


def test_import_bulletin_reads_a_csv_file_with_a_bom(tmp_path, counties):
    path = tmp_path / "通报.csv"
    path.write_text("\ufeff" + ",".join(HEADER) + "\n桐乡市,2022,7,腾出用能,28000.25,45000\n", encoding="utf-8")

    status, _out, _err = run(path)

    assert status == 0
    assert figures() == [("桐乡市", 2022, 7, "energy_freed_tce", Decimal("28000.25"), Decimal("45000.00"))]


@pytest.mark.parametrize(
    "row, expected",
    [
        (["嘉善县", 2022, 8, "腾出用能", 1, 2], "通报 第 2 行 县(市、区)：未知的县（市、区）“嘉善县”。"),
        (["海宁市", 1999, 8, "腾出用能", 1, 2], "通报 第 2 行 年：请填写 2000 至 2100 之间的整数。"),
        (["海宁市", 2022, 13, "腾出用能", 1, 2], "通报 第 2 行 月：请填写 1 至 12 之间的整数。"),
        (["海宁市", 2022, 8, "腾出土地", 1, 2], "通报 第 2 行 指标：未知的指标“腾出土地”，可用：高耗低效企业整治销号、腾退低效用地、腾出用能。"),
        (["海宁市", 2022, 8, "腾出用能", -1, 2], "通报 第 2 行 完成数：数值不能为负数。"),
        (["海宁市", 2022, 8, "腾出用能", None, 2], "通报 第 2 行 完成数：完成数为空。"),
        (["海宁市", 2022, 8, "腾出用能", 1, "很多"], "通报 第 2 行 目标：“很多”不是数字。"),
    ],
)
def test_import_bulletin_names_each_bad_row_exits_1_and_writes_nothing(tmp_path, counties, row, expected):
    # The good rows come after the bad one: nothing of the file is written.
    status, out, err = run(write_xlsx(tmp_path, [row, *GOOD_ROWS]))

    assert status == 1
    assert err.splitlines()[1:] == [expected]
    assert figures() == []


def test_import_bulletin_refuses_a_figure_listed_twice(tmp_path, counties):
    status, _out, err = run(write_xlsx(tmp_path, [*GOOD_ROWS, GOOD_ROWS[0]]))

    assert status == 1
    assert err.splitlines()[1:] == ["通报 第 5 行 指标：同一数据已在第 2 行。"]
    assert figures() == []


def test_import_bulletin_with_too_many_decimals_is_refused_by_the_service_and_writes_nothing(tmp_path, counties):
    status, _out, err = run(write_xlsx(tmp_path, [*GOOD_ROWS, ["桐乡市", 2022, 7, "腾出用能", "1.234", None]]))

    assert status == 1
    assert err.splitlines()[1].startswith("通报 第 5 行")
    assert figures() == []


def test_import_bulletin_names_a_missing_required_column(tmp_path, counties):
    status, _out, err = run(write_xlsx(tmp_path, [], header=HEADER[:4]))

    assert status == 1
    assert err.splitlines()[1:] == ["通报 第 1 行 完成数：缺少必填列“完成数”。"]


def test_import_bulletin_dry_run_writes_nothing(tmp_path, counties):
    status, out, _err = run(write_xlsx(tmp_path, GOOD_ROWS), "--dry-run")

    assert status == 0
    assert out.splitlines()[-1] == "通报数据：新增 3，更新 0，未变 0"
    assert figures() == []


def test_import_bulletin_attributes_history_to_the_user(tmp_path, counties, leader):
    run(write_xlsx(tmp_path, GOOD_ROWS), "--user", leader.username)

    assert {record.history_user for record in BulletinFigure.history.all()} == {leader}


def test_import_bulletin_of_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError):
        call_command("import_bulletin", str(tmp_path / "none.xlsx"), stdout=io.StringIO())
