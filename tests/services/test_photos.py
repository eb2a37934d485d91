"""Photos recorded with progress: checked by content, size-limited, thumbnailed, stored under MEDIA_ROOT by random names."""

import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from clearance import services
from clearance.choices import PhotoPhase, Stage
from clearance.models import Event, Photo

from tests.errors import form_error_codes

pytestmark = pytest.mark.django_db

STORED_NAME = re.compile(r"^photos/\d{4}/\d{2}/[0-9a-f]{32}\.(jpg|png|webp)$")


def image_bytes(fmt: str = "PNG", size=(1200, 900), color="orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


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

    assert response.context["form"].errors["photos"] == ["“huge.png”像素过多，无法处理。"]
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
