"""CSV for people, who open it in Excel or WPS: a BOM so that the Chinese reads right, and no cell
that the spreadsheet would run as a formula (free text typed by users ends up in these files)."""

import csv
import io
from collections.abc import Iterable, Iterator

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The cell as text; one that a spreadsheet would read as a formula is quoted with a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    """The file in pieces, BOM and header first, then one line per row (a response can stream it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(cell) for cell in cells])
        return buffer.getvalue()

    yield "\ufeff" + line(header)
    for row in rows:
        yield line(row)


def csv_text(header: Iterable, rows: Iterable[Iterable]) -> str:
    return "".join(csv_lines(header, rows))
