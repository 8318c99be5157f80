"""Small-talk recognition."""
import pytest

from bot.conversation.smalltalk import classify


@pytest.mark.parametrize("text,kind", [
    ("こんにちは", "greeting"), ("こんにちは！", "greeting"), ("ｺﾝﾆﾁﾊ", None), ("おはようございます。", "greeting"),
    ("ありがとう", "thanks"), ("ありがとうございました！！", "thanks"), ("使い方", "help"), ("ヘルプ", "help"),
    ("メニュー", "menu"), ("MENU", "menu"), ("こんにちは、よろしくお願いします", "greeting"),
])
def test_classify(text, kind):
    assert classify(text) == kind


@pytest.mark.parametrize("text", ["こんにちは、給食費について教えて", "ありがとう券はありますか", "メニューの給食", ""])
def test_questions_are_not_small_talk(text):
    assert classify(text) is None
