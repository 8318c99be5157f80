"""CSV that spreadsheets open safely: formula cells neutralised on the way out, restored on the way in."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.problems import Invalid

# OWASP's list, plus the full-width forms: Japanese Excel turns an IME-typed ＝ into a formula, and we
# cannot rule out that it does the same when it reads a file; an extra quote costs nothing.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
QUOTE = "'"
# A cell that already starts with the quote is quoted again, so reading back removes exactly one.
_ESCAPED = (*FORMULA_START, QUOTE)
BOM = "\ufeff"


def escape_cell(value: object) -> str:
    """Return a cell value that no spreadsheet reads as a formula."""
    text = "" if value is None else str(value)
    return QUOTE + text if text.startswith(_ESCAPED) else text


def unescape_cell(text: str) -> str:
    """Undo escape_cell: remove the quote it added, and only that one."""
    if text.startswith(QUOTE) and text[1:].startswith(_ESCAPED):
        return text[1:]
    return text


def to_bytes(header: Iterable[object], rows: Iterable[Iterable[object]]) -> bytes:
    """Return a CSV as UTF-8 with a BOM (so Excel reads the Japanese), CRLF lines, every cell escaped."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([escape_cell(c) for c in header])
    for row in rows:
        writer.writerow([escape_cell(c) for c in row])
    return out.getvalue().encode("utf-8")


def decode(raw: bytes) -> tuple[str, str]:
    """Return the text of an uploaded CSV and its encoding: UTF-8 (with or without BOM) or cp932."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Excel's plain "CSV" save on Japanese Windows writes Shift_JIS (cp932).
        return raw.decode("cp932"), "cp932"
    except UnicodeDecodeError:
        raise Invalid("文字コードを読み取れません（UTF-8 か Shift_JIS で保存してください）") from None


@dataclass
class Table:
    """A read CSV: its encoding, header and rows (cells unescaped), with Excel's row numbers."""

    encoding: str
    header: list[str]
    rows: list[tuple[int, list[str]]]


def read(raw: bytes, max_rows: int | None = None) -> Table:
    """Read an uploaded CSV whole; raise Invalid with the row at fault."""
    text, encoding = decode(raw)
    if "\x00" in text:
        # PostgreSQL cannot store NUL, and no spreadsheet writes one into a cell.
        line = text[: text.index("\x00")].count("\n") + 1
        raise Invalid(f"{line}行目に制御文字（NUL）が含まれています。表計算ソフトで保存し直してください")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    number = 0
    try:
        # csv.field_size_limit() (131,072 by default) bounds a cell; it is process-wide, so never change it.
        for cells in reader:
            number += 1
            cells = [unescape_cell(c) for c in cells]
            if header is None:
                header = cells
                continue
            rows.append((number, cells))
            if max_rows is not None and len(rows) > max_rows:
                raise Invalid(f"一度に取り込めるのは{max_rows}件までです")
    except csv.Error as exc:
        where = f"{number + 1}行目" if number else "ファイルの先頭"
        if "field larger than field limit" in str(exc):
            raise Invalid(f"{where}に長すぎるセルがあります（1つのセルは{csv.field_size_limit():,}文字まで）") from None
        raise Invalid(f"{where}をCSVとして読み取れません（引用符 \" の閉じ忘れなど）") from None
    return Table(encoding, header or [], rows)

