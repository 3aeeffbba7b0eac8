"""The CJK TrueType font embedded in PDFs (certificates, posters, templates).

reportlab can embed TrueType outlines only (not Noto CJK's CFF), and the built-in CID fonts are
not embedded, so many viewers would show blank text (NOTES.md). Fail loudly when none is found."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "ThreehoursCJK"


def wrap_cjk(text: str, *, font: str, size: float, width: float) -> list[str]:
    """Break text into lines that fit `width` points; CJK text may break between any two
    characters."""
    lines, line = [], ""
    for char in text:
        if pdfmetrics.stringWidth(line + char, font, size) > width:
            lines.append(line)
            line = char
        else:
            line += char
    return [*lines, line] if line else lines


@lru_cache(maxsize=1)
def cjk_font_name() -> str:
    """Register the configured CJK font with reportlab (once) and return its name."""
    candidates = [Path(p) for p in settings.CJK_FONT_PATHS]
    for path in candidates:
        if path.exists():
            subfont = 0 if path.suffix.lower() == ".ttc" else None
            font = TTFont(FONT_NAME, str(path), subfontIndex=subfont or 0)
            pdfmetrics.registerFont(font)
            return FONT_NAME
    raise ImproperlyConfigured(
        "No CJK TrueType font found for PDFs (looked at: "
        + ", ".join(map(str, candidates))
        + "). Install one, e.g. `apt-get install fonts-wqy-microhei`, or set THREEHOURS_CJK_FONT."
    )
