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
