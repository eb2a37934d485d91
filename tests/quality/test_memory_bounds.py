"""Hostile inputs cost a worker little: each is handled in a fresh process whose peak memory is read at the end."""

import pytest

from tests.ledger.test_read_bounds import BOMB_MB, forged_workbook
from tests.memory import measured_run
from tests.services.test_photos import image_bytes, solid_png

WORKER_LIMIT_MB = 300


def test_forged_size_workbook_is_refused_while_the_process_stays_small(tmp_path):
    forged = forged_workbook(tmp_path)  # BOMB_MB (1.5 GB) of zeros declaring 1 KB

    measured = measured_run("""
from clearance.ledger import LedgerError, inspect_ledger, read_ledger
RESULT = []
for reader in (inspect_ledger, read_ledger):
    try:
        reader(ARGS["path"])
    except LedgerError as error:
        RESULT.append([problem.reason for problem in error.problems])
""", path=str(forged))

    assert BOMB_MB == 1500
    assert measured.result == [["工作簿已损坏或被篡改：其中的 xl/worksheets/sheet1.xml 解压后超过它声明的 1000 字节。"]] * 2
    assert measured.peak_mb < WORKER_LIMIT_MB, measured


PHOTO_BODY = """
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from clearance.services.photos import photo_check, photo_renditions
upload = SimpleUploadedFile(ARGS["name"], open(ARGS["path"], "rb").read())
try:
    original, thumbnail = photo_renditions(upload, photo_check(upload))
    RESULT = ["stored", original.size, thumbnail.size]
except ValidationError as error:
    RESULT = ["refused", error.messages]
"""


def test_png_of_7740_pixels_square_is_refused_while_the_process_stays_small(tmp_path):
    path = tmp_path / "attack.png"
    path.write_bytes(solid_png(7740, 7740))

    measured = measured_run(PHOTO_BODY, path=str(path), name="attack.png")

    assert measured.result == ["refused", ["“attack.png”的像素超过了照片 50 百万像素的上限。"]]
    assert measured.peak_mb < WORKER_LIMIT_MB, measured


@pytest.mark.parametrize(("name", "make"), [
    ("48mp.jpg", lambda: image_bytes("JPEG", size=(8000, 6000))),  # drafted to 1000 × 750
    ("25mp.png", lambda: solid_png(5000, 5000)),  # the largest PNG decoded whole
])
def test_largest_photos_accepted_are_stored_while_the_process_stays_small(tmp_path, name, make):
    path = tmp_path / name
    path.write_bytes(make())

    measured = measured_run(PHOTO_BODY, path=str(path), name=name)

    assert measured.result[0] == "stored"
    assert measured.result[1] == path.stat().st_size  # the original as uploaded, beside a small thumbnail
    assert measured.peak_mb < WORKER_LIMIT_MB, measured
