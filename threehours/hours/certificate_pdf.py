"""The PDF of a certificate (公益证书, issue #15 §3): A4, in Chinese or English, with what a
service-record proof must carry — the holder's name and masked ID number, the organisations, each
activity (dates, place, hours), the total, the chosen evaluations, the issue date, the serial and
a QR code to the public verification page. Long records break across pages with the table's
header repeated, and every page says "page N of M".

Pure rendering: it reads no database; hours.certificates gathers the content."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

import segno
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tables import LongTable

from threehours.core.fonts import PDF_RENDER_LOCK, cjk_font_name
from threehours.core.numbers import format_hours

INK = colors.Color(0.12, 0.14, 0.16)
MUTED = colors.Color(0.42, 0.45, 0.5)
ACCENT = colors.Color(0.91, 0.35, 0.05)
RULE = colors.Color(0.85, 0.86, 0.88)
STRIPE = colors.Color(0.97, 0.97, 0.98)


@dataclass
class ActivityRow:
    days: list[dt.date]
    title: str
    place: str  # an address, or "" for an online activity (never counted, see certificates)
    organisation: str
    hours: Decimal


@dataclass
class EvaluationRow:
    title: str
    organisation: str
    grade: str  # excellent | good | satisfactory
    text: str


@dataclass
class CertificateContent:
    serial: str
    language: str
    holder_name: str  # the real name, or the display name when none is recorded
    id_number_masked: str  # "" when no real name and ID number are recorded
    date_from: dt.date
    date_to: dt.date
    all_time: bool
    organisations: list[str]
    rows: list[ActivityRow]
    total_hours: Decimal
    issued_on: dt.date
    verify_url: str
    evaluations: list[EvaluationRow] | None = None  # None: not chosen
    issued_to_name: str = ""  # the guardian, for a child's certificate
    extra: dict = field(default_factory=dict)


class QrCode(Flowable):
    """A QR code drawn with rectangles (vector: sharp at any zoom and when printed)."""

    def __init__(self, data: str, size: float) -> None:
        super().__init__()
        self.matrix = segno.make(data, error="m").matrix
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        matrix = self.matrix
        cell = self.size / len(matrix)
        self.canv.setFillColor(colors.black)
        for row, cells in enumerate(matrix):
            col = 0
            while col < len(cells):
                if not cells[col]:
                    col += 1
                    continue
                start = col
                while col < len(cells) and cells[col]:
                    col += 1
                # One rectangle per run of dark modules: fewer drawing operators.
                y = self.size - (row + 1) * cell
                self.canv.rect(start * cell, y, (col - start) * cell, cell, stroke=0, fill=1)


def _numbered_canvas(font: str, label: str, footer: str):
    """A canvas that holds the pages back until the end, so each can say "page N of M"."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            count = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                width, _height = A4
                self.setFont(font, 8)
                self.setFillColor(MUTED)
                self.drawString(18 * mm, 10 * mm, footer)
                self.drawRightString(width - 18 * mm, 10 * mm, label % {"n": number, "m": count})
                super().showPage()
            super().save()

    return NumberedCanvas


def _grade(code: str) -> str:
    labels = {
        "excellent": pgettext("certificate", "Excellent"),
        "good": pgettext("certificate", "Good"),
        "satisfactory": pgettext("certificate", "Satisfactory"),
    }
    return labels.get(code, code)


def _date(day: dt.date, language: str) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if language != "en" else day.isoformat()


def _days(days: list[dt.date], language: str) -> str:
    """The days of one activity: `2026-12-07`, or runs of consecutive days joined
    (`2026-12-07 – 12-09, 2026-12-12`)."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        first, last = run[0], run[-1]
        if first == last:
            parts.append(first.isoformat())
        elif first.year == last.year:
            parts.append(f"{first.isoformat()} – {last:%m-%d}")
        else:
            parts.append(f"{first.isoformat()} – {last.isoformat()}")
    return ", ".join(parts)


def certificate_pdf(content: CertificateContent) -> bytes:
    """The certificate's PDF bytes, in `content.language` (zh-hans or en). One rendering at a
    time per process (core.fonts.PDF_RENDER_LOCK)."""
    with PDF_RENDER_LOCK, translation.override(content.language):
        return _render(content)


def _render(content: CertificateContent) -> bytes:
    font = cjk_font_name()
    lang = content.language

    def style(name: str, size: float, **kwargs) -> ParagraphStyle:
        return ParagraphStyle(
            name,
            fontName=font,
            fontSize=size,
            leading=kwargs.pop("leading", size * 1.45),
            textColor=kwargs.pop("textColor", INK),
            wordWrap="CJK",
            **kwargs,
        )

    title = style("title", 22, alignment=TA_CENTER, leading=30)
    subtitle = style("subtitle", 11, alignment=TA_CENTER, textColor=MUTED)
    body = style("body", 10.5, leading=17)
    cell = style("cell", 8.5, leading=11.5)
    cell_right = style("cell_right", 8.5, leading=11.5, alignment=2)
    head = style("head", 8.5, leading=11.5, textColor=colors.white)
    head_right = style("head_right", 8.5, leading=11.5, textColor=colors.white, alignment=2)
    small = style("small", 8, leading=11, textColor=MUTED)
    h2 = style("h2", 12, leading=18, spaceBefore=8, spaceAfter=4)

    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    total = format_hours(content.total_hours)
    id_text = content.id_number_masked or _("not verified (no real name recorded)")
    period = pgettext("certificate", "%(from)s to %(to)s") % {
        "from": _date(content.date_from, lang),
        "to": _date(content.date_to, lang),
    }
    if content.all_time:
        period += " " + pgettext("certificate", "(all time)")

    story: list = []
    story.append(Paragraph(esc(_("Certificate of Volunteer Service")), title))
    if lang != "en":
        story.append(Paragraph("公益证书", subtitle))
    else:
        story.append(Paragraph("志愿服务证明 / 公益证书", subtitle))
    story.append(Spacer(1, 6 * mm))
    statement = _(
        "This certifies that %(name)s (ID number %(id)s) took part in volunteer service from "
        "%(from)s to %(to)s, for %(hours)s hours of volunteer service time in total, as recorded "
        "below."
    ) % {
        "name": f"<b>{esc(content.holder_name)}</b>",
        "id": esc(id_text),
        "from": _date(content.date_from, lang),
        "to": _date(content.date_to, lang),
        "hours": f"<b>{total}</b>",
    }
    story.append(Paragraph(statement, body))
    story.append(Spacer(1, 4 * mm))

    facts = [
        (pgettext("certificate", "Full name"), content.holder_name),
        (pgettext("certificate", "ID number"), id_text),
        (pgettext("certificate", "Period"), period),
        (
            pgettext("certificate", "Organisations"),
            "、".join(content.organisations) if lang != "en" else "; ".join(content.organisations),
        ),
        (
            pgettext("certificate", "Total service hours"),
            pgettext("certificate", "%(hours)s h") % {"hours": total},
        ),
        (pgettext("certificate", "Number of activities"), str(len(content.rows))),
    ]
    if content.issued_to_name:
        facts.append((pgettext("certificate", "Issued to (guardian)"), content.issued_to_name))
    facts_table = Table(
        [[Paragraph(esc(k), small), Paragraph(esc(v), cell)] for k, v in facts],
        colWidths=[38 * mm, 136 * mm],
        hAlign="LEFT",
    )
    facts_table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    story.append(facts_table)

    story.append(Paragraph(esc(pgettext("certificate", "Service record")), h2))
    header = [
        Paragraph(esc(pgettext("certificate", "Date")), head),
        Paragraph(esc(pgettext("certificate", "Activity")), head),
        Paragraph(esc(pgettext("certificate", "Place")), head),
        Paragraph(esc(pgettext("certificate", "Organisation")), head),
        Paragraph(esc(pgettext("certificate", "Hours")), head_right),
    ]
    data = [header]
    for row in content.rows:
        data.append(
            [
                Paragraph(esc(_days(row.days, lang)), cell),
                Paragraph(esc(row.title), cell),
                Paragraph(esc(row.place or pgettext("certificate", "online")), cell),
                Paragraph(esc(row.organisation), cell),
                Paragraph(format_hours(row.hours), cell_right),
            ]
        )
    data.append(
        [
            Paragraph(esc(pgettext("certificate", "Total")), cell),
            "",
            "",
            "",
            Paragraph(f"<b>{total}</b>", cell_right),
        ]
    )
    record = LongTable(data, colWidths=[30 * mm, 52 * mm, 44 * mm, 34 * mm, 14 * mm], repeatRows=1)
    last = len(data) - 1
    record.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ROWBACKGROUNDS", (0, 1), (-1, last - 1), [colors.white, STRIPE]),
                ("LINEBELOW", (0, 1), (-1, last - 1), 0.3, RULE),
                ("LINEABOVE", (0, last), (-1, last), 0.8, INK),
                ("SPAN", (0, last), (3, last)),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    story.append(record)
    story.append(Spacer(1, 2 * mm))
    story.append(
        Paragraph(
            esc(
                _(
                    "Counted: volunteer service time of attended activities, per day as "
                    "credited by the organisers, corrections included. Online participation "
                    "credit is not volunteer service time and is not counted."
                )
            ),
            small,
        )
    )

    if content.evaluations is not None:
        story.append(Paragraph(esc(_("Evaluations by the organisations")), h2))
        if content.evaluations:
            rows = [
                [
                    Paragraph(esc(pgettext("certificate", "Activity")), head),
                    Paragraph(esc(pgettext("certificate", "Organisation")), head),
                    Paragraph(esc(pgettext("certificate", "Grade")), head),
                    Paragraph(esc(pgettext("certificate", "Evaluation")), head),
                ]
            ]
            for evaluation in content.evaluations:
                rows.append(
                    [
                        Paragraph(esc(evaluation.title), cell),
                        Paragraph(esc(evaluation.organisation), cell),
                        Paragraph(esc(_grade(evaluation.grade)), cell),
                        Paragraph(esc(evaluation.text), cell),
                    ]
                )
            evaluations = LongTable(
                rows, colWidths=[46 * mm, 34 * mm, 20 * mm, 74 * mm], repeatRows=1
            )
            evaluations.setStyle(
                TableStyle(
                    [
                        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
                        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                    ]
                )
            )
            story.append(evaluations)
        else:
            story.append(Paragraph(esc(_("No evaluations were recorded for this period.")), small))

    qr_size = 30 * mm
    verify_text = [
        Paragraph(esc(_("Issued on %(day)s") % {"day": _date(content.issued_on, lang)}), body),
        Paragraph(esc(_("Serial number: %(serial)s") % {"serial": content.serial}), body),
        Spacer(1, 2 * mm),
        Paragraph(
            esc(
                _(
                    "Anyone can check that this certificate is genuine and still valid: scan "
                    "the QR code or open the address below. The page shows the serial number, "
                    "the holder's masked name, the period, the total hours and the SHA-256 hash "
                    "of this PDF file."
                )
            ),
            small,
        ),
        Paragraph(esc(content.verify_url), small),
    ]
    closing = Table(
        [[verify_text, QrCode(content.verify_url, qr_size)]],
        colWidths=[174 * mm - qr_size - 4 * mm, qr_size + 4 * mm],
        hAlign="LEFT",
    )
    closing.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, INK),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story.append(Spacer(1, 6 * mm))
    story.append(KeepTogether([closing]))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=_("Certificate of Volunteer Service") + f" {content.serial}",
        author="threehours",
        pageCompression=1,
    )
    footer = f"threehours / {content.serial}"
    doc.build(
        story,
        canvasmaker=_numbered_canvas(font, _("Page %(n)s of %(m)s"), footer),
    )
    return buffer.getvalue()
