"""The ledger export after names a spreadsheet would run: text cells, never formulas, and the same names back on import."""

import csv
import io
import zipfile

import openpyxl
import pytest
from django.core.management import call_command

from clearance.ledger import ENTERPRISE_COLUMNS, SITE_COLUMNS, ledger_sheets
from clearance.models import Enterprise, Event, Site

from tests.ledger.test_import import enterprise_row, run_import, site_row

pytestmark = pytest.mark.django_db

SITE_NAMES = ['=HYPERLINK("http://evil.example/","点我")', "+1", "-1+2", "@SUM(A1)", "＝1+1"]
ENTERPRISE_NAMES = ["=1+1", "-5", "@cmd", "+86 571"]


@pytest.fixture
def formula_ledger(tmp_path, ledger_towns):
    """A ledger, imported from CSV files, whose names, land use and parents start with formula triggers."""
    folder = tmp_path / "csv"
    folder.mkdir()
    sites = [site_row(name=SITE_NAMES[0], land_use="=2*3")]
    sites += [site_row(name=name, parent=SITE_NAMES[0], land_use="-工业") for name in SITE_NAMES[1:]]
    enterprises = [enterprise_row(name=name, site=SITE_NAMES[index % len(SITE_NAMES)]) for index, name in
                   enumerate(ENTERPRISE_NAMES)]
    for file, header, rows in (("地块.csv", SITE_COLUMNS, sites), ("企业.csv", ENTERPRISE_COLUMNS, enterprises)):
        with open(folder / file, "w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows([header, *rows])
    status, _out, err = run_import(folder)
    assert (status, err) == (0, "")
    return tmp_path


def test_the_exported_ledger_holds_no_formula_and_imports_back_to_the_same_names(formula_ledger):
    exported = formula_ledger / "导出.xlsx"
    call_command("export_ledger", str(exported), stdout=io.StringIO())
    before = ledger_sheets()
    workbook = openpyxl.load_workbook(exported, data_only=False)
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    Event.objects.all().delete()
    Enterprise.objects.all().delete()
    Site.objects.filter(parent__isnull=False).delete()
    Site.objects.all().delete()

    status, _out, err = run_import(exported)

    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    with zipfile.ZipFile(exported) as archive:
        assert [name for name in archive.namelist() if name.startswith("xl/worksheets/")
                and b"<f>" in archive.read(name)] == []
    assert {cell.value for cell in cells if isinstance(cell.value, str)} >= {*SITE_NAMES, *ENTERPRISE_NAMES, "=2*3"}
    assert (status, err) == (0, "")
    assert ledger_sheets() == before
    assert sorted(Site.objects.values_list("name", flat=True)) == sorted(SITE_NAMES)
    assert sorted(Enterprise.objects.values_list("name", flat=True)) == sorted(ENTERPRISE_NAMES)
