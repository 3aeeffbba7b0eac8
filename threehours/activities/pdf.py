"""The printable A4 poster of an activity: title, time, place, organiser and the share QR code
(docs/product.md §2, "Activity management")."""

from __future__ import annotations

import io

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from threehours.core.fonts import PDF_RENDER_LOCK, cjk_font_name, wrap_cjk
from threehours.core.numbers import format_hours

from .models import Activity


def _draw_qr(pdf: canvas.Canvas, data: str, *, x: float, y: float, size: float) -> None:
    matrix = segno.make(data, error="m").matrix
    cell = size / len(matrix)
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                pdf.rect(x + col * cell, y + size - (row + 1) * cell, cell, cell, stroke=0, fill=1)


def activity_poster_pdf(*, activity: Activity, url: str) -> bytes:
    """One A4 page in Chinese with the activity's essentials and a QR code to `url`."""
    with PDF_RENDER_LOCK:  # the shared CJK font is not thread-safe (core.fonts)
        return _activity_poster_pdf_draw(activity=activity, url=url)


def _activity_poster_pdf_draw(*, activity: Activity, url: str) -> bytes:
    """Draw it (under PDF_RENDER_LOCK)."""
    font = cjk_font_name()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(activity.title)
    width, height = A4
    left, right = 22 * mm, width - 22 * mm
    pdf.setFillColorRGB(0.91, 0.35, 0.05)
    pdf.rect(0, height - 18 * mm, width, 18 * mm, stroke=0, fill=1)
    pdf.setFillColorRGB(1, 1, 1)
    pdf.setFont(font, 14)
    # "・" (U+30FB), not "·" (U+00B7): the fallback CID font has no glyph for the latter.
    pdf.drawString(left, height - 12 * mm, "threehours 公益志愿服务平台・志愿者招募")
    pdf.setFillColorRGB(0.12, 0.14, 0.16)
    y = height - 42 * mm
    pdf.setFont(font, 28)
    for line in wrap_cjk(activity.title, font=font, size=28, width=right - left):
        pdf.drawString(left, y, line)
        y -= 12 * mm
    pdf.setFont(font, 13)
    days = activity.start_date.strftime("%Y年%m月%d日")
    if activity.end_date != activity.start_date:
        days += " – " + activity.end_date.strftime("%m月%d日")
    place = (
        "线上活动"
        if activity.online
        else (
            f"{activity.city.label if activity.city_id else ''}"
            f"{activity.district.name if activity.district_id else ''} {activity.address}"
        )
    )
    rows = [
        ("时间", f"{days}，每天 {activity.checkin_time:%H:%M}–{activity.checkout_time:%H:%M}"),
        ("地点", place),
        ("公益时", f"每天最多 {format_hours(activity.max_hours_per_day)} 小时"),
        ("名额", f"{activity.places} 人"),
        ("费用", "免费" if not activity.fee_yuan else f"{activity.fee_yuan} 元/人（现场收取）"),
        ("报名截止", activity.registration_deadline.strftime("%Y年%m月%d日")),
        ("主办", activity.organisation.name),
        ("联系", f"{activity.contact_name} {activity.contact_phone}"),
    ]
    y -= 4 * mm
    for label, value in rows:
        pdf.setFillColorRGB(0.42, 0.45, 0.5)
        pdf.drawString(left, y, label)
        pdf.setFillColorRGB(0.12, 0.14, 0.16)
        for i, line in enumerate(wrap_cjk(value, font=font, size=13, width=right - left - 28 * mm)):
            pdf.drawString(left + 28 * mm, y - i * 6.5 * mm, line)
            if i:
                y -= 6.5 * mm
        y -= 10 * mm
    qr_size = 70 * mm
    pdf.setFillColorRGB(0, 0, 0)
    _draw_qr(pdf, url, x=(width - qr_size) / 2, y=38 * mm, size=qr_size)
    pdf.setFont(font, 14)
    pdf.drawCentredString(width / 2, 28 * mm, "手机扫码查看活动并报名")
    pdf.setFont(font, 9)
    pdf.setFillColorRGB(0.42, 0.45, 0.5)
    pdf.drawCentredString(width / 2, 20 * mm, url)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
