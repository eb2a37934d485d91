"""Hostile values and checks shared by the fuzz tests: strategies, a database fingerprint, uploads that lie."""

import hashlib
import os
import io
import struct
import zlib
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from PIL import Image

# Reproducible in CI: the same examples on every run, nothing kept between runs.
# FUZZ_NO_SHRINK=1 reports a failing example as found, without minutes of shrinking it.
FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    phases=[phase for phase in Phase if not (os.environ.get("FUZZ_NO_SHRINK") and phase == Phase.shrink)],
)

# Markup that must only ever come back escaped; "alert(1)" never occurs in the templates.
HTML_MARKERS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><iframe src=javascript:alert(1)>",
)

HOSTILE_STRINGS = (
    "", " ", "\t", "\r\n",
    # Numbers a number field must refuse or store exactly.
    "0", "-0", "-1", "-0.01", "0.001", "0.005", "1e309", "-1e309", "1E+2", "1e-400", "NaN", "nan", "sNaN",
    "Infinity", "-Infinity", "inf", "9" * 30, "9999999999.99", "10000000000", "99999999999999.99",
    "123456789012345678901234567890.12", "1" + "0" * 5000, "１２", "١٢٣", "²", "½", "1_000", "0x10", "+5", " 7 ",
    "1,000", "１．５",
    # Dates at and past the edges, and things that only look like dates.
    "0001-01-01", "9999-12-31", "1999-12-31", "2000-01-01", "2022-02-30", "2022-13-01", "2022-00-10",
    "10000-01-01", "2022-W01-1", "20220101", "2022/02/01", "01/02/03", "2022年2月1日", "２０２２-０２-０１",
    "-2022-01-01", "2022-01-01T00:00:00",
    # Characters databases and encodings choke on.
    "\x00", "a\x00b", "\x00" * 3, "\x7f\x1b[31m", "\u202e\u0645", "\ufeff", "\ufffd", "😀" * 3, "\u0000\uffff",
    # SQL, templates, format strings and paths.
    "'; DROP TABLE clearance_site; --", "1 OR 1=1", '" OR ""="', "%", "_", "\\", "%(name)s", "%s%s%s%n",
    "{{ 7|add:7 }}", "{% debug %}", "../../../etc/passwd", "C:\\Windows\\win.ini",
    *HTML_MARKERS,
    # Long strings: one past a typical limit, and 10,000 characters.
    "x" * 51, "x" * 101, "长" * 10_000,
)

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=30),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.dates().map(date.isoformat),
    st.builds(lambda before, marker, after: before + marker + after,
              st.text(max_size=4), st.sampled_from(HTML_MARKERS), st.text(max_size=4)),
)

# Ids that exist in no table, or are not ids at all.
hostile_id = st.one_of(
    st.sampled_from(["0", "-1", "999999", "9" * 25, "1.5", "1e3", "²", "١", "abc", "", "\x00", "1\x00", "[1]",
                     "1 OR 1=1", HTML_MARKERS[0]]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)

MISSING = object()


def maybe(strategy):
    """A field's value from STRATEGY, or the field left out of the request."""
    return st.one_of(st.just(MISSING), strategy)


def present(data: dict) -> dict:
    return {name: value for name, value in data.items() if value is not MISSING}


@st.composite
def submissions(draw, valid: dict, hostile: dict):
    """A form's data: valid, valid but for one hostile or missing field, or hostile throughout.

    VALID and HOSTILE map each field to a strategy; the valid ones reach the
    success path, where the stored values are checked.
    """
    mode = draw(st.sampled_from(["valid", "one", "one", "all"]))
    if mode == "all":
        return present({name: draw(maybe(strategy)) for name, strategy in hostile.items()})
    data = {name: draw(strategy) for name, strategy in valid.items()}
    if mode == "one":
        name = draw(st.sampled_from(sorted(hostile)))
        data[name] = draw(maybe(hostile[name]))
    return present(data)


class _Undo(Exception):
    """Raised at the end of an example to roll back what it wrote."""


@contextmanager
def rolled_back():
    """Run one example in a transaction that is always rolled back, so examples never see each other's writes."""
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


RECORD_MODELS = ("Site", "Enterprise", "Event", "Photo")


def watched_models(names=RECORD_MODELS) -> list:
    """The models NAMES of the app with their history models, and the admin's log."""
    config = apps.get_app_config("clearance")
    models = [config.get_model(name) for name in names]
    return [*models, *(model.history.model for model in models), LogEntry]


def all_watched_models() -> list:
    """Every model of the app, its history, users and the admin's log."""
    models = [model for model in apps.get_app_config("clearance").get_models()]
    return [*models, get_user_model(), LogEntry]


def fingerprint(media_root=None, models=None) -> tuple:
    """Return row counts and a digest of the rows of MODELS (the records and their histories by default) and the files under MEDIA_ROOT."""
    digest = hashlib.sha256()
    counts = {}
    for model in models or watched_models():
        rows = list(model._default_manager.order_by("pk").values_list())
        counts[model._meta.label] = len(rows)
        digest.update(model._meta.label.encode())
        digest.update(repr(rows).encode())
    files = sorted(str(path) for path in Path(media_root).rglob("*") if path.is_file()) if media_root else []
    return counts, digest.hexdigest(), files


def assert_escaped(html: str) -> None:
    """Fail when an injected markup fragment comes back unescaped."""
    for marker in HTML_MARKERS:
        assert marker not in html, f"unescaped {marker!r} in the page"


def assert_no_crash(response) -> None:
    assert response.status_code < 500, f"{response.status_code} for {response.request.get('PATH_INFO')}"


def page_text(response) -> str:
    return response.content.decode("utf-8", errors="replace")


# Uploads whose name or header lies about their content ------------------------------------------


def image_bytes(fmt: str, size=(16, 12), color="orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int, *, rows: int = 1) -> bytes:
    """A valid PNG whose header claims WIDTH × HEIGHT but holds only ROWS rows of pixel data (a light zip bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x00" * (3 * min(width, 4096)) * rows)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


def lying_uploads() -> dict[str, tuple[str, bytes, str]]:
    """Name → (file name, content, content type) of uploads that are not what their name says, and one good photo."""
    jpeg = image_bytes("JPEG", size=(64, 48))
    webp = image_bytes("WEBP", size=(64, 48))
    return {
        "good_png": ("现场.png", image_bytes("PNG"), "image/png"),
        "text_as_jpg": ("photo.jpg", b"this is not a photo\n" * 20, "image/jpeg"),
        "html_as_png": ("<script>alert(1)</script>.png", b"<html><script>alert(1)</script></html>", "image/png"),
        "empty": ("empty.jpg", b"", "image/jpeg"),
        "random_bytes": ("random.webp", bytes(range(256)) * 8, "image/webp"),
        "truncated_jpeg": ("cut.jpg", jpeg[: len(jpeg) // 2], "image/jpeg"),
        "jpeg_header_only": ("head.jpg", jpeg[:40], "image/jpeg"),
        "truncated_png": ("cut.png", image_bytes("PNG", size=(200, 200), color="blue")[:120], "image/png"),
        "truncated_webp": ("cut.webp", webp[: len(webp) // 2], "image/webp"),
        "huge_png_header": ("bomb.png", png_claiming(100_000, 100_000), "image/png"),
        "png_short_of_rows": ("short.png", png_claiming(4000, 3000), "image/png"),
        "gif_as_jpg": ("anim.jpg", image_bytes("GIF"), "image/jpeg"),
        "bmp_as_png": ("bitmap.png", image_bytes("BMP"), "image/png"),
        "zip_as_heic": ("IMG_0001.HEIC", b"PK\x03\x04" + b"\x00" * 100, "image/heic"),
        "heic_brand_only": ("IMG_0002.HEIC", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
    }


LYING_UPLOADS = lying_uploads()


def upload_of(kind: str) -> SimpleUploadedFile:
    name, content, content_type = LYING_UPLOADS[kind]
    return SimpleUploadedFile(name, content, content_type=content_type)
