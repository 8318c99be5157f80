"""Normalise Japanese text for matching: width, case, kana and query boilerplate."""
from __future__ import annotations

import re
import unicodedata

# Residents paste whole messages; nothing useful for matching lives beyond this.
MAX_QUERY_CHARS = 500

_KATA_START, _KATA_END = 0x30A1, 0x30F6  # ァ..ヶ; ー (U+30FC) is shared by both scripts
_KATA_TO_HIRA = {c: c - 0x60 for c in range(_KATA_START, _KATA_END + 1)}
_HIRA_TO_KATA = {c - 0x60: c for c in range(_KATA_START, _KATA_END + 1)}

# Polite or conversational wrappers that say "I want to know" but nothing about the topic.
# Longest first so that について教えてください wins over について.  Applied to NFKC-lowercased text.
_ANYWHERE = (
    "について教えてください", "について教えて下さい", "について教えてほしい", "について教えて欲しい",
    "について教えて", "について知りたい", "についてお聞きしたい", "について聞きたい", "について",
    "を教えてください", "を教えて下さい", "を教えてほしい", "を教えて", "教えてください", "教えて下さい",
    "教えてほしい", "教えて欲しい", "教えて",
    "を知りたいです", "を知りたい", "が知りたいです", "が知りたい", "知りたいです", "知りたい",
    "どうすればいいですか", "どうすれば良いですか", "どうすればよいですか", "どうしたらいいですか",
    "どうしたら良いですか", "どうしたらよいですか", "どうすればいい", "どうしたらいい",
    "どうすれば", "どうしたら", "お願いします", "おねがいします",
)
# Short endings that also occur inside words (持って, ますます): strip them only at a sentence end.
_FINAL = (
    "でしょうか", "ですか", "ますか", "ください", "下さい", "のですが", "んですが", "ですが",
    "なの", "の", "って", "とは", "ですね", "です", "ます", "か",
)
_ANYWHERE_RE = re.compile("|".join(re.escape(b) for b in sorted(_ANYWHERE, key=len, reverse=True)))
_FINAL_RE = re.compile(
    "(?:" + "|".join(re.escape(b) for b in sorted(_FINAL, key=len, reverse=True)) + r")(?=[\s!?.。、]|$)"
)
_PUNCT_RE = re.compile(r"[\s\u3000!-/:-@\[-`{-~、。・「」『』【】()（）［］〈〉《》≪≫〔〕…‥・■□◆◇●○※★☆→←↑↓]+")


def nfkc(text: str) -> str:
    """Return text with NFKC width folding (ｺﾝﾋﾞﾆ→コンビニ, ＬＥＤ→LED) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def to_hiragana(text: str) -> str:
    """Return text with katakana folded to hiragana."""
    return text.translate(_KATA_TO_HIRA)


def to_katakana(text: str) -> str:
    """Return text with hiragana folded to katakana."""
    return text.translate(_HIRA_TO_KATA)


def truncate(text: str) -> str:
    """Return at most MAX_QUERY_CHARS characters of text."""
    return text[:MAX_QUERY_CHARS]


def strip_boilerplate(text: str) -> str:
    """Return NFKC text without polite wrappers such as について教えてください."""
    stripped = _ANYWHERE_RE.sub(" ", text)
    # Endings stack (…ですか? or …のですが、…), so peel them until nothing changes.
    for _ in range(3):
        peeled = _FINAL_RE.sub(" ", stripped)
        if peeled == stripped:
            break
        stripped = peeled
    # A query that is only boilerplate keeps its words rather than becoming empty.
    return stripped if stripped.strip() else text


def fold(text: str) -> str:
    """Return the comparison form: NFKC, lower case, hiragana, no punctuation or spaces."""
    return _PUNCT_RE.sub("", to_hiragana(nfkc(text)))


def clean_query(text: str) -> str:
    """Return a query truncated, NFKC-folded and stripped of boilerplate."""
    return strip_boilerplate(nfkc(truncate(text))).strip()


def is_kana(ch: str) -> bool:
    """Return whether ch is a hiragana or katakana letter."""
    return "\u3041" <= ch <= "\u30ff"


def kana_share(text: str) -> float:
    """Return the share of letters in text that are kana (1.0 for きゅうしょくだい)."""
    letters = [ch for ch in text if ch.isalnum()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if is_kana(ch)) / len(letters)
