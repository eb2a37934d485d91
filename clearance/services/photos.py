"""Photos of events: checked by content, stored under random names with a thumbnail, all or nothing."""

import contextlib
import errno
import io
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pillow_heif import register_heif_opener

from ..models import Event, Photo
from .base import User, save_validated
from .edits import row_delete, row_update

logger = logging.getLogger(__name__)

# Pillow's name for each accepted format and the extension it is stored under.
# HEIC (iPhones) is opened through pillow-heif and stored as JPEG, which every browser shows.
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "jpg"}


register_heif_opener()


def photo_check(upload) -> str:
    """Return the Pillow format of UPLOAD; refuse a file over the size limit or not a JPEG, PNG, WebP or HEIC image.

    The content decides, never the file name: a text file called .jpg is refused.
    """
    name = getattr(upload, "name", "") or ""
    limit = settings.CLEARANCE_PHOTO_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is larger than the limit of %(limit)s MB.")
            % {"name": name, "limit": f"{limit / 1024 / 1024:g}"},
            code="photo_too_big",
        )
    not_a_photo = ValidationError(
        _("%(name)s is not a JPEG, PNG, WebP or HEIC photo.") % {"name": name}, code="photo_not_image"
    )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format, pixels = image.format, image.width * image.height
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise not_a_photo from error
    finally:
        upload.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise not_a_photo
    if pixels > settings.CLEARANCE_PHOTO_MAX_PIXELS:
        raise ValidationError(
            _("%(name)s has too many pixels to be processed.") % {"name": name}, code="photo_too_many_pixels"
        )
    return image_format


def _photo_renditions(upload, image_format: str):
    """Return (image, thumbnail) as files named only by their format: the client's name never becomes a path."""
    upload.seek(0)
    with Image.open(upload) as opened:
        image = ImageOps.exif_transpose(opened)
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        elif image.mode == "L":
            image = image.convert("RGB")
        if image_format == "HEIF":
            converted = io.BytesIO()
            image.save(converted, "JPEG", quality=90)
            original = ContentFile(converted.getvalue(), name="photo.jpg")
        else:
            upload.seek(0)
            original = ContentFile(upload.read(), name=f"photo.{PHOTO_FORMATS[image_format]}")
        side = settings.CLEARANCE_PHOTO_THUMBNAIL_PX
        image.thumbnail((side, side))
        small = io.BytesIO()
        image.save(small, "JPEG", quality=80)
    return original, ContentFile(small.getvalue(), name="thumb.jpg")


@transaction.atomic
def photo_add(*, event: Event, upload, phase: str, user: User | None, caption: str = "") -> Photo:
    """Attach the photo UPLOAD to EVENT with a thumbnail, stored under MEDIA_ROOT with random names."""
    image_format = photo_check(upload)
    original, thumbnail = _photo_renditions(upload, image_format)
    photo = Photo(event=event, phase=phase, caption=caption[:200], uploaded_by=user)
    try:
        _photo_file_store(photo, "image", original)
        _photo_file_store(photo, "thumbnail", thumbnail)
        save_validated(photo, user=user)
    except Exception as error:
        photo_files_delete([photo])
        if isinstance(error, OSError):
            raise _photo_not_stored(getattr(upload, "name", "") or "", error) from error
        raise
    return photo


def _photo_file_store(photo: Photo, field_name: str, content: ContentFile) -> None:
    """Store CONTENT as PHOTO's FIELD_NAME file under a new random name; a write cut short leaves no partial file."""
    field = Photo._meta.get_field(field_name)
    name = field.generate_filename(photo, content.name)
    try:
        stored = field.storage.save(name, content, max_length=field.max_length)
    except OSError:
        # A full disk stops the write part-way and Django leaves the partial file behind.
        with contextlib.suppress(OSError):
            field.storage.delete(name)
        raise
    setattr(photo, field_name, stored)


def _photo_not_stored(name: str, error: OSError) -> ValidationError:
    """The form error for a photo the server could not write; the administrator finds the cause in the log."""
    logger.error("Photo %s could not be stored: %s", name, error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        message = _("%(name)s could not be stored: the server's disk is full. Nothing was saved; please tell the administrator.")
    else:
        message = _("%(name)s could not be stored on the server. Nothing was saved; try again, and tell the administrator if it happens again.")
    return ValidationError({"photos": ValidationError(message % {"name": name}, code="photo_not_stored")})


def photo_files_delete(photos) -> None:
    for photo in photos:
        for field in (photo.image, photo.thumbnail):
            if field.name:
                field.storage.delete(field.name)


@transaction.atomic
def photos_add(*, event: Event, uploads, phase: str, user: User | None) -> list[Photo]:
    """Attach every one of UPLOADS to EVENT; when one is refused none is kept, files included."""
    added: list[Photo] = []
    try:
        for upload in uploads:
            added.append(photo_add(event=event, upload=upload, phase=phase, user=user))
    except BaseException:
        # The rows roll back with the transaction; the files written so far must go too.
        photo_files_delete(added)
        raise
    return added


@transaction.atomic
def photo_update(*, photo: Photo, user: User | None, upload=None, **fields) -> Photo:
    """Change FIELDS (caption, phase) of PHOTO; its image is never replaced (UPLOAD is refused): add another."""
    if upload is not None:
        raise ValidationError(
            {
                "image": ValidationError(
                    _("A photo's image cannot be replaced; add the new photo and delete this one."),
                    code="photo_replaced",
                )
            }
        )
    return row_update(photo, fields=fields, user=user)


@transaction.atomic
def photo_delete(*, photo: Photo, user: User | None) -> None:
    """Delete PHOTO's row, with history; its files stay on disk for the backups."""
    row_delete(photo, user=user)
