"""Spreadsheet builders for staff exports (issue 5 §7): rows in, file bytes out, no ORM.

Excel: one sheet per `Sheet`, header row frozen, column widths set, dates and datetimes as
real Excel values (local time, Asia/Shanghai, without tzinfo, which openpyxl cannot store).
CSV: UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly.
Both guard against formula injection: a text cell beginning with = + - @ (or a tab / carriage
return) would be run as a formula by Excel, so it is written as text in xlsx and prefixed with an
apostrophe in CSV (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from threehours.core.timeutil import local_tz

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_TITLE_MAX = 31
# Characters Excel refuses in a sheet name.
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 12


@dataclass
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


def local_naive(value: dt.datetime) -> dt.datetime:
    """An aware datetime as local wall-clock time without tzinfo (what Excel stores)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(local_tz()).replace(tzinfo=None, microsecond=0)


def is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_STARTS)


def sheet_titles(names: Iterable[str]) -> list[str]:
    """Excel sheet names for `names`: forbidden characters replaced, at most 31 characters,
    unique (case-insensitively, as Excel compares them) by a " (2)"-style suffix."""
    titles: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = _SHEET_TITLE_BAD.sub("_", name).strip().strip("'") or "Sheet"
        title = base[:SHEET_TITLE_MAX]
        n = 1
        while title.lower() in seen:
            n += 1
            suffix = f" ({n})"
            title = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
        seen.add(title.lower())
        titles.append(title)
    return titles


def _xlsx_cell(ws, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(ws, value=local_naive(value))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(ws, value=text)
    # openpyxl turns a string beginning with "=" into a formula; keep every text cell text.
    cell.data_type = "s"
    return cell


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx workbook with one worksheet per sheet (titles must already be valid and
    unique: see `sheet_titles`). Write-only mode keeps memory flat for large exports."""
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        ws = wb.create_sheet(title=sheet.title)
        ws.freeze_panes = "A2"
        for index, column in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        header = []
        for column in sheet.columns:
            cell = _xlsx_cell(ws, column.header)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            ws.append([_xlsx_cell(ws, value) for value in row])
    if not sheets:
        wb.create_sheet(title="Sheet")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return local_naive(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | float | Decimal):
        return str(value)
    text = str(value)
    return "'" + text if is_formula_like(text) else text


def csv_bytes(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file (UTF-8 with BOM, CRLF line ends) with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(column.header) for column in columns])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")
