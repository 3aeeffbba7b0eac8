"""summary.pdf of a data download (issue #16 §2): what data.json holds, in Chinese, for a
person to read. The ID number is shown masked here (the full number is in data.json)."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from threehours.core.fonts import PDF_RENDER_LOCK, cjk_font_name

# The embedded CJK font object keeps the glyph subset of the document being built, so PDFs
# that use it are rendered one at a time per process: the certificates' lock, shared.

STATUS = {
    "confirmed": "已报名",
    "pending": "待审核",
    "waiting": "候补",
    "cancelled": "已取消",
    "rejected": "未通过",
    "removed": "已移出",
    "credit": "记入",
    "correction": "更正",
    "reversal": "冲销",
}

MAX_ROWS = 300  # per table; data.json has every row


def _esc(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _day(value: Any) -> str:
    return str(value)[:10] if value else ""


def _time(value: Any) -> str:
    return str(value)[:16].replace("T", " ") if value else ""


def summary_pdf(data: dict[str, Any]) -> bytes:
    with PDF_RENDER_LOCK:
        return _render(data)


def _render(data: dict[str, Any]) -> bytes:
    font = cjk_font_name()

    def style(name: str, size: float, **kw) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=size * 1.5, wordWrap="CJK", **kw
        )

    title, h2, body = style("t", 18, spaceAfter=6), style("h", 12, spaceBefore=10), style("b", 9.5)
    cell, small = style("c", 8.5), style("s", 8, textColor=colors.grey)
    story: list = []

    def table(head: list[str], rows: list[list[Any]], widths: list[float]) -> None:
        if not rows:
            story.append(Paragraph("（无）", body))
            return
        cells = [[Paragraph(_esc(h), cell) for h in head]]
        cells += [[Paragraph(_esc(v), cell) for v in row] for row in rows[:MAX_ROWS]]
        t = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f0ea")),
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#c8d0ca")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(t)
        if len(rows) > MAX_ROWS:
            story.append(
                Paragraph(
                    f"仅列出前 {MAX_ROWS} 条，共 {len(rows)} 条，完整内容见 data.json。", small
                )
            )

    account = data["account"]
    story.append(Paragraph("个人信息摘要", title))
    story.append(
        Paragraph(
            f"生成时间：{_esc(_time(data['generated_at']))}。本文件是 data.json 的可读摘要；"
            "data.json 包含我们保存的关于您的全部信息（含完整身份证号）。下载文件仅您本人可见，"
            "7 天后自动删除。",
            small,
        )
    )
    story.append(Paragraph("账户信息", h2))
    table(
        ["项目", "内容"],
        [
            ["手机号", account["phone"]],
            ["电子邮箱", account["email"]],
            ["昵称", account["nickname"]],
            ["真实姓名", account["real_name"]],
            ["身份证号（隐藏部分）", account["id_number_masked"]],
            ["出生日期", account["birth_date"]],
            ["注册时间", _time(account["joined"])],
        ],
        [45, 125],
    )
    story.append(Paragraph("同意记录", h2))
    table(
        ["内容", "版本", "同意时间", "撤回时间"],
        [
            [c["kind"], c["version"], _time(c["given_at"]), _time(c["withdrawn_at"])]
            for c in data["consents"]
        ],
        [45, 20, 52, 53],
    )
    summary = data["hours_summary"]
    story.append(Paragraph("公益时", h2))
    story.append(
        Paragraph(
            f"志愿服务时长 {summary['service_hours']} 小时，"
            f"线上参与 {summary['online_hours']} 小时；"
            f"记录 {len(data['hours_ledger'])} 条。",
            body,
        )
    )
    table(
        ["日期", "活动", "组织", "小时", "类型"],
        [
            [
                e["day"],
                e["activity__title"],
                e["organisation__name"],
                e["hours"],
                STATUS.get(e["entry_type"], e["entry_type"]),
            ]
            for e in data["hours_ledger"]
        ],
        [22, 60, 50, 16, 22],
    )
    story.append(Paragraph("报名记录", h2))
    table(
        ["报名时间", "活动", "组织", "状态"],
        [
            [
                _time(r["registered_at"]),
                r["activity"],
                r["organisation"],
                STATUS.get(r["status"], r["status"]),
            ]
            for r in data["registrations"]
        ],
        [32, 68, 48, 22],
    )
    story.append(Paragraph("签到记录", h2))
    table(
        ["日期", "活动", "签到", "签退", "小时"],
        [
            [
                a["day"],
                a["activity"],
                _time(a["checked_in_at"]),
                _time(a["checked_out_at"]),
                a["hours"],
            ]
            for a in data["attendance"]
        ],
        [22, 62, 32, 32, 22],
    )
    story.append(Paragraph("获得我的信息的组织", h2))
    table(
        ["组织", "首次报名", "最近报名", "导出次数"],
        [
            [
                o["organisation"],
                _day(o["first_registration"]),
                _day(o["last_registration"]),
                len(o["exports"]),
            ]
            for o in data["organisations_that_received_my_data"]
        ],
        [70, 35, 35, 30],
    )
    story.append(Paragraph("其他", h2))
    story.append(
        Paragraph(
            f"公益证书 {len(data['certificates'])} 份；评价 {len(data['ratings'])} 条；"
            f"兑换 {len(data['redemptions'])} 次；孩子 {len(data['children'])} 名；"
            f"站内消息 {len(data['notifications'])} 条；"
            f"数据下载 {len(data['data_downloads'])} 次。",
            body,
        )
    )
    story.append(Spacer(1, 4 * mm))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title="个人信息摘要",
    )
    doc.build(story)
    return buffer.getvalue()
