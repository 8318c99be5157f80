"""The checks every slug-keyed pack record shares (offices and shelters call one check_record)."""
from __future__ import annotations

import pytest

from bot.offices.pack import LABELS as OFFICE_LABELS
from bot.offices.pack import check_office
from bot.shelters.pack import LABELS as SHELTER_LABELS
from bot.shelters.pack import check_shelter


@pytest.mark.parametrize("check, what, labels", [(check_office, "担当課", OFFICE_LABELS),
                                                 (check_shelter, "避難所", SHELTER_LABELS)])
def test_both_records_get_the_same_japanese_problems(check, what, labels):
    assert [p.message for p in check(["not", "a", "mapping"], "f.yaml", "x[0]")] == [
        f"{what}は「項目名: 値」の組で書いてください"]
    problems = {p.field: p.message for p in check({"key": "Bad Key", "name": "名\t前", "colour": "red"}, "f.yaml", "x")}
    assert problems == {
        "x.colour": "不明な項目です",
        "x.name": f"{labels['name']}に改行や制御文字は使えません",  # a tab on a one-line field
        "x.key": "識別名は半角の英小文字・数字・ハイフン（-）で書いてください",
    }
    assert [p.message for p in check({"key": "a", "name": "x" * 101}, "f.yaml", "x")] == [
        f"{labels['name']}は100文字以内にしてください"]


def test_a_shelter_status_written_in_the_file_says_where_it_is_switched():
    problems = check_shelter({"key": "a", "name": "会館", "status": "open"}, "shelters.yaml", "shelters[0]")
    assert [p.message for p in problems] == ["不明な項目です（status は管理画面で切り替えます）"]
