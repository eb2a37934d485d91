"""Photos of events: checked by content, stored under random names with a thumbnail, all or nothing."""

import contextlib
import errno
import io
import logging
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pillow_heif import register_heif_opener

from ..models import Event, Photo, ProjectEvent, ProjectPhoto
from .base import User, save_validated
from .edits import row_delete, row_update

logger = logging.getLogger(__name__)

# Pillow's name for each accepted format and the extension it is stored under.
# HEIC (iPhones) is opened through pillow-heif and stored as JPEG, which every browser shows.
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "jpg"}
# The formats Pillow can decode at a fraction of their size (JPEG's DCT scaling), so that their pixels cost
# little; the others are decoded whole and are held to CLEARANCE_PHOTO_MAX_DECODED_PIXELS.
DRAFTED_FORMATS = {"JPEG"}


register_heif_opener()
# Pillow's own guard against decompression bombs, at our limit: photo_check refuses first, with the limit named.
Image.MAX_IMAGE_PIXELS = settings.CLEARANCE_PHOTO_MAX_PIXELS


def photo_check(upload) -> str:
    """Return the Pillow format of UPLOAD; refuse a file over the size limit, not a JPEG, PNG, WebP or HEIC image,
    or holding more pixels than may be decoded (read from its header: nothing is decoded here).

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
    image_format, pixels, frames = _photo_header(upload, not_a_photo)
    if image_format not in PHOTO_FORMATS:
        raise not_a_photo
    if pixels > settings.CLEARANCE_PHOTO_MAX_PIXELS:
        raise _too_many_pixels(name)
    if image_format not in DRAFTED_FORMATS and pixels * frames > settings.CLEARANCE_PHOTO_MAX_DECODED_PIXELS:
        raise ValidationError(
            _("%(name)s is a PNG, WebP or HEIC image of more than %(limit)s megapixels (all its frames counted); "
              "these formats are decoded whole: save it as JPEG, or smaller.")
            % {"name": name, "limit": f"{settings.CLEARANCE_PHOTO_MAX_DECODED_PIXELS / 1_000_000:g}"},
            code="photo_too_many_pixels",
        )
    return image_format


def photos_check(uploads) -> None:
    """Refuse UPLOADS, with every reason: too many at once, any photo photo_check refuses, or together more
    PNG, WebP and HEIC pixels than one request may decode (CLEARANCE_PHOTOS_DECODED_PIXELS_PER_UPLOAD)."""
    uploads = list(uploads)
    if len(uploads) > settings.CLEARANCE_PHOTOS_PER_UPLOAD:
        raise ValidationError(
            _("At most %(count)s photos at a time."),
            code="too_many_photos",
            params={"count": settings.CLEARANCE_PHOTOS_PER_UPLOAD},
        )
    errors, decoded = [], 0
    for upload in uploads:
        try:
            image_format = photo_check(upload)
        except ValidationError as error:
            errors.extend(error.error_list)
            continue
        if image_format not in DRAFTED_FORMATS:
            _format, pixels, frames = _photo_header(upload, None)
            decoded += pixels * frames
    limit = settings.CLEARANCE_PHOTOS_DECODED_PIXELS_PER_UPLOAD
    if not errors and decoded > limit:
        errors.append(ValidationError(
            _("These photos hold %(pixels)s megapixels of PNG, WebP or HEIC together, more than the %(limit)s "
              "megapixels one upload may decode; upload them in several goes, or as JPEG.")
            % {"pixels": f"{decoded / 1_000_000:.1f}", "limit": f"{limit / 1_000_000:g}"},
            code="photos_too_many_pixels",
        ))
    if errors:
        raise ValidationError(errors)


def _photo_header(upload, not_a_photo: ValidationError | None) -> tuple[str, int, int]:
    """Return UPLOAD's format, pixels (width × height) and frames, read from its header; NOT_A_PHOTO when unreadable."""
    name = getattr(upload, "name", "") or ""
    try:
        upload.seek(0)
        with _photo_open(upload) as image:
            header = image.format, image.width * image.height, getattr(image, "n_frames", 1)
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise not_a_photo from error
    finally:
        upload.seek(0)
    return header


def _too_many_pixels(name: str) -> ValidationError:
    return ValidationError(
        _("%(name)s has more pixels than the %(limit)s megapixels a photo may have.")
        % {"name": name, "limit": f"{settings.CLEARANCE_PHOTO_MAX_PIXELS / 1_000_000:g}"},
        code="photo_too_many_pixels",
    )


@contextlib.contextmanager
def _photo_open(upload):
    """Open UPLOAD lazily (its header only) as one of the accepted formats, Pillow's bomb warning raised as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(upload, formats=list(PHOTO_FORMATS)) as image:
            yield image


def photo_renditions(upload, image_format: str):
    """Return (image, thumbnail) as files named only by their format: the client's name never becomes a path.

    Only a HEIC photo is decoded at full size (to be stored as JPEG); a JPEG is
    decoded at 1/2 to 1/8 of its size, just above the thumbnail's, and the other
    formats are stored as uploaded and reduced before they are converted.
    """
    side = settings.CLEARANCE_PHOTO_THUMBNAIL_PX
    upload.seek(0)
    with _photo_open(upload) as image:
        if image_format == "JPEG":
            image.draft("RGB", (side, side))
        ImageOps.exif_transpose(image, in_place=True)
        if image_format == "HEIF":
            original = ContentFile(_jpeg_bytes(image, quality=90), name="photo.jpg")
        else:
            upload.seek(0)
            original = ContentFile(upload.read(), name=f"photo.{PHOTO_FORMATS[image_format]}")
        image.thumbnail((side, side))
        thumbnail = ContentFile(_jpeg_bytes(image, quality=80), name="thumb.jpg")
    return original, thumbnail


def _jpeg_bytes(image: Image.Image, *, quality: int) -> bytes:
    """Return IMAGE as JPEG bytes, transparent parts on white."""
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    elif image.mode == "L":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@transaction.atomic
def photo_add(
    *, event: Event | ProjectEvent, upload, phase: str, user: User | None, caption: str = ""
) -> Photo | ProjectPhoto:
    """Attach the photo UPLOAD to EVENT (a clearance event or a project's) with a thumbnail, stored under
    MEDIA_ROOT with random names."""
    image_format = photo_check(upload)
    original, thumbnail = photo_renditions(upload, image_format)
    photo_model = ProjectPhoto if isinstance(event, ProjectEvent) else Photo
    photo = photo_model(event=event, phase=phase, caption=caption[:200], uploaded_by=user)
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
def photos_add(*, event: Event | ProjectEvent, uploads, phase: str, user: User | None) -> list[Photo | ProjectPhoto]:
    """Attach every one of UPLOADS to EVENT; when one is refused none is kept, files included."""
    uploads = list(uploads)
    try:
        photos_check(uploads)
    except ValidationError as error:
        raise ValidationError({"photos": error.error_list}) from None
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
