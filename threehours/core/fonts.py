"""The CJK font of PDFs (posters, the endorsement template).

reportlab can embed TrueType outlines only (not Noto CJK's CFF). An embedded TrueType font (the
setting CJK_FONT_PATHS, by default Debian's WenQuanYi) looks the same in every viewer. Without
one, a PDF is still made rather than a 500: with reportlab's built-in CID font STSong-Light, which
is named in the PDF but not embedded, so the viewer draws it with a Chinese font of its own (a
viewer without any may show blank text, NOTES.md). A warning in the log says so."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "ThreehoursCJK"
FALLBACK_FONT_NAME = "STSong-Light"  # Adobe's Simplified Chinese standard font, known to reportlab

log = logging.getLogger(__name__)

# reportlab is not thread-safe: an embedded TrueType font keeps the glyph subset of the
# document being built on the shared font object, so two PDFs drawn at once in one process (a
# threaded server worker) corrupt each other's subset (KeyError in makeSubset, seen under
# bench/certificates.py). Every PDF drawn with the CJK font holds this lock while it draws:
# certificates, the data download's summary, activity posters, the endorsement template.
# Drawing is CPU-bound and holds the GIL anyway: one at a time per process costs nothing.
PDF_RENDER_LOCK = threading.Lock()


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
    """Register the configured CJK TrueType font with reportlab (once) and return its name;
    when none of the configured paths exists, the built-in CID font STSong-Light."""
    candidates = [Path(p) for p in settings.CJK_FONT_PATHS]
    for path in candidates:
        if path.exists():
            subfont = 0 if path.suffix.lower() == ".ttc" else None
            font = TTFont(FONT_NAME, str(path), subfontIndex=subfont or 0)
            pdfmetrics.registerFont(font)
            return FONT_NAME
    log.warning(
        "No CJK TrueType font found for PDFs (looked at: %s); using the built-in %s, which "
        "PDF viewers draw with a font of their own. Install one for PDFs that look the same "
        "everywhere, e.g. `apt-get install fonts-wqy-microhei`, or set THREEHOURS_CJK_FONT.",
        ", ".join(map(str, candidates)),
        FALLBACK_FONT_NAME,
    )
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT_NAME))
    return FALLBACK_FONT_NAME
