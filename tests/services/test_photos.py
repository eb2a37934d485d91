"""Photos recorded with progress: checked by content, size-limited, thumbnailed, stored under MEDIA_ROOT by random names."""

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from clearance import services
from clearance.forms import PhotosField
from clearance.choices import PhotoPhase, Stage
from clearance.models import Event, Photo

from tests.errors import form_error_codes

pytestmark = pytest.mark.django_db

STORED_NAME = re.compile(r"^photos/\d{4}/\d{2}/[0-9a-f]{32}\.(jpg|png|webp)$")


def image_bytes(fmt: str = "PNG", size=(1200, 900), color="orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def solid_png(width: int, height: int, rgb=(255, 165, 0)) -> bytes:
    """A PNG of one colour, built without holding its pixels: every row alike, compressed once and repeated."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" + bytes(rgb) * width  # filter type 0, then the pixels
    rows_per_block = max(1, (1 << 20) // len(row))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(row * rows_per_block) + compressor.flush(zlib.Z_FULL_FLUSH)
    blocks, rest = divmod(height, rows_per_block)
    deflated = block * blocks + compressor.compress(row * rest) + compressor.flush()
    checksum = 1
    for _ in range(blocks):
        checksum = zlib.adler32(row * rows_per_block, checksum)
    checksum = zlib.adler32(row * rest, checksum)
    stream = b"\x78\xda" + deflated + struct.pack(">I", checksum)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", stream) + chunk(b"IEND", b"")


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def files_under(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


def record_with(client, world, *photos, stage=Stage.VACATED, phase=PhotoPhase.AFTER):
    return client.post(
        reverse("clearance:enterprise_event_create", args=[world.enterprise.pk]),
        {"stage": stage, "occurred_on": "2022-04-01", "photos": list(photos), "phase": phase},
    )


@pytest.mark.parametrize(
    ("fmt", "name", "content_type", "stored_as"),
    [
        ("JPEG", "IMG_0001.JPG", "image/jpeg", "jpg"),
        ("PNG", "现场.png", "image/png", "png"),
        ("WEBP", "photo.webp", "image/webp", "webp"),
        # iPhones send HEIC; it is kept as JPEG, which every browser can show.
        ("HEIF", "IMG_0002.HEIC", "image/heic", "jpg"),
    ],
)
def test_photo_of_each_accepted_format_is_stored_with_a_thumbnail(as_official, world, media, fmt, name, content_type, stored_as):
    response = record_with(as_official, world, upload(name, image_bytes(fmt), content_type))

    photo = Photo.objects.get()
    assert response.status_code == 302
    assert (photo.event.stage, photo.phase, photo.uploaded_by) == (Stage.VACATED, PhotoPhase.AFTER, world.official)
    assert STORED_NAME.match(photo.image.name)
    assert photo.image.name.endswith(f".{stored_as}")
    assert STORED_NAME.match(photo.thumbnail.name)
    with Image.open(photo.thumbnail.path) as thumbnail:
        assert (thumbnail.format, max(thumbnail.size)) == ("JPEG", 480)
    with Image.open(photo.image.path) as image:
        assert image.size == (1200, 900)
    assert files_under(media) == {Path(photo.image.path), Path(photo.thumbnail.path)}


def test_text_renamed_jpg_is_refused_and_nothing_is_written(as_official, world, media):
    events_before = Event.objects.count()

    response = record_with(as_official, world, upload("notes.jpg", b"not a photo at all\n" * 50, "image/jpeg"))

    assert response.status_code == 200
    assert response.context["form"].errors["photos"] == ["“notes.jpg”不是 JPEG、PNG、WebP 或 HEIC 格式的照片。"]
    assert form_error_codes(response.context["form"]) == {"photos": ["photo_not_image"]}
    assert Event.objects.count() == events_before
    assert Photo.objects.count() == 0
    assert files_under(media) == set()


def test_image_of_another_format_is_refused(as_official, world, media):
    response = record_with(as_official, world, upload("scan.gif", image_bytes("GIF"), "image/gif"))

    assert response.context["form"].errors["photos"] == ["“scan.gif”不是 JPEG、PNG、WebP 或 HEIC 格式的照片。"]
    assert form_error_codes(response.context["form"]) == {"photos": ["photo_not_image"]}
    assert Photo.objects.count() == 0


def test_photo_over_the_size_limit_is_refused(as_official, world, media, settings):
    settings.CLEARANCE_PHOTO_MAX_BYTES = 2 * 1024 * 1024
    big = image_bytes("PNG", size=(1500, 1500))
    big += b"\0" * (settings.CLEARANCE_PHOTO_MAX_BYTES + 1 - len(big))  # a valid PNG with trailing bytes, 1 byte over
    events_before = Event.objects.count()

    response = record_with(as_official, world, upload("big.png", big))

    assert response.context["form"].errors["photos"] == ["“big.png”超过了 2 MB 的大小限制。"]
    assert form_error_codes(response.context["form"]) == {"photos": ["photo_too_big"]}
    assert Event.objects.count() == events_before
    assert files_under(media) == set()


def test_photo_with_too_many_pixels_is_refused(as_official, world, media, settings):
    settings.CLEARANCE_PHOTO_MAX_PIXELS = 1000 * 1000

    response = record_with(as_official, world, upload("huge.png", image_bytes("PNG", size=(1001, 1000))))

    assert response.context["form"].errors["photos"] == ["“huge.png”的像素超过了照片 1 百万像素的上限。"]
    assert form_error_codes(response.context["form"]) == {"photos": ["photo_too_many_pixels"]}
    assert files_under(media) == set()


def test_path_in_the_uploaded_name_never_becomes_a_path(as_official, world, media):
    response = record_with(as_official, world, upload("../../etc/passwd.png", image_bytes("PNG")))

    photo = Photo.objects.get()
    assert response.status_code == 302
    assert STORED_NAME.match(photo.image.name)
    assert "passwd" not in photo.image.name
    assert files_under(media.parent) == {Path(photo.image.path), Path(photo.thumbnail.path)}
    assert all(media in path.parents for path in files_under(media.parent))


def test_service_ignores_a_path_in_the_name_even_when_not_sanitised(world, media):
    """The multipart parser strips directories; the service must not rely on it."""
    event = Event.objects.get(pk=world.event.pk)
    raw = ContentFile(image_bytes("PNG"), name="../../../outer/escaped.png")

    photo = services.photo_add(event=event, upload=raw, phase=PhotoPhase.BEFORE, user=world.official)

    assert STORED_NAME.match(photo.image.name)
    assert files_under(media.parent) == {Path(photo.image.path), Path(photo.thumbnail.path)}


def test_text_with_a_path_in_its_name_is_refused(world, media):
    event = Event.objects.get(pk=world.event.pk)

    with pytest.raises(ValidationError) as refused:
        services.photo_add(event=event, upload=ContentFile(b"root:x:0:0", name="../../etc/passwd.png"),
                           phase=PhotoPhase.BEFORE, user=world.official)

    assert refused.value.code == "photo_not_image"
    assert files_under(media.parent) == set()


def test_one_bad_photo_among_several_saves_nothing(as_official, world, media):
    events_before = Event.objects.count()

    response = record_with(
        as_official, world, upload("a.png", image_bytes("PNG")), upload("b.jpg", b"GIF89a not really", "image/jpeg"),
        upload("c.webp", image_bytes("WEBP"), "image/webp"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["photos"] == ["“b.jpg”不是 JPEG、PNG、WebP 或 HEIC 格式的照片。"]
    assert form_error_codes(response.context["form"]) == {"photos": ["photo_not_image"]}
    assert Event.objects.count() == events_before
    assert files_under(media) == set()


def test_refused_stage_keeps_no_photo_file(as_official, world, media):
    # 销号 without 腾退 is refused after the photos passed their checks: no row and no file stays.
    response = record_with(as_official, world, upload("a.png", image_bytes("PNG")), stage=Stage.CLOSED)

    assert response.status_code == 200
    assert response.context["form"].errors["stage"] == ["须先记录“腾退”，才能记录“销号”。"]
    assert form_error_codes(response.context["form"]) == {"stage": ["stage_out_of_order"]}
    assert Photo.objects.count() == 0
    assert files_under(media) == set()


def test_too_many_photos_at_once_are_refused(as_official, world, media, settings):
    settings.CLEARANCE_PHOTOS_PER_UPLOAD = 2
    photos = [upload(f"{n}.png", image_bytes("PNG", size=(10, 10))) for n in range(3)]

    response = record_with(as_official, world, *photos)

    assert response.context["form"].errors["photos"] == ["一次最多上传 2 张照片。"]
    assert form_error_codes(response.context["form"]) == {"photos": ["too_many_photos"]}
    assert Photo.objects.count() == 0


def test_photos_can_be_added_when_correcting_an_event(as_official, world, media):
    response = as_official.post(
        reverse("clearance:event_update", args=[world.event.pk]),
        {"version": world.event.version, "occurred_on": "2022-03-01", "note": "",
         "photos": [upload("签约现场.jpg", image_bytes("JPEG"), "image/jpeg")], "phase": PhotoPhase.DURING},
    )

    assert response.status_code == 302
    assert Photo.objects.get().event_id == world.event.pk


def test_gallery_shows_photos_by_phase_on_site_and_enterprise_pages(as_official, world, media):
    event = Event.objects.get(pk=world.event.pk)
    for phase, count in ((PhotoPhase.BEFORE, 2), (PhotoPhase.AFTER, 1)):
        for n in range(count):
            services.photo_add(event=event, upload=upload(f"{phase}{n}.png", image_bytes("PNG", size=(40, 30))),
                               phase=phase, user=world.official)

    for url in (world.site.get_absolute_url(), world.enterprise.get_absolute_url()):
        html = as_official.get(url).content.decode()
        counts = dict(re.findall(r'data-photo-count="(\w+)">(\d+)<', html))
        assert counts == {"before": "2", "during": "0", "after": "1"}
        assert html.count('class="photo-thumb"') == 3
        assert html.count('class="photo-thumb-sm"') == 3


def test_photo_is_checked_by_content_not_by_name():
    jpeg_named_png = upload("photo.png", image_bytes("JPEG"), "image/png")

    assert services.photo_check(jpeg_named_png) == "JPEG"


def test_photos_are_served_to_signed_in_users_only(client, world):
    event = Event.objects.get(pk=world.event.pk)
    photo = services.photo_add(event=event, upload=upload("a.png", image_bytes("PNG", size=(20, 20))),
                               phase=PhotoPhase.DURING, user=world.official)

    anonymous = client.get(photo.image.url)
    client.force_login(world.leader)
    signed_in = client.get(photo.image.url)

    assert anonymous.status_code == 302
    assert anonymous.url.startswith("/accounts/login/")
    assert signed_in.status_code == 200
    assert b"".join(signed_in.streaming_content) == photo.image.read()


# Bounded decoding ------------------------------------------------------------------------------


def test_solid_png_is_a_png_of_its_size_and_colour_throughout():
    image = Image.open(io.BytesIO(solid_png(2000, 1000, (10, 20, 30))))  # several repeated blocks and a rest

    image.load()

    assert (image.format, image.size, image.getextrema()) == ("PNG", (2000, 1000), ((10, 10), (20, 20), (30, 30)))


def test_png_of_the_attack_is_refused_from_its_header_with_the_limit(as_official, world, media):
    content = solid_png(7740, 7740)

    response = record_with(as_official, world, upload("攻击.png", content))

    assert len(content) < 250_000
    assert response.context["form"].errors["photos"] == ["“攻击.png”的像素超过了照片 50 百万像素的上限。"]
    assert form_error_codes(response.context["form"]) == {"photos": ["photo_too_many_pixels"]}
    assert files_under(media) == set()


def test_png_over_the_decoding_budget_is_refused_where_a_jpeg_as_large_is_drafted(as_official, world, media, settings):
    settings.CLEARANCE_PHOTO_MAX_DECODED_PIXELS = 2_000_000
    size = (2000, 1500)

    refused = record_with(as_official, world, upload("大图.png", image_bytes("PNG", size=size)))
    accepted = record_with(as_official, world, upload("大图.jpg", image_bytes("JPEG", size=size), "image/jpeg"))

    assert refused.context["form"].errors["photos"] == [
        "“大图.png”是超过 2 百万像素（多帧图片按各帧合计）的 PNG、WebP 或 HEIC 图片，这类格式须完整解码：请存为 JPEG，或缩小后再上传。"]
    assert accepted.status_code == 302
    photo = Photo.objects.get()
    assert Image.open(photo.image.path).size == size
    assert Image.open(photo.thumbnail.path).size == (480, 360)


def test_every_frame_of_an_animated_png_counts_against_the_budget(world, media, settings):
    settings.CLEARANCE_PHOTO_MAX_DECODED_PIXELS = 25_000
    frames = [Image.new("RGB", (100, 100), color) for color in ("red", "green", "blue")]
    animated = io.BytesIO()
    frames[0].save(animated, "PNG", save_all=True, append_images=frames[1:])

    with pytest.raises(ValidationError) as refused:
        services.photo_check(upload("动图.png", animated.getvalue()))
    services.photo_check(upload("单帧.png", image_bytes("PNG", size=(100, 100))))

    assert refused.value.code == "photo_too_many_pixels"


def test_jpeg_of_a_48_megapixel_phone_is_accepted_and_thumbnailed(world, media):
    event = Event.objects.get(pk=world.event.pk)
    content = image_bytes("JPEG", size=(8000, 6000))

    photo = services.photo_add(event=event, upload=upload("IMG_48MP.jpg", content, "image/jpeg"),
                               phase=PhotoPhase.DURING, user=world.official)

    assert Path(photo.image.path).read_bytes() == content
    assert Image.open(photo.thumbnail.path).size == (480, 360)


def test_photos_decoding_too_much_together_are_refused_and_jpegs_do_not_count(as_official, world, media, settings):
    settings.CLEARANCE_PHOTOS_DECODED_PIXELS_PER_UPLOAD = 2_500_000
    def pngs(count):
        return [upload(f"{n}.png", image_bytes("PNG", size=(1000, 1000))) for n in range(count)]

    jpegs = [upload(f"{n}.jpg", image_bytes("JPEG", size=(1000, 1000)), "image/jpeg") for n in range(3)]

    refused = record_with(as_official, world, *pngs(3))
    accepted = record_with(as_official, world, *pngs(2), *jpegs)

    assert refused.context["form"].errors["photos"] == [
        "这批照片中的 PNG、WebP、HEIC 图片合计 3.0 百万像素，超过一次上传可解码的 2.5 百万像素：请分几次上传，或改用 JPEG。"]
    assert form_error_codes(refused.context["form"]) == {"photos": ["photos_too_many_pixels"]}
    assert accepted.status_code == 302
    assert Photo.objects.count() == 5


def test_service_refuses_what_the_form_refuses_for_callers_without_the_form(world, media, settings):
    settings.CLEARANCE_PHOTOS_PER_UPLOAD = 1
    event = Event.objects.get(pk=world.event.pk)
    photos = [upload(f"{n}.png", image_bytes("PNG", size=(10, 10))) for n in range(2)]

    with pytest.raises(ValidationError) as refused:
        services.photos_add(event=event, uploads=photos, phase=PhotoPhase.DURING, user=world.official)

    assert refused.value.message_dict == {"photos": ["一次最多上传 1 张照片。"]}
    assert files_under(media) == set()


def test_photo_field_help_names_every_limit(settings):
    settings.CLEARANCE_PHOTOS_PER_UPLOAD = 6
    settings.CLEARANCE_PHOTO_MAX_BYTES = 12 * 1024 * 1024
    settings.CLEARANCE_PHOTO_MAX_PIXELS = 40_000_000
    settings.CLEARANCE_PHOTO_MAX_DECODED_PIXELS = 20_000_000
    settings.CLEARANCE_PHOTOS_DECODED_PIXELS_PER_UPLOAD = 80_000_000

    assert str(PhotosField().help_text) == (
        "支持 JPEG、PNG、WebP、HEIC；一次最多 6 张，每张不超过 12 MB、40 百万像素"
        "（PNG、WebP、HEIC 每张不超过 20 百万像素，合计不超过 80 百万像素）。")
