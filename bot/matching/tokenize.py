"""Turn Japanese text into matching terms with SudachiPy (one shared dictionary per process)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from sudachipy import Dictionary, SplitMode
from sudachipy import Morpheme as SudachiMorpheme

from .normalize import fold, nfkc, to_hiragana

# Parts of speech that carry topic: nouns, verbs, adjectives, adjectival nouns, prefixes and
# suffixes (費, 化, 者 narrow a topic).  Particles, auxiliaries, symbols and pronouns do not.
_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "接頭辞", "接尾辞", "副詞"}

# Normalised forms that are content words by grammar but say nothing about the topic.
_STOP = {
    "為る", "する", "有る", "ある", "居る", "いる", "成る", "なる", "出来る", "できる", "良い", "いい", "よい",
    "下さる", "くださる", "呉れる", "くれる", "頂く", "いただく", "教える", "知る", "分かる", "聞く",
    "思う", "言う", "欲しい", "ほしい", "事", "こと", "物", "もの", "方", "様", "為", "ため", "所", "ところ",
    "何", "どう", "如何", "どの", "どれ", "どこ", "何処", "いつ", "此の", "其の", "又", "また", "等", "など",
    "行く", "来る", "見る", "置く", "仕舞う", "みる", "おく", "しまう", "もう", "ちょっと", "一寸",
    "について", "付く", "つく", "ね", "よう", "方法", "場合", "さん",
}
# "方法" and "場合" appear in most FAQ questions (…の方法, …の場合) and so behave like boilerplate.

_dictionary: Dictionary | None = None
_dictionary_lock = threading.Lock()
_local = threading.local()


def dictionary() -> Dictionary:
    """Return the process-wide Sudachi dictionary, loading it on first use."""
    global _dictionary
    if _dictionary is None:
        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict="core")
    return _dictionary


def _tokenizer():  # type: ignore[no-untyped-def]
    # A Sudachi tokenizer is not safe to share between threads; the dictionary is.
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        d = dictionary()
        # SudachiPy 0.7 names it tokenizer(); 0.6 (which ja-ginza's vectors pin) create().
        make = getattr(d, "tokenizer", None) or d.create
        tok = make(mode=SplitMode.C)
        _local.tokenizer = tok
    return tok


@dataclass(frozen=True)
class Analysis:
    """Hold the terms of one text: word forms and the hiragana reading."""

    words: tuple[str, ...]  # normalised forms of split-mode C units, content words only
    parts: tuple[str, ...]  # split-mode A pieces of those units (選挙管理委員会 → 選挙, 管理, …)
    reading: str  # hiragana reading of the whole text, for kana-only queries


def _is_content(pos: tuple[str, ...], form: str) -> bool:
    if pos[0] not in _CONTENT_POS:
        return False
    if pos[1] == "数詞":
        return True
    return form not in _STOP


def analyze(text: str) -> Analysis:
    """Return the word terms and reading of text."""
    text = nfkc(text)
    if not text.strip():
        return Analysis((), (), "")
    words: list[str] = []
    parts: list[str] = []
    reading: list[str] = []
    for m in _tokenizer().tokenize(text):
        pos = m.part_of_speech()
        if pos[0] not in ("補助記号", "空白"):
            # Every token, particles too: a kana query like きゅうしょくだい is read whole.
            reading.append(m.reading_form() if pos[0] != "記号" else m.surface())
        form = nfkc(m.normalized_form())
        if not _is_content(pos, form):
            continue
        words.append(to_hiragana(form) if _is_kana_word(form) else form)
        pieces = m.split(SplitMode.A)
        if len(pieces) > 1:
            for p in pieces:
                sub = nfkc(p.normalized_form())
                if _is_content(p.part_of_speech(), sub) and sub != form:
                    parts.append(to_hiragana(sub) if _is_kana_word(sub) else sub)
    return Analysis(tuple(words), tuple(parts), fold("".join(reading)))


def _is_kana_word(form: str) -> bool:
    # Katakana loan words and their hiragana spellings (コンビニ/こんびに) must meet as one term.
    return all("\u3041" <= ch <= "\u30ff" for ch in form)


def char_ngrams(text: str, n: int = 2) -> list[str]:
    """Return the overlapping character n-grams of a folded text (the text itself if shorter)."""
    if len(text) < n:
        return [text] if text else []
    return [text[i : i + n] for i in range(len(text) - n + 1)]


class Morpheme(NamedTuple):
    """One Sudachi unit (split mode C) of a text: where it starts, its surface, lemma, reading and word class."""

    begin: int  # offset in the NFKC text
    surface: str
    lemma: str  # the normalised form: 倒れる for 倒れた, たおれて and 倒れとる
    reading: str  # hiragana
    pos: str  # the first part-of-speech field: 名詞, 動詞, 助動詞, …
    form: str = ""  # the conjugation form of verbs and adjectives: 終止形-一般, 連用形-一般, 意志推量形, …


@lru_cache(maxsize=2048)
def _pos(pos_id: int) -> tuple[str, str]:
    pos = dictionary().pos_of(pos_id)
    return pos[0], pos[5] if pos[5] != "*" else ""


def morphemes(text: str) -> list[Morpheme]:
    """Return every unit of an NFKC-lower-cased text, particles and auxiliaries too, in one Sudachi pass."""
    if not text.strip():
        return []
    return [Morpheme(m.begin(), m.surface(), m.normalized_form(), to_hiragana(m.reading_form()),
                     *_pos(m.part_of_speech_id())) for m in _tokenizer().tokenize(text)]


def _lean_tokenizer():  # type: ignore[no-untyped-def]
    # The same units as _tokenizer(), with only the fields units() reads loaded from the dictionary (normalised
    # form and part of speech; the surface comes from the text): about a quarter less time on a long text.
    tok = getattr(_local, "lean_tokenizer", None)
    if tok is None:
        d = dictionary()
        make = getattr(d, "tokenizer", None) or d.create
        tok = make(mode=SplitMode.C, fields={"pos", "normalized_form"})
        _local.lean_tokenizer = tok
    return tok


def raw_units(text: str) -> Iterator[tuple[str, str, int]]:
    """Return (surface, normalised form, part-of-speech id) for every unit of an NFKC-lower-cased text: what units()
    gives, before the part of speech is looked up (callers that cache per unit look it up once, with pos_of).
    Read with C-level maps over the units, not a Python loop: on a long text this costs a third of units()."""
    if not text.strip():
        return iter(())
    # The safety rules and then, when they find nothing, the learned model read the same message: the second asks
    # for the units of the text the first has just tokenised, and gets them without a second pass of Sudachi.
    last = getattr(_local, "last_units", None)
    if last is not None and last[0] == text:
        return iter(last[1])
    found = list(_lean_tokenizer().tokenize(text))
    units = tuple(zip(map(_SURFACE, found), map(_NORMALIZED, found), map(_POS_ID, found)))
    _local.last_units = (text, units)
    return iter(units)


_SURFACE, _NORMALIZED, _POS_ID = SudachiMorpheme.surface, SudachiMorpheme.normalized_form, \
    SudachiMorpheme.part_of_speech_id


def pos_of(pos_id: int) -> tuple[str, str]:
    """Return (word class, conjugation form) of a part-of-speech id: 動詞, 連用形-一般."""
    kind = _POS_CACHE.get(pos_id)
    if kind is None:
        kind = _POS_CACHE[pos_id] = _pos(pos_id)
    return kind


def units(text: str) -> list[tuple[str, str, str, str]]:
    """Return (surface, normalised form, word class, conjugation form) for every unit: morphemes() without the
    offsets and readings, which cost more than the tokenising itself on a long text."""
    return [(surface, lemma, *pos_of(pid)) for surface, lemma, pid in raw_units(text)]


_POS_CACHE: dict[int, tuple[str, str]] = {}
