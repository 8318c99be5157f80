"""The faster parts of the safety detector give what the plain ones gave.

Long messages were made cheaper by an Aho–Corasick automaton for the written and reading searches, a tokenizer that
loads only the fields the detector reads, norm() translating kana run by run, and a katakana-split check that looks
only around a match. Each is checked here against the plain computation it replaced, on the phrasing sets (never the
held-out half) and on generated text.
"""
from __future__ import annotations

import glob
import random

import pytest
import yaml

from bot.matching.normalize import fold, nfkc
from bot.matching.tokenize import _tokenizer, raw_units, units
from bot.safety import detector as d
from bot.safety.rules import read_file
from tests.conftest import ROOT


def _phrasings() -> list[str]:
    texts = []
    for path in sorted(glob.glob(str(ROOT / "tests" / "safety" / "phrasings" / "*.yaml"))):
        if path.endswith(".held.yaml"):
            continue
        for item in yaml.safe_load(open(path, encoding="utf-8"))["phrasings"]:
            texts.append(nfkc(item["text"] if isinstance(item, dict) else str(item)))
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = _phrasings()
    assert len(found) > 1500
    # and long ones: phrasings joined with 、 up to 500 characters, as residents ramble
    rng = random.Random(18)
    for _ in range(40):
        found.append("、".join(rng.sample(found[:1500], 25))[:500])
    return found


def _generated(count: int, seed: int) -> list[str]:
    alphabet = [chr(c) for c in range(0x3041, 0x3097)] + [chr(c) for c in range(0x30A1, 0x30FB)] + \
        list("ーー・、。！？ 　火事熊ｶﾞｽｸｻｲABCabc123!?") + [chr(c) for c in range(0xFF61, 0xFF9F)]
    rng = random.Random(seed)
    return [nfkc("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))) for _ in range(count)]


def test_norm_is_fold_with_small_kana_made_large():
    for text in _generated(5000, 1) + ["ｶﾞｽｸｻｲ", "ぁっゃゅょゎゕゖァッャュョヮヵヶ", "ヴァイオリン", "ストーブつけて"]:
        assert d.norm.__wrapped__(text) == fold(text).translate(d._SMALL), text


def test_the_lean_tokenizer_gives_the_same_units(texts):
    full = _tokenizer()
    for text in texts:
        plain = [(m.surface(), m.normalized_form(), m.part_of_speech_id()) for m in full.tokenize(text)] \
            if text.strip() else []
        assert list(raw_units(text)) == plain, text
        assert [u[:2] for u in units(text)] == [u[:2] for u in plain]


def test_the_automaton_finds_every_form_a_scan_finds(texts):
    lexicon = read_file(ROOT / "knowledge" / "safety.yaml").detector().lexicon
    for index in (lexicon.written, lexicon.spoken):
        by_first: dict[str, list[tuple[str, tuple]]] = {}
        for form, owners in sorted(index._forms.items(), key=lambda fo: len(fo[0])):
            by_first.setdefault(form[0], []).append((form, tuple(owners)))
        for text in texts[::5]:
            folded = d.norm(text)
            scanned = [(i, form, concept, word)
                       for i in range(len(folded))
                       for form, owners in by_first.get(folded[i], ()) if folded.startswith(form, i)
                       for concept, word in owners]
            assert index.find_at(folded) == scanned, text
            starts = set(range(0, len(folded), 3))
            assert index.find_at(folded, starts) == [s for s in scanned if s[0] in starts]


def _split_before(katakana: list[bool], start: int, end: int) -> bool:
    """The check as it was, on every character's flag."""
    span = katakana[start:end]
    if all(span) or not any(span):
        return False
    return (start > 0 and katakana[start - 1] and span[0]) or (end < len(katakana) and katakana[end] and span[-1])


def test_the_katakana_split_check_agrees_with_the_folded_flags():
    for text in _generated(3000, 2) + ["ストーブつけて", "ブーツけて", "ストーブーつけて", "カップラーメン食べた"]:
        folded, flags = d._fold_marking_katakana(text)
        kept = d._PUNCT_RE.sub("", text)
        if len(kept) != len(folded):
            continue  # the detector falls back on the flags themselves there
        for start in range(len(folded)):
            for end in range(start + 1, min(len(folded), start + 6) + 1):
                before = _split_before(flags, start, end)
                assert d._splits_a_katakana_word(kept, start, end) == before, (text, start, end)
                assert d._splits_a_katakana_word(flags, start, end) == before
                # written_hits checks only matches with katakana (or ー) in them: the others never split a word
                if not d._KATAKANA_MARK.search(kept, start, end):
                    assert not before
