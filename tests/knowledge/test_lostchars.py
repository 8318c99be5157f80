"""Telling characters lost to Shift_JIS apart from real edits."""
import pytest

from bot.knowledge.lostchars import cp932_can_hold, lost_characters


@pytest.mark.parametrize("old, new, best_fit, lost", [
    ("基本目標⑴", "基本目標?", False, "⑴"),
    ("⑴と⑵", "?と?", False, "⑴⑵"),
    ("𠮷野家", "??野家", False, "𠮷"),  # one astral character, two UTF-16 units, two "?"
    ("令和2〜6年度", "令和2～6年度", True, "〜"),  # Windows' look-alike for the wave dash
    ("令和2〜6年度", "令和2～6年度", False, ""),  # in a UTF-8 file that is an edit
    ("a\ufffdb", "a\ufffdb", False, ""),
    ("基本目標⑴", "基本目標(1)", True, ""),  # a clerk's rewrite, not a loss
    ("基本目標⑴", "基本目標?。追記", False, ""),  # a loss plus an edit is an edit
    ("給食費", "給食?", False, ""),  # 費 is in cp932: "?" here was typed
])
def test_lost_characters(old, new, best_fit, lost):
    assert lost_characters(old, new, best_fit=best_fit) == lost


def test_round_trips_decide_what_cp932_holds():
    assert cp932_can_hold("あ") and cp932_can_hold("①") and cp932_can_hold("～")
    assert not cp932_can_hold("⑴") and not cp932_can_hold("〜") and not cp932_can_hold("😀")
