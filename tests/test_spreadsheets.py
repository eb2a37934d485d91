"""clearance.spreadsheets: text that a spreadsheet would run is neutralised; numbers and dates are left alone."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.utils.translation import gettext_lazy

from clearance.spreadsheets import csv_cell, csv_text, sheet_title, xlsx_bytes

# OWASP's CSV-injection triggers, and the full-width forms Chinese and Japanese Excel may read as them.
TRIGGERED = ["=1+1", '=HYPERLINK("http://x","y")', "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", "＝1", "＋1", "－1", "＠A"]
PLAIN = ["六店区域", "1+1", " =1", "a=b", "", "'=1"]
NUMBERS = [0, -1, -2.5, Decimal("-0.01"), Decimal("360.50"), 10**15]


@pytest.mark.parametrize("text", TRIGGERED)
def test_csv_quotes_text_starting_with_a_trigger(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN)
def test_csv_leaves_other_text_as_it_is(text):
    assert csv_cell(text) == text


@pytest.mark.parametrize("number", NUMBERS)
def test_csv_leaves_numbers_negative_ones_too_as_numbers(number):
    assert csv_cell(number) == number


def test_csv_text_has_a_byte_order_mark_and_reads_back_with_numbers_and_lazy_text():
    text = csv_text([["名称", "面积"], ["-1+2", Decimal("-3.25")], [gettext_lazy("Site"), date(2022, 3, 1)]])

    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))

    assert text.startswith("\ufeff")
    assert rows == [["名称", "面积"], ["'-1+2", "-3.25"], [str(gettext_lazy("Site")), "2022-03-01"]]


def test_xlsx_writes_text_as_typed_in_string_cells_and_numbers_and_dates_as_such():
    rows = [["名称", "面积", "日期"], *[[text, number, date(2022, 3, 1)] for text, number in zip(TRIGGERED, NUMBERS * 2)]]

    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"地块": rows})), data_only=False)["地块"]
    cells = list(sheet.iter_rows(min_row=2))

    # Exactly as typed, a carriage return included (openpyxl reads through lxml, which keeps it).
    assert [row[0].value for row in cells] == TRIGGERED
    assert {row[0].data_type for row in cells} == {"s"}
    assert [(row[1].data_type, row[1].value) for row in cells] == [("n", float(number)) for number in (NUMBERS * 2)[:len(cells)]]
    assert {(row[2].data_type, row[2].value.date()) for row in cells} == {("d", date(2022, 3, 1))}
    assert sheet.freeze_panes == "A2"
    assert [cell.font.bold for cell in sheet[1]] == [True, True, True]


@pytest.mark.parametrize(("title", "expected"), [("地块", "地块"), ("a/b:c[d]*?\\", "a-b-c-d----"), ("长" * 40, "长" * 31), ("", "Sheet")])
def test_sheet_titles_are_what_excel_accepts(title, expected):
    assert sheet_title(title) == expected
