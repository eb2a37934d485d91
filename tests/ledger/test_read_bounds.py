"""Reading a ledger within bounds: archives counted as they inflate, sheets scanned in chunks, rows limited on the web."""

import csv
import time
import tracemalloc
import zipfile
import zlib

import pytest

from clearance.ledger import ENTERPRISE_COLUMNS, SITE_COLUMNS, LedgerError, inspect_ledger, ledger_import, read_ledger
from clearance.ledger.guards import CHUNK_BYTES
from clearance.models import Enterprise, Site

from tests.ledger.test_import import enterprise_row, site_row, write_xlsx

ROW_LIMIT_MESSAGE = ("{file} 超过 {limit} 行，网页上传的文件每张表最多这么多行。"
                     "更大的文件请在服务器上用 python manage.py import_ledger 导入。")
SHEET_ROW_LIMIT_MESSAGE = ("有工作表用到第 {row} 行，超过网页上传的文件每张表最多 {limit} 行的限制。"
                           "更大的文件请在服务器上用 python manage.py import_ledger 导入。")

BOMB_MEMBER = "xl/worksheets/sheet1.xml"
BOMB_DECLARED = 1000
BOMB_MB = 1500


def reasons(refused) -> list[tuple[str, str]]:
    return [(problem.sheet, problem.reason) for problem in refused.value.problems]


def zeros_deflated(megabytes: int) -> bytes:
    """A raw deflate stream of MEGABYTES MB of zero bytes, about 1 KB per MB: full flushes make each MB's blocks alike."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    one_mb = compressor.compress(b"\0" * (1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return one_mb * megabytes + compressor.flush()


def forged_workbook(tmp_path, *, megabytes=BOMB_MB):
    """A real ledger workbook whose first sheet is replaced by MEGABYTES MB of zeros that declares BOMB_DECLARED bytes."""
    source = write_xlsx(tmp_path, [site_row()], [enterprise_row()])
    forged = tmp_path / "forged.xlsx"
    raw = zeros_deflated(megabytes)
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(forged, "w", zipfile.ZIP_DEFLATED) as target:
        for info in original.infolist():
            if info.filename != BOMB_MEMBER:
                target.writestr(info, original.read(info.filename))
                continue
            # Stored as it is, then the central directory is told it is deflated and small: the lie an attacker writes.
            entry = zipfile.ZipInfo(BOMB_MEMBER, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_STORED
            target.writestr(entry, raw)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.file_size = BOMB_DECLARED
    return forged


def inflated_size(path, member: str) -> int:
    """The real size of MEMBER, inflating its raw bytes in bounded steps."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(30)
        handle.seek(info.header_offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little"))
        data = handle.read(info.compress_size)
    inflater, size = zlib.decompressobj(-15), 0
    while data:
        size += len(inflater.decompress(data, 1 << 24))
        data = inflater.unconsumed_tail
    return size


def test_the_forged_workbook_really_lies_about_its_size(tmp_path):
    forged = forged_workbook(tmp_path, megabytes=20)

    with zipfile.ZipFile(forged) as archive:
        declared = archive.getinfo(BOMB_MEMBER)

    assert (declared.compress_type, declared.file_size) == (zipfile.ZIP_DEFLATED, BOMB_DECLARED)
    assert inflated_size(forged, BOMB_MEMBER) == 20 * 1024 * 1024
    assert forged.stat().st_size < 100_000


@pytest.mark.django_db
def test_workbook_whose_entry_inflates_past_its_declared_size_is_refused(tmp_path, ledger_towns):
    forged = forged_workbook(tmp_path)

    started = time.perf_counter()
    with pytest.raises(LedgerError) as refused:
        ledger_import(path=forged)
    elapsed = time.perf_counter() - started

    assert reasons(refused) == [("forged.xlsx", f"工作簿已损坏或被篡改：其中的 {BOMB_MEMBER} 解压后超过它声明的 {BOMB_DECLARED} 字节。")]
    assert elapsed < 1  # refused at the first chunk, not after inflating 1.5 GB
    assert (Site.objects.count(), Enterprise.objects.count()) == (0, 0)
    with pytest.raises(LedgerError) as inspected:
        inspect_ledger(forged)
    assert reasons(inspected) == reasons(refused)


def test_workbook_unpacking_past_the_budget_as_it_streams_is_refused(tmp_path, settings):
    # Every entry honest about its size, but together more than the budget: counted as the bytes come out.
    settings.CLEARANCE_LEDGER_MAX_UNPACKED_BYTES = 4 * 1024 * 1024
    source = write_xlsx(tmp_path, [site_row()], [])
    padded = tmp_path / "padded.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as target:
        for info in original.infolist():
            target.writestr(info, original.read(info.filename))
        target.writestr("xl/media/padding.bin", b"\0" * (3 * 1024 * 1024))
        target.writestr("xl/media/more.bin", b"\0" * (3 * 1024 * 1024))

    with pytest.raises(LedgerError) as refused:
        inspect_ledger(padded)

    assert reasons(refused) == [("padded.xlsx", "工作簿解压后超过 4 MB，请拆分台账。")]


def padded_sheet(tmp_path, marker: bytes, replacement: bytes, *, cut: int, sites, enterprises):
    """The workbook of SITES and ENTERPRISES with MARKER in the 企业 sheet's XML replaced by REPLACEMENT, padded
    with XML comments so that REPLACEMENT's byte number CUT is the first of the second chunk the guards read."""
    source = write_xlsx(tmp_path, sites, enterprises)
    changed = tmp_path / "changed.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(changed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":
                assert data.count(marker) == 1
                start = data.index(b"<sheetData>") + len(b"<sheetData>")
                before_marker = data.index(marker) - start
                gap = CHUNK_BYTES - cut - start - before_marker
                padding = b"<!---->" * (gap // 7) + b" " * (gap % 7)
                data = data[:start] + padding + data[start:].replace(marker, replacement)
                assert data[CHUNK_BYTES - cut:CHUNK_BYTES - cut + len(replacement)] == replacement
            target.writestr(info, data)
    return changed


@pytest.mark.django_db
@pytest.mark.parametrize("cut", [4, 20, 24, 30])  # in the row tag, then in the cell tag
def test_a_far_cell_cut_by_a_chunk_border_is_still_seen(tmp_path, ledger_towns, cut):
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    workbook = padded_sheet(tmp_path, b"</sheetData>", far + b"</sheetData>", cut=cut,
                            sites=[site_row()], enterprises=[enterprise_row()])

    with pytest.raises(LedgerError) as refused:
        read_ledger(workbook)

    [(sheet, reason)] = reasons(refused)
    assert (sheet, reason.startswith("有工作表用到第 1048576 行、第 16384 列")) == ("changed.xlsx", True)


@pytest.mark.django_db
@pytest.mark.parametrize("cut", [2, 5, 8])
def test_an_error_cell_cut_by_a_chunk_border_is_still_reported(tmp_path, ledger_towns, cut):
    # calamine reads an error cell as empty; the scan must see it to send the workbook through openpyxl.
    number, error = b't="n"><v>987654</v>', b' t="e"><f>1/0</f><v>#DIV/0!</v>'
    workbook = padded_sheet(tmp_path, number, error, cut=cut,
                            sites=[site_row()], enterprises=[enterprise_row(signed=987654, vacated="")])

    with pytest.raises(LedgerError) as refused:
        ledger_import(path=workbook)

    assert [str(problem) for problem in refused.value.problems] == [
        "企业 第 2 行 签约日期：“#DIV/0!”不是日期：请写作 YYYY-MM-DD、YYYY/M/D、YYYY.M.D 或 YYYY年M月D日。"]


def write_csv_folder(folder, site_count: int, *, blank_lines=0):
    """地块.csv with SITE_COUNT short rows (and BLANK_LINES empty lines among them), 企业.csv with its header only."""
    with open(folder / "地块.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(SITE_COLUMNS)
        writer.writerows([""] for _ in range(blank_lines))
        writer.writerows([f"S{number}", "x", "1"] for number in range(site_count))
    with open(folder / "企业.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(ENTERPRISE_COLUMNS)
    return folder


def test_csv_of_850000_rows_gets_the_row_limit_message_quickly_and_in_little_memory(tmp_path, settings):
    folder = write_csv_folder(tmp_path, 850_000)
    assert (folder / "地块.csv").stat().st_size < settings.CLEARANCE_LEDGER_UPLOAD_MAX_BYTES  # the upload's size passes

    started = time.perf_counter()
    with pytest.raises(LedgerError) as refused:
        inspect_ledger(folder)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    with pytest.raises(LedgerError):
        inspect_ledger(folder)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    limit = settings.CLEARANCE_LEDGER_MAX_ROWS
    assert reasons(refused) == [("地块", ROW_LIMIT_MESSAGE.format(file="地块.csv", limit=limit))]
    assert elapsed < 2
    assert peak < 1024 * 1024  # a row at a time: the file is 12 MB


def test_csv_rows_are_counted_by_those_holding_a_value(tmp_path, settings):
    settings.CLEARANCE_LEDGER_MAX_ROWS = 3
    at_limit = write_csv_folder(tmp_path, 3, blank_lines=5)

    inspect_ledger(at_limit)
    write_csv_folder(tmp_path, 4)
    with pytest.raises(LedgerError) as refused:
        inspect_ledger(tmp_path)

    assert reasons(refused) == [("地块", ROW_LIMIT_MESSAGE.format(file="地块.csv", limit=3))]


@pytest.mark.django_db
def test_workbook_over_the_row_limit_is_refused_on_the_web_and_read_by_the_command(tmp_path, ledger_towns, settings):
    settings.CLEARANCE_LEDGER_MAX_ROWS = 3
    sites = [site_row(name=f"地块{number}") for number in range(4)]
    workbook = write_xlsx(tmp_path, sites, [])

    with pytest.raises(LedgerError) as inspected:
        inspect_ledger(workbook)
    with pytest.raises(LedgerError) as read:
        read_ledger(workbook, max_rows=3)
    report = ledger_import(path=workbook)  # manage.py import_ledger's way: no row limit

    assert reasons(inspected) == reasons(read) == [("台账.xlsx", SHEET_ROW_LIMIT_MESSAGE.format(row=5, limit=3))]
    assert (report.sites.created, Site.objects.count()) == (4, 4)
    inspect_ledger(workbook, max_rows=4)


def test_ledger_file_over_the_upload_size_is_refused(tmp_path):
    folder = write_csv_folder(tmp_path, 2000)

    with pytest.raises(LedgerError) as refused:
        inspect_ledger(folder, max_bytes=10_000)

    assert reasons(refused) == [("地块.csv", "地块.csv 超过 0.00953674 MB，网页上传的文件不能更大。请在服务器上用 python manage.py import_ledger 导入。")]


def test_csv_that_is_not_utf8_is_refused_by_the_inspection(tmp_path):
    write_csv_folder(tmp_path, 2)
    (tmp_path / "企业.csv").write_bytes("名称\n某公司".encode("gb18030"))

    with pytest.raises(LedgerError) as refused:
        inspect_ledger(tmp_path)

    assert reasons(refused) == [("企业", "企业.csv 不是 UTF-8 编码的文本。")]
