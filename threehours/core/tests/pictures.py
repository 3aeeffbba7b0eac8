"""Test pictures: a photo-like image, optionally with a real QR code (segno) in it."""

from __future__ import annotations

import io
import random

import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageChops, ImageDraw, ImageFilter


def photo(
    *, size=(2000, 1500), qr: str | None = None, qr_scale: int = 6, noise: int = 0
) -> Image.Image:
    """A blurred scene of gradients and blobs (no sharp squares that look like a code), with a
    QR code encoding `qr` pasted in its lower right quarter, slightly turned, as in a photo;
    `noise` (0–255) adds grain as in a dim phone photo."""
    rnd = random.Random(7)
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    width, height = size
    for y in range(0, height, 4):
        draw.rectangle(
            [0, y, width, y + 4], fill=(110 + y * 110 // height, 150, 80 + y * 70 // height)
        )
    for _ in range(250):
        x, y, r = rnd.randrange(width), rnd.randrange(height), rnd.randrange(20, 160)
        draw.ellipse([x, y, x + r, y + r], fill=tuple(rnd.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(3))
    if qr is not None:
        buffer = io.BytesIO()
        segno.make(qr, error="m").save(buffer, kind="png", scale=qr_scale, border=4)
        buffer.seek(0)
        code = Image.open(buffer).convert("RGB").rotate(8, expand=True, fillcolor=(235, 235, 230))
        image.paste(code, (width * 3 // 5, height // 2))
    if noise:
        grain = Image.frombytes("L", size, rnd.randbytes(width * height))
        grain = grain.point(lambda v: v * noise // 255).convert("RGB")
        image = ImageChops.add(
            ImageChops.subtract(image, Image.new("RGB", size, (noise // 2,) * 3)), grain
        )
    return image


def photo_upload(
    *, qr: str | None = None, name: str = "photo.jpg", size=(2000, 1500)
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    photo(size=size, qr=qr).save(buffer, format="JPEG", quality=88)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def qr_png_upload(text: str, *, name: str = "code.png", scale: int = 10) -> SimpleUploadedFile:
    """A bare QR code as a PNG, as someone would save it from a payment app."""
    buffer = io.BytesIO()
    segno.make(text).save(buffer, kind="png", scale=scale, border=4)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- files an upload check must refuse or clean (organisation scans, activity images) --------


def exif_with_gps() -> bytes:
    """EXIF naming the camera and, in its GPS block, where the photo was taken."""
    from PIL import ExifTags

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.DateTime] = "2020:01:01 08:00:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 11.0, 16.8)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 26.0, 13.2)
    return exif.tobytes()


def jpeg_bytes(*, size=(900, 700), exif: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    photo(size=size).save(buffer, format="JPEG", quality=88, **({"exif": exif} if exif else {}))
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    """The first half of a JPEG: the header reads fine, the pixels do not."""
    data = jpeg_bytes()
    return data[: len(data) // 2]


def bomb_png(width: int = 60000, height: int = 60000) -> bytes:
    """A tiny PNG that claims 3.6 gigapixels (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def noise_bmp(side: int) -> bytes:
    """An uncompressed square image of random pixels: side² × 3 bytes plus a 54-byte header."""
    grain = random.Random(side).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), grain).save(buffer, format="BMP")
    return buffer.getvalue()
