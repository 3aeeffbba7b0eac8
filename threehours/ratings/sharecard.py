"""The share card (评价分享): a PNG with the activity's title, its organisation, the
volunteer's hours for it and a QR code to the activity's page, drawn with Pillow in the CJK
TrueType font that core.fonts configures for PDFs (settings.CJK_FONT_PATHS)."""

from __future__ import annotations

import io
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import segno
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 750, 1100
GREEN = (22, 128, 88)
INK = (34, 34, 34)
MUTED = (110, 110, 110)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in settings.CJK_FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(str(path), size=size, index=0)
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for char in text:
        if draw.textlength(line + char, font=font) > width:
            lines.append(line)
            line = char
        else:
            line += char
    return [*lines, line] if line else lines


def share_card_png(
    *, activity_id: int, title: str, organisation: str, hours: Decimal, stars: int
) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 220), fill=GREEN)
    draw.text((60, 60), _("I volunteered"), font=_font(52), fill=(255, 255, 255))
    draw.text((60, 140), _("threehours"), font=_font(30), fill=(220, 245, 232))
    y = 270
    for line in _wrap(draw, title, _font(46), WIDTH - 120)[:3]:
        draw.text((60, y), line, font=_font(46), fill=INK)
        y += 62
    y += 10
    for line in _wrap(draw, organisation, _font(30), WIDTH - 120)[:2]:
        draw.text((60, y), line, font=_font(30), fill=MUTED)
        y += 42
    y += 30
    hours_text = f"{hours.quantize(Decimal('0.1'))}"
    draw.text((60, y), hours_text, font=_font(96), fill=GREEN)
    width = draw.textlength(hours_text, font=_font(96))
    draw.text((60 + width + 16, y + 50), _("service hours"), font=_font(34), fill=INK)
    y += 140
    draw.text((60, y), "★" * stars + "☆" * (5 - stars), font=_font(44), fill=(240, 170, 30))
    url = settings.SITE_URL + reverse("activities:detail", args=[activity_id])
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    with Image.open(io.BytesIO(buffer.getvalue())) as qr:
        qr = qr.convert("RGB").resize((280, 280), Image.Resampling.NEAREST)
        image.paste(qr, (WIDTH - 60 - 280, HEIGHT - 60 - 280))
    draw.text((60, HEIGHT - 150), _("Scan to see the activity"), font=_font(30), fill=MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
