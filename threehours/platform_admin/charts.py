"""Charts drawn on the server as inline SVG (issue #16 §6): no JavaScript, no CDN, nothing the
Content-Security-Policy has to allow (presentation attributes, no `style`). Pure functions:
numbers and labels in, markup out; every label is escaped.

- column_chart: vertical bars over time (months), a y axis with round ticks and grid lines,
  the value above each bar when there is room;
- bar_chart: horizontal bars for categories (regions, types, organisations), the label on the
  left and the value at the end of the bar.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = (
    "system-ui, -apple-system, 'PingFang SC', 'Noto Sans CJK SC', 'WenQuanYi Zen Hei', sans-serif"
)
INK, MUTED, GRID = "#1e293b", "#64748b", "#e2e8f0"
COLOURS = {"blue": "#2563eb", "green": "#16a34a", "orange": "#ea580c", "violet": "#7c3aed"}


def nice_max(value: float, *, whole: bool = False) -> tuple[float, float]:
    """A round top for the axis and its tick step (5 ticks or fewer): 37 → (40, 10). `whole`:
    counts, so the step is at least 1 (no "0.5 registrations")."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= raw:
            break
    if whole:
        step = max(1.0, math.ceil(step))
    return step * math.ceil(value / step), step


def _fmt(value: float | int | Decimal) -> str:
    if isinstance(value, Decimal | float):
        number = float(value)
        if number.is_integer():
            return f"{int(number):,}"
        return f"{number:,.1f}"
    return f"{value:,}"


def _text(x, y, text, *, anchor="middle", size=12, fill=INK, weight="normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{fill}" font-weight="{weight}">{escape(text)}</text>'
    )


def column_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | int | Decimal],
    unit: str = "",
    colour: str = "blue",
    width: int = 560,
    height: int = 260,
) -> SafeString:
    """Vertical bars, one per label (e.g. months "2026-03"), with a y axis."""
    left, right, top, bottom = 56, 12, 34, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    whole = all(isinstance(v, int) for v in values)
    top_value, step = nice_max(max((float(v) for v in values), default=0), whole=whole)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" font-family="{escape(FONT)}" '
        f'class="chart">',
        f"<title>{escape(title)}</title>",
        _text(
            left, 20, title + (f"（{unit}）" if unit else ""), anchor="start", size=14, weight="600"
        ),
    ]
    ticks = int(round(top_value / step))
    for i in range(ticks + 1):
        value = step * i
        y = top + plot_h - plot_h * value / top_value
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID if i else MUTED}" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y + 4, _fmt(value), anchor="end", size=11, fill=MUTED))
    n = max(len(values), 1)
    slot = plot_w / n
    bar = max(min(slot * 0.7, 48), 2)
    every = max(1, math.ceil(n / 12))  # at most 12 labels under the axis
    # Labels wider than their slot (≈ 6.5 px a character at 11 px) are turned 40°.
    turn = max((len(label) for label in labels), default=0) * 6.5 > slot * every * 0.95
    fill = COLOURS.get(colour, colour)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * float(value) / top_value
        x = left + slot * i + (slot - bar) / 2
        y = top + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{fill}" '
            f'rx="2"><title>{escape(label)}: {escape(_fmt(value))}</title></rect>'
        )
        if n <= 18 and float(value) > 0:
            parts.append(_text(x + bar / 2, y - 4, _fmt(value), size=10, fill=INK))
        if i % every == 0:
            lx, ly = x + bar / 2, top + plot_h + 16
            if turn:
                parts.append(
                    f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="end" font-size="11" '
                    f'fill="{MUTED}" transform="rotate(-40 {lx:.1f} {ly - 4:.1f})">'
                    f"{escape(label)}</text>"
                )
            else:
                parts.append(_text(lx, ly, label, size=11, fill=MUTED))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | int | Decimal],
    unit: str = "",
    colour: str = "green",
    width: int = 560,
    label_width: int = 150,
) -> SafeString:
    """Horizontal bars, one per category, largest first as given."""
    row, top, right = 26, 34, 64
    height = top + row * max(len(values), 1) + 10
    plot_w = width - label_width - right
    top_value = max((float(v) for v in values), default=0) or 1.0
    fill = COLOURS.get(colour, colour)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" font-family="{escape(FONT)}" '
        f'class="chart">',
        f"<title>{escape(title)}</title>",
        _text(
            8, 20, title + (f"（{unit}）" if unit else ""), anchor="start", size=14, weight="600"
        ),
        f'<line x1="{label_width}" x2="{label_width}" y1="{top - 4}" y2="{height - 6}" '
        f'stroke="{MUTED}" stroke-width="1"/>',
    ]
    if not values:
        parts.append(_text(width / 2, top + 16, "—", fill=MUTED))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + row * i
        w = plot_w * float(value) / top_value
        short = label if len(label) <= 11 else label[:10] + "…"
        parts.append(_text(label_width - 8, y + 16, short, anchor="end", size=12))
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row - 8}" '
            f'fill="{fill}" rx="2"><title>{escape(label)}: {escape(_fmt(value))}</title></rect>'
        )
        parts.append(
            _text(label_width + w + 6, y + 16, _fmt(value), anchor="start", size=11, fill=INK)
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)
