"""Sudachi's units of a text: the safety rules and the learned model read the same message with one pass."""
from __future__ import annotations

from bot.matching import tokenize
from bot.matching.tokenize import raw_units


def test_a_text_just_tokenised_is_not_tokenised_again(monkeypatch):
    real = tokenize._lean_tokenizer()
    calls: list[str] = []

    class Counting:
        def tokenize(self, text):
            calls.append(text)
            return real.tokenize(text)

    monkeypatch.setattr(tokenize, "_lean_tokenizer", Counting)
    list(raw_units("まず別の文を読む"))  # whatever this thread read last is no longer the text below
    calls.clear()
    first = list(raw_units("胸がくるしくて息ができない"))
    again = list(raw_units("胸がくるしくて息ができない"))
    assert calls == ["胸がくるしくて息ができない"]
    assert again == first and ("胸", "胸") == first[0][:2]
    other = list(raw_units("頭がいたい"))
    assert len(calls) == 2 and other != first
    assert list(raw_units("胸がくるしくて息ができない")) == first and len(calls) == 3  # only the last text is kept
