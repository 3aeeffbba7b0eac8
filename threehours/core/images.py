"""Uploaded images: checked by their content (never their name), limited in size and pixels,
re-encoded (which drops EXIF and anything hidden after the image data) and turned upright.

Used for qualification scans, activity covers and description images. A refused upload raises
InvalidImage with a translated message naming what is wrong; nothing is stored."""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DomainError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"}
MAX_PIXELS = 40_000_000  # a 40-megapixel scan; above it a decompression bomb is likelier


class InvalidImage(DomainError):
    code = "invalid_image"
    default_message = _(
        "This file is not an image we can read. Please upload a JPEG or PNG photo or scan."
    )


class ImageTooLarge(InvalidImage):
    code = "image_too_large"
    default_message = _("The file is too large: at most %(max_mb)s MB.")


class ImageTooSmall(InvalidImage):
    code = "image_too_small"
    default_message = _("The image is too small: at least %(min_px)s pixels on its shorter side.")


@dataclass
class CleanImage:
    content: ContentFile
    width: int
    height: int
    original_size: int
    original_format: str


def image_clean(
    upload: UploadedFile,
    *,
    max_bytes: int,
    max_side: int = 2400,
    min_side: int = 200,
    quality: int = 85,
) -> CleanImage:
    """Validate an uploaded image and return it re-encoded as JPEG (PNG when it has
    transparency), at most `max_side` pixels on its longer side, without metadata.
    Raises InvalidImage, ImageTooLarge, ImageTooSmall."""
    size = upload.size or 0
    if size > max_bytes:
        raise ImageTooLarge(max_mb=max_bytes // (1024 * 1024))
    if size == 0:
        raise InvalidImage()
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageTooLarge(max_mb=max_bytes // (1024 * 1024))
    try:
        with warnings.catch_warnings():
            # Pillow warns, then errors, on decompression bombs; both are refusals here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                if fmt not in ALLOWED_FORMATS:
                    raise InvalidImage()
                if probe.width * probe.height > MAX_PIXELS:
                    raise InvalidImage(
                        _("The image has too many pixels (at most %(mp)s megapixels)."),
                        mp=MAX_PIXELS // 1_000_000,
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # decodes every byte: a truncated file fails here
                image = ImageOps.exif_transpose(image)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise InvalidImage() from exc
    if min(image.size) < min_side:
        raise ImageTooSmall(min_px=min_side)
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (
        image.mode == "P" and "transparency" in image.info
    )
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if has_alpha:
        image.convert("RGBA").save(out, format="PNG", optimize=True)
        ext = "png"
    else:
        image.convert("RGB").save(
            out, format="JPEG", quality=quality, optimize=True, progressive=True
        )
        ext = "jpg"
    return CleanImage(
        content=ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ext}"),
        width=image.width,
        height=image.height,
        original_size=size,
        original_format=fmt,
    )
