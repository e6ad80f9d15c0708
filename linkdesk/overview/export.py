"""The overview as an Excel workbook (.xlsx): sheet 1 laid out like annex 1 of the notice,
sheet 2 the per-province counts. Built from the same rows as the page and the JSON."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from .provinces import OPEN_COLUMNS, OPEN_LABELS, ProvinceRow

ANNEX_HEADER = ("省（区、市）", "链接未正常跳转的中心", "未完成链接接入的中心")
COUNT_HEADER = (
    "省（区、市）",
    "中心数",
    "已接入链接",
    "应接入链接",
    "接入覆盖率",
    "http 链接",
    *(OPEN_LABELS[column] for column in OPEN_COLUMNS),
    "审核超期",
    "10 个工作日内切换",
)


def annex_rows(rows: list[ProvinceRow]) -> list[tuple[str, str, str]]:
    """Annex 1's lines: the province, then center names joined by 、."""
    return [(row.name, "、".join(row.failing_centers), "、".join(row.unlinked_centers)) for row in rows]


def count_rows(rows: list[ProvinceRow]) -> list[tuple]:
    return [
        (
            row.name,
            row.centers,
            row.links,
            row.possible_links,
            round(row.coverage, 4),
            row.http_links,
            *(row.open_tickets[column] for column in OPEN_COLUMNS),
            row.overdue_reviews,
            row.upcoming_cutovers,
        )
        for row in rows
    ]


def workbook_bytes(rows: list[ProvinceRow], total: ProvinceRow, title: str) -> bytes:
    """The .xlsx file's bytes."""
    book = Workbook()
    annex = book.active
    annex.title = "链接接入情况"
    _fill(annex, title, ANNEX_HEADER, annex_rows(rows), widths=(14, 60, 60))
    counts = book.create_sheet("分省统计")
    _fill(counts, title, COUNT_HEADER, [*count_rows(rows), count_rows([total])[0]], widths=(14,) + (12,) * 11)
    for cell in counts["E"][2:]:
        cell.number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill(sheet, title: str, header, rows, widths) -> None:
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(list(header))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text is text: a name starting with "=" is never run as a formula
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A3"
