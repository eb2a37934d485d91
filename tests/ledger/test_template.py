"""The ledger template and export as workbooks: header rows only, frozen, drop-down lists and date checks, examples apart."""

import io

import pytest
from openpyxl import load_workbook

from clearance.ledger import (
    CATEGORY_NAMES,
    DISPOSAL_NAMES,
    ENTERPRISE_COLUMNS,
    SITE_COLUMNS,
    TEMPLATE_EXAMPLES,
    ledger_sheets,
    ledger_template,
    ledger_workbook,
)

from tests.factories import TownFactory

pytestmark = pytest.mark.django_db


def validations(sheet) -> dict[str, tuple]:
    """Return the sheet's data validations by the header of each column they cover: (type, list or bound, error style)."""
    headers = {cell.column_letter: cell.value for cell in sheet[1]}
    found = {}
    for validation in sheet.data_validations.dataValidation:
        for cells in validation.sqref.ranges:
            assert (cells.min_row, cells.max_row) == (2, 1048576)
            found[headers[cells.coord[0]]] = (validation.type, validation.formula1, validation.errorStyle)
    return found


def test_the_template_has_frozen_headers_and_drop_downs_for_town_disposal_types_and_dates(ledger_towns):
    workbook = load_workbook(io.BytesIO(ledger_template()))

    sites, enterprises = workbook["地块"], workbook["企业"]
    assert (sites.freeze_panes, enterprises.freeze_panes) == ("A2", "A2")
    assert validations(sites) == {
        "镇街道": ("list", "TownList", "stop"),
        "面积(亩)": ("decimal", "0", "warning"),
        "腾退日期": ("date", "DATE(2000,1,1)", "warning"),
    }
    assert validations(enterprises) == {
        "镇街道": ("list", "TownList", "stop"),
        "处置方式": ("list", '"' + ",".join(DISPOSAL_NAMES) + '"', "stop"),
        # Several types may be given, separated by 、: the list offers one at a time and only warns.
        "企业类型": ("list", '"' + ",".join(CATEGORY_NAMES) + '"', "warning"),
        "年用能(吨标煤)": ("decimal", "0", "warning"),
        "腾出用能(吨标煤)": ("decimal", "0", "warning"),
        "签约日期": ("date", "DATE(2000,1,1)", "warning"),
        "腾退日期": ("date", "DATE(2000,1,1)", "warning"),
        "销号日期": ("date", "DATE(2000,1,1)", "warning"),
    }
    assert workbook.defined_names["TownList"].attr_text == "'列表'!$A$1:$A$2"
    assert workbook["列表"].sheet_state == "hidden"
    assert [row[0] for row in workbook["列表"].iter_rows(values_only=True)] == ["曹桥街道", "林埭镇"]


def test_the_town_list_holds_every_town_however_long_the_list(db):
    # An inline list is limited to 255 characters; the towns are on a hidden sheet instead.
    names = [f"第{number:02d}号很长名字的经济技术开发区" for number in range(40)]
    for order, name in enumerate(names):
        TownFactory(name=name, display_order=order)

    workbook = load_workbook(io.BytesIO(ledger_template()))

    assert [row[0] for row in workbook["列表"].iter_rows(values_only=True)] == names
    assert workbook.defined_names["TownList"].attr_text == "'列表'!$A$1:$A$40"


def test_the_guide_sheet_explains_every_column_and_shows_the_examples(ledger_towns):
    rows = list(load_workbook(io.BytesIO(ledger_template()))["说明"].iter_rows(values_only=True))

    explained = [(row[0], row[1]) for row in rows if row[:1] in (("地块",), ("企业",)) and row[2]]
    assert explained == [("地块", column) for column in SITE_COLUMNS] + [("企业", column) for column in ENTERPRISE_COLUMNS]
    assert rows[0][0] == "台账填写说明"
    examples = {row[0]: row for row in rows if row[:1] in (("示例地块",), ("示例企业",))}
    assert examples["示例地块"][:3] == ("示例地块", "曹桥街道", 20.43)
    assert examples["示例企业"][8].date() == TEMPLATE_EXAMPLES["企业"]["签约日期"]


def test_the_export_has_the_same_frozen_headers_and_drop_downs(ledger_towns):
    template = load_workbook(io.BytesIO(ledger_template()))

    exported = load_workbook(io.BytesIO(ledger_workbook(ledger_sheets())))

    for sheet in ("地块", "企业"):
        assert exported[sheet].freeze_panes == "A2"
        assert validations(exported[sheet]) == validations(template[sheet])
