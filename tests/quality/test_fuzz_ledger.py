"""Fuzzing the ledger import with hypothesis: hostile cells and lying files never give a 500, a partial write or raw HTML."""

import csv
import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from clearance import services
from clearance.choices import Stage
from clearance.ledger import (
    CATEGORY_NAMES,
    DISPOSAL_NAMES,
    ENTERPRISE_COLUMNS,
    ENTERPRISES_SHEET,
    SITE_COLUMNS,
    SITES_SHEET,
    LedgerError,
    read_ledger,
)
from clearance.models import Enterprise, Event, Site
from clearance.validators import credit_code_check_character

from tests.factories import TownFactory
from tests.fuzz_helpers import (
    FUZZ,
    assert_escaped,
    assert_no_crash,
    fingerprint,
    hostile_text,
    page_text,
    rolled_back,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

IMPORT_URL = reverse("clearance:ledger_import")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
TOWNS = ("曹桥街道", "林埭镇")
EXISTING_SITE = "六店区域"
CODES = ["91330482MA2B8XXXX" + credit_code_check_character("91330482MA2B8XXXX"),
         "91330482MA28A0AB6" + credit_code_check_character("91330482MA28A0AB6")]


@pytest.fixture
def admin_client(db):
    admin = get_user_model().objects.create_superuser("fuzz-admin", "f@example.org", "pw-admin-1")
    for name in TOWNS:
        town = TownFactory(name=name)
        services.site_create(town=town, name=EXISTING_SITE, area_mu=Decimal("100"), user=admin)
    client = Client(raise_request_exception=True)
    client.force_login(admin)
    return client


# Building ledgers ---------------------------------------------------------------------------------

typed = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=20)
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Z")), min_size=1, max_size=12)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999.99"), places=2).map(str)
past_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2022, 12, 31))

# What a spreadsheet cell can hold besides text: numbers of every size, dates far out, booleans, nothing.
hostile_cell = st.one_of(
    hostile_text,
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.datetimes(),
    st.booleans(),
    st.none(),
)


@st.composite
def site_rows(draw):
    town = draw(st.sampled_from(TOWNS))
    return {
        "地块名称": "地块" + draw(names), "镇街道": town, "面积(亩)": draw(amounts),
        "所属区域": draw(st.sampled_from(["", EXISTING_SITE])), "土地性质": draw(typed), "腾退日期": "",
    }


@st.composite
def enterprise_rows(draw):
    signed, vacated, closed = sorted(draw(st.lists(past_dates, min_size=3, max_size=3)))
    given_dates = draw(st.sampled_from([(), (signed,), (signed, vacated), (signed, vacated, closed)]))
    dates = [on.isoformat() for on in given_dates] + [""] * (3 - len(given_dates))
    return {
        "企业名称": "企业" + draw(names), "统一社会信用代码": draw(st.sampled_from(["", *CODES])),
        "镇街道": draw(st.sampled_from(TOWNS)), "所在地块": EXISTING_SITE,
        "企业类型": "、".join(draw(st.lists(st.sampled_from(sorted(CATEGORY_NAMES)), unique=True, max_size=3))),
        "处置方式": draw(st.sampled_from(["", *DISPOSAL_NAMES])), "年用能(吨标煤)": draw(amounts),
        "腾出用能(吨标煤)": draw(st.one_of(st.just(""), amounts)),
        "签约日期": dates[0], "腾退日期": dates[1], "销号日期": dates[2],
    }


@st.composite
def ledgers(draw):
    """Sheet → rows ({column: cell}) of a ledger: valid, or with a few cells hostile, or with a header gone wrong."""
    sheets = {
        SITES_SHEET: draw(st.lists(site_rows(), max_size=3)),
        ENTERPRISES_SHEET: draw(st.lists(enterprise_rows(), max_size=3)),
    }
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        sheet = draw(st.sampled_from([SITES_SHEET, ENTERPRISES_SHEET]))
        if sheets[sheet]:
            row = draw(st.sampled_from(sheets[sheet]))
            row[draw(st.sampled_from(sorted(row)))] = draw(hostile_cell)
    headers = {SITES_SHEET: list(SITE_COLUMNS), ENTERPRISES_SHEET: list(ENTERPRISE_COLUMNS)}
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        sheet = draw(st.sampled_from(sorted(headers)))
        headers[sheet][draw(st.integers(min_value=0, max_value=len(headers[sheet]) - 1))] = draw(hostile_text)
    return headers, sheets


def _cell_for_xlsx(value):
    if isinstance(value, str):
        # openpyxl cannot write these characters at all; the CSV files carry them.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def xlsx_bytes(headers: dict, sheets: dict) -> bytes:
    workbook = Workbook(write_only=True)
    for sheet, rows in sheets.items():
        worksheet = workbook.create_sheet(sheet)
        worksheet.append([_cell_for_xlsx(name) for name in headers[sheet]])
        for row in rows:
            worksheet.append([_cell_for_xlsx(row.get(name, "")) for name in headers[sheet]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(header: list, rows: list[dict], *, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row.get(name, "") for name in header])
    return buffer.getvalue().encode(encoding, errors="surrogatepass")


def ledger_upload(headers: dict, sheets: dict, as_csv: bool) -> dict:
    if as_csv:
        return {
            "sites_csv": SimpleUploadedFile("地块.csv", csv_bytes(headers[SITES_SHEET], sheets[SITES_SHEET])),
            "enterprises_csv": SimpleUploadedFile(
                "企业.csv", csv_bytes(headers[ENTERPRISES_SHEET], sheets[ENTERPRISES_SHEET])
            ),
        }
    return {"workbook": SimpleUploadedFile("台账.xlsx", xlsx_bytes(headers, sheets))}


# What a ledger that was imported means, decided independently of the importer ---------------------


def as_written(sheets: dict, as_csv: bool) -> dict:
    """Return SHEETS as the file holds them: every cell text in a CSV file; in a workbook, text without the characters it cannot hold."""
    def written(value):
        if as_csv:
            return "" if value is None else str(value)
        return _cell_for_xlsx(value)

    return {sheet: [{name: written(value) for name, value in row.items()} for row in rows] for sheet, rows in sheets.items()}


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def meant_amount(value) -> Decimal:
    text = cell_text(value)
    return Decimal("0") if not text else Decimal(text)


# The text forms DOMAIN.md lists: YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日 (zero padding optional); full-width digits too.
MEANT_DATE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})|(\d{4})年(\d{1,2})月(\d{1,2})日", flags=re.ASCII)


def meant_date(value) -> date | None:
    """A cell's date: a date cell, or text written in one of DOMAIN.md's forms; raise for anything else given."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    text = re.sub(r"\s", "", text).translate({0xFF10 + digit: str(digit) for digit in range(10)} | {
        ord("－"): "-", ord("／"): "/", ord("．"): "."})
    match = MEANT_DATE.fullmatch(text)
    assert match, f"{text!r} was imported as a date"
    year, _separator, month, day, cn_year, cn_month, cn_day = match.groups()
    return date(int(year or cn_year), int(month or cn_month), int(day or cn_day))


def header_name(name) -> str:
    """A header as the ledger compares it: no whitespace, full-width brackets as half-width ones (面积（亩） is 面积(亩))."""
    return re.sub(r"\s", "", cell_text(name)).replace("（", "(").replace("）", ")")


def check_imported(sheets: dict, headers: dict) -> None:
    """Every row of SHEETS is in the database as the ledger says.

    A column whose header was not written as the template names it is not one of the
    ledger's columns: the import leaves its field empty, as for an absent optional column.
    """

    written = {sheet: {header_name(name) for name in names} for sheet, names in headers.items()}

    def given(sheet: str, row: dict, column: str):
        return row[column] if column in written[sheet] else None

    for row in sheets[SITES_SHEET]:
        site = Site.objects.get(town__name=cell_text(row["镇街道"]), name=cell_text(row["地块名称"]))
        assert site.area_mu == meant_amount(row["面积(亩)"]) > 0
        assert site.land_use == cell_text(given(SITES_SHEET, row, "土地性质"))
        vacated = meant_date(given(SITES_SHEET, row, "腾退日期"))
        if vacated is not None:
            assert Event.objects.get(site=site).occurred_on == vacated
    for row in sheets[ENTERPRISES_SHEET]:
        code = cell_text(given(ENTERPRISES_SHEET, row, "统一社会信用代码")).upper()
        if code:
            enterprise = Enterprise.objects.get(credit_code=code)
        else:
            enterprise = Enterprise.objects.get(town__name=cell_text(row["镇街道"]), name=cell_text(row["企业名称"]))
        assert enterprise.name == cell_text(row["企业名称"])
        assert enterprise.site.name == cell_text(row["所在地块"])
        assert enterprise.annual_energy_tce == meant_amount(given(ENTERPRISES_SHEET, row, "年用能(吨标煤)"))
        assert enterprise.energy_freed_tce == meant_amount(given(ENTERPRISES_SHEET, row, "腾出用能(吨标煤)"))
        stored = dict(enterprise.events.values_list("stage", "occurred_on"))
        for stage, column in ((Stage.SIGNED, "签约日期"), (Stage.VACATED, "腾退日期"), (Stage.CLOSED, "销号日期")):
            on = meant_date(given(ENTERPRISES_SHEET, row, column))
            if on is not None:
                assert stored[stage] == on


def problems_shown(html: str) -> list[str]:
    return re.findall(r"<tr data-problem>(.*?)</tr>", html, re.S)


def upload_and_confirm(client, data: dict, media: str):
    """Upload DATA: a preview writes nothing; a ledger with problems lists them, in Chinese; return the confirmed job or None."""
    before = fingerprint(media_root=None)
    preview = client.post(IMPORT_URL, data, follow=True)
    assert_no_crash(preview)
    html = page_text(preview)
    assert_escaped(html)
    assert preview.status_code == 200
    assert fingerprint(media_root=None) == before
    job = preview.context.get("job")
    if "data-ledger-confirm" not in html:
        problems = problems_shown(html)
        form_errors = preview.context["form"].errors if preview.context.get("form") is not None else {}
        assert problems or form_errors or (job is not None and job.error), "the upload was refused without a reason"
        assert all(CHINESE.search(problem) for problem in problems)
        return None
    confirmed = client.post(job.get_absolute_url(), {"confirm": "1"}, follow=True)
    assert_no_crash(confirmed)
    assert_escaped(page_text(confirmed))
    job.refresh_from_db()
    if job.status != "succeeded":
        assert fingerprint(media_root=None) == before
    return job


def _ledger_with_site(cells: dict) -> tuple[dict, dict]:
    site = {"地块名称": "新地块", "镇街道": TOWNS[0], "面积(亩)": "12.5", "所属区域": "", "土地性质": "", "腾退日期": "",
            **cells}
    return (
        {SITES_SHEET: list(SITE_COLUMNS), ENTERPRISES_SHEET: list(ENTERPRISE_COLUMNS)},
        {SITES_SHEET: [site], ENTERPRISES_SHEET: []},
    )


def test_fuzz_ledger_cells(admin_client, media):
    @settings(FUZZ, max_examples=30)
    @given(ledger=ledgers(), as_csv=st.booleans())
    # Found: more digits than decimal's precision raised InvalidOperation; a NUL reached PostgreSQL; a week date
    # was taken for a day.
    @example(ledger=_ledger_with_site({"面积(亩)": "1e28"}), as_csv=False)
    @example(ledger=_ledger_with_site({"地块名称": "新\x00地块"}), as_csv=True)
    @example(ledger=_ledger_with_site({"腾退日期": "2022-W01-1"}), as_csv=True)
    def fuzz(ledger, as_csv):
        headers, sheets = ledger
        with rolled_back():
            confirmed = upload_and_confirm(admin_client, ledger_upload(headers, sheets, as_csv), media)
            if confirmed is not None and confirmed.status == "succeeded":
                check_imported(as_written(sheets, as_csv), headers)
                exported = admin_client.get(reverse("clearance:ledger_export"))
                assert exported.status_code == 200

    fuzz()


# Files that are not what their name says ------------------------------------------------------------


def _valid_xlsx() -> bytes:
    return xlsx_bytes(
        {SITES_SHEET: list(SITE_COLUMNS), ENTERPRISES_SHEET: list(ENTERPRISE_COLUMNS)},
        {SITES_SHEET: [{"地块名称": "新地块", "镇街道": "曹桥街道", "面积(亩)": "12.5"}], ENTERPRISES_SHEET: []},
    )


def _rezip(content: bytes, change) -> bytes:
    """Return the workbook CONTENT with each member's bytes passed through CHANGE(name, data)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info.filename)))
    return buffer.getvalue()


def _corrupt_sheets(name: str, data: bytes) -> bytes:
    return b"<worksheet><sheetData><row><c r='A1' t='s'><v>99999" if name.startswith("xl/worksheets/") else data


def _xlsx_with_date_serial(serial: bytes) -> bytes:
    """A workbook whose 腾退日期 cell is date-formatted and holds SERIAL, e.g. 1e12 days: no date Python can hold."""
    content = xlsx_bytes(
        {SITES_SHEET: list(SITE_COLUMNS), ENTERPRISES_SHEET: list(ENTERPRISE_COLUMNS)},
        {SITES_SHEET: [{"地块名称": "新地块", "镇街道": "曹桥街道", "面积(亩)": 12.5, "腾退日期": date(2022, 1, 1)}],
         ENTERPRISES_SHEET: []},
    )
    return _rezip(content, lambda name, data: data.replace(b"<v>44562</v>", b"<v>" + serial + b"</v>"))


def _flip(content: bytes, at: int, junk: bytes) -> bytes:
    at %= len(content)
    return content[:at] + junk + content[at + len(junk):]


VALID_XLSX = _valid_xlsx()
SITES_CSV = "地块名称,镇街道,面积(亩)\n新地块,曹桥街道,12.5\n"
ENTERPRISES_CSV = "企业名称,镇街道,所在地块\n"

LYING_FILES = {
    "csv_named_xlsx": {"workbook": ("台账.xlsx", SITES_CSV.encode())},
    "random_bytes_xlsx": {"workbook": ("台账.xlsx", bytes(range(256)) * 4)},
    "empty_xlsx": {"workbook": ("台账.xlsx", b"")},
    "zip_of_nothing": {"workbook": ("台账.xlsx", b"PK\x05\x06" + b"\x00" * 18)},
    "png_named_xlsx": {"workbook": ("台账.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)},
    "html_named_xlsx": {"workbook": ("<script>alert(1)</script>.xlsx", b"<html><script>alert(1)</script>")},
    "corrupt_sheet_xml": {"workbook": ("台账.xlsx", _rezip(VALID_XLSX, _corrupt_sheets))},
    "date_serial_far_out": {"workbook": ("台账.xlsx", _xlsx_with_date_serial(b"1e12"))},
    "date_serial_negative": {"workbook": ("台账.xlsx", _xlsx_with_date_serial(b"-700000"))},
    "date_serial_not_a_number": {"workbook": ("台账.xlsx", _xlsx_with_date_serial(b"NaN"))},
    "date_serial_text": {"workbook": ("台账.xlsx", _xlsx_with_date_serial(b"2022-01-01<"))},
    "truncated_xlsx": {"workbook": ("台账.xlsx", VALID_XLSX[: len(VALID_XLSX) // 2])},
    "xlsx_named_csv": {"sites_csv": ("地块.csv", VALID_XLSX), "enterprises_csv": ("企业.csv", VALID_XLSX)},
    "gbk_csv": {"sites_csv": ("地块.csv", SITES_CSV.encode("gbk")),
                "enterprises_csv": ("企业.csv", ENTERPRISES_CSV.encode("gbk"))},
    "utf16_csv": {"sites_csv": ("地块.csv", SITES_CSV.encode("utf-16")),
                  "enterprises_csv": ("企业.csv", ENTERPRISES_CSV.encode("utf-16"))},
    "nul_csv": {"sites_csv": ("地块.csv", SITES_CSV.replace("新地块", "新\x00地块").encode()),
                "enterprises_csv": ("企业.csv", ENTERPRISES_CSV.encode())},
    "control_csv": {"sites_csv": ("地块.csv", SITES_CSV.replace("新地块", "新\x01\x1b地块").encode()),
                    "enterprises_csv": ("企业.csv", ENTERPRISES_CSV.encode())},
    "lone_surrogate_csv": {"sites_csv": ("地块.csv", SITES_CSV.replace("新地块", "新\udc80地块").encode("utf-8", "surrogateescape")),
                           "enterprises_csv": ("企业.csv", ENTERPRISES_CSV.encode())},
    "one_csv_only": {"sites_csv": ("地块.csv", SITES_CSV.encode())},
    "both_kinds": {"workbook": ("台账.xlsx", VALID_XLSX), "sites_csv": ("地块.csv", SITES_CSV.encode()),
                   "enterprises_csv": ("企业.csv", ENTERPRISES_CSV.encode())},
    "huge_field_csv": {"sites_csv": ("地块.csv", ("地块名称,镇街道,面积(亩)\n\"" + "x" * 200_000 + "\",曹桥街道,1\n").encode()),
                       "enterprises_csv": ("企业.csv", ENTERPRISES_CSV.encode())},
    "unbalanced_quote_csv": {"sites_csv": ("地块.csv", "地块名称,镇街道,面积(亩)\n\"新地块,曹桥街道,1\n".encode()),
                             "enterprises_csv": ("企业.csv", ENTERPRISES_CSV.encode())},
}


@st.composite
def lying_files(draw):
    """One of LYING_FILES, or the valid workbook with a few bytes overwritten somewhere."""
    if draw(st.booleans()):
        kind = draw(st.sampled_from(sorted(LYING_FILES)))
        return kind, LYING_FILES[kind]
    content = VALID_XLSX
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        content = _flip(content, draw(st.integers(min_value=0)), draw(st.binary(min_size=1, max_size=8)))
    return "flipped_xlsx", {"workbook": ("台账.xlsx", content)}


def test_fuzz_ledger_files(admin_client, media):
    @settings(FUZZ, max_examples=30)
    @given(lying=lying_files())
    # Found: a CSV cell over the csv module's limit raised csv.Error.
    @example(lying=("huge_field_csv", LYING_FILES["huge_field_csv"]))
    def fuzz(lying):
        _kind, files = lying
        with rolled_back():
            data = {field: SimpleUploadedFile(name, content) for field, (name, content) in files.items()}
            confirmed = upload_and_confirm(admin_client, data, media)
            if confirmed is not None and confirmed.status == "succeeded":
                # Only the valid workbook, or one whose flipped bytes missed what is read, imports: its one site.
                assert Site.objects.filter(name="新地块").count() == 1

    fuzz()


@pytest.mark.parametrize("kind", sorted(LYING_FILES))
def test_read_ledger_refuses_a_lying_file_with_a_reason(tmp_path, kind):
    files = LYING_FILES[kind]
    if "workbook" in files:
        path = tmp_path / "台账.xlsx"
        path.write_bytes(files["workbook"][1])
    else:
        path = tmp_path
        for field, sheet in (("sites_csv", SITES_SHEET), ("enterprises_csv", ENTERPRISES_SHEET)):
            if field in files:
                (tmp_path / f"{sheet}.csv").write_bytes(files[field][1])

    try:
        sheets = read_ledger(path)
    except LedgerError as error:
        assert error.problems
        assert all(CHINESE.search(problem.reason) for problem in error.problems)
    else:
        assert set(sheets) == {SITES_SHEET, ENTERPRISES_SHEET}
