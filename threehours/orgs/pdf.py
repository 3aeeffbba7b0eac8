"""The endorsement template (背书证明模板) that school, community and public-service
organisations print, fill in, stamp and upload (docs/product.md §1.3)."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from threehours.core.fonts import PDF_RENDER_LOCK, cjk_font_name, wrap_cjk

from .models import Organisation

ENDORSER = {
    Organisation.Category.SCHOOL: "学校团委",
    Organisation.Category.COMMUNITY: "社区（村）党委 / 居委会（村委会）",
    Organisation.Category.PUBLIC_SERVICE: "单位团委",
}


# The template is a Chinese document whatever the console's language.
CATEGORY_ZH = {
    Organisation.Category.SOCIAL_ORG: "已在民政部门登记注册的社会组织",
    Organisation.Category.SCHOOL: "学校类志愿组织",
    Organisation.Category.COMMUNITY: "社区（村）类志愿组织",
    Organisation.Category.PUBLIC_SERVICE: "公共服务单位类志愿组织",
}


def endorsement_template_pdf(*, org: Organisation) -> bytes:
    """An A4 page in Chinese, prefilled with the organisation's name and category, with blanks
    for the endorsing body, the date and the stamp."""
    with PDF_RENDER_LOCK:  # the shared CJK font is not thread-safe (core.fonts)
        return _endorsement_template_pdf_draw(org=org)


def _endorsement_template_pdf_draw(*, org: Organisation) -> bytes:
    """Draw it (under PDF_RENDER_LOCK)."""
    font = cjk_font_name()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{org.name} 背书证明")
    pdf.setAuthor("threehours")
    width, height = A4
    left, right = 25 * mm, width - 25 * mm

    pdf.setFont(font, 22)
    pdf.drawCentredString(width / 2, height - 35 * mm, "志愿组织背书证明")
    pdf.setFont(font, 11)
    pdf.drawCentredString(
        width / 2, height - 43 * mm, "（threehours 公益志愿服务平台 机构入驻材料）"
    )

    y = height - 62 * mm
    pdf.setFont(font, 12)
    rows = [
        ("组织名称", org.name),
        ("组织类别", CATEGORY_ZH[org.category]),
        ("所在地区", org.region_label if org.province_id else ""),
        ("联系人", org.contact_name),
    ]
    for label, value in rows:
        pdf.drawString(left, y, f"{label}：")
        pdf.drawString(left + 28 * mm, y, value or "")
        pdf.line(left + 27 * mm, y - 2 * mm, right, y - 2 * mm)
        y -= 12 * mm

    endorser = ENDORSER.get(org.category, "背书单位")
    body = (
        f"兹证明“{org.name}”为本{endorser.split(' / ')[0]}所属（或指导）的志愿服务组织，"
        "组织开展的志愿服务活动真实、合法、非营利，"
        "本单位同意其申请入驻 threehours 公益志愿服务平台，"
        "并对上述信息的真实性负责。"
    )
    y -= 4 * mm
    pdf.setFont(font, 12)
    for line in wrap_cjk(body, font=font, size=12, width=right - left):
        pdf.drawString(left, y, line)
        y -= 8 * mm

    y -= 10 * mm
    for label in ("背书单位名称", "背书单位联系人", "联系电话"):
        pdf.drawString(left, y, f"{label}：")
        pdf.line(left + 34 * mm, y - 2 * mm, right, y - 2 * mm)
        y -= 12 * mm
    pdf.drawString(left, y, f"（背书单位：{endorser}）")

    # Stamp box and date, bottom right.
    box_w, box_h = 60 * mm, 45 * mm
    box_x, box_y = right - box_w, 45 * mm
    pdf.setDash(3, 3)
    pdf.rect(box_x, box_y, box_w, box_h)
    pdf.setDash()
    pdf.setFont(font, 12)
    pdf.drawCentredString(box_x + box_w / 2, box_y + box_h / 2, "盖章处")
    pdf.drawString(box_x, box_y - 10 * mm, "日期：______年____月____日")

    pdf.setFont(font, 9)
    pdf.drawString(
        left,
        20 * mm,
        "填写说明：请由背书单位填写空白处并加盖公章，彩色拍照或扫描后在“资质文件”处上传。",
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
