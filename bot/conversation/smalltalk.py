"""Recognise greetings, thanks, help and menu requests. Pure functions."""
from __future__ import annotations

import re
import unicodedata

_PUNCT = re.compile(r"[\s、。,.!?！？〜~ー…・「」『』()（）☆★♪❤️😊🙏]+")

_PHRASES: dict[str, tuple[str, ...]] = {
    "greeting": ("こんにちは", "こんにちわ", "こんばんは", "こんばんわ", "おはよう", "おはようございます",
                 "はじめまして", "hello", "hi", "やあ", "どうも", "よろしく", "よろしくおねがいします",
                 "よろしくお願いします"),
    "thanks": ("ありがとう", "ありがとうございます", "ありがとうございました", "ありがと", "助かりました",
               "助かった", "たすかりました", "サンキュー", "thanks", "thankyou", "了解", "りょうかい", "わかりました"),
    "help": ("使い方", "つかいかた", "ヘルプ", "help", "何ができる", "なにができる", "何ができますか",
             "なにができますか", "使い方を教えて", "どう使うの"),
    "menu": ("メニュー", "めにゅー", "menu", "一覧", "トピック", "話題", "メニューを見せて"),
}


def _fold(text: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower())


_LOOKUP = {_fold(p): kind for kind, phrases in _PHRASES.items() for p in phrases}


def classify(text: str) -> str | None:
    """Return greeting, thanks, help or menu when the whole message is one of them."""
    folded = _fold(text)
    if not folded:
        return None
    if folded in _LOOKUP:
        return _LOOKUP[folded]
    # 「こんにちは、よろしくお願いします」 and the like: every part is small talk.
    for phrase in sorted(_LOOKUP, key=len, reverse=True):
        if folded.startswith(phrase) and _fold(folded[len(phrase):]) in _LOOKUP:
            return _LOOKUP[phrase]
    return None
