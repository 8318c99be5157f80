"""Tell urgent messages from everyday ones by concepts, not by literal lists. Pure library: text in, decision out.

A message is cut into sentences. In each sentence (and each pair of neighbouring sentences) the words of the
concept lexicons are found three ways: as written (folded: kana, width and punctuation do not matter), by their
reading (苦しい is found in くるしい), and by Sudachi's normalised form (倒れた / たおれて / 倒れとる are all
倒れる). A rule fires when one of its combinations of concepts is all there (熊 + いる, 子ども + 熱 + 夜), or one
of its standalone phrases is (救急車呼んで), and none of the intents that keep it out is (a question about a
subsidy, a course, the past, a "what if"), unless a cue lifts that block (助けて, 今すぐ).

Messages without kana are also read as English, Chinese, Korean, Vietnamese and Portuguese, with simple folded
keyword concepts per language; those get the same rule, replying in the language with the Japanese beneath.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import accumulate, compress, count
from operator import itemgetter
from typing import NamedTuple

import ahocorasick_rs

from bot.matching.normalize import _PUNCT_RE, fold, nfkc, to_hiragana, truncate
from bot.matching.tokenize import morphemes, pos_of, raw_units

URGENT = "urgent"  # 緊急
CARE = "care"  # 要配慮
FLAGS = {URGENT: "緊急", CARE: "要配慮"}

_SMALL = str.maketrans("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")
_KANJI = re.compile(r"[\u3400-\u9fff々〆]")
_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[a-zà-ɏḀ-ỿ]")
# Where one sentence ends: 。！？ and their ASCII forms, line breaks. Spaces and 、 do not cut.
_KATAKANA_WORD = re.compile(r"[\u30a1-\u30fa]")
_KATAKANA_MARK = re.compile(r"[\u30a1-\u30faー]")
_HIRAGANA = re.compile(r"[\u3041-\u3096]")
# A message in katakana only (old phones, half-width ﾑﾈｶﾞｲﾀｲ): Sudachi reads it as loanwords, so it is read again
# in hiragana (むねがいたい), and what either reading finds counts.
_KATAKANA_ONLY_MIN = 4
_SENTENCE_END = re.compile(r"[。．！？!?\n]+|\.(?=\s|$)")
# Characters only Chinese writes (simplified forms, particles): an all-kanji Japanese message (救命講習) is not
# read as Chinese unless it has one of them, or is exactly one Chinese keyword (救命！).
_ZH_MARK = re.compile(r"[的了吗呢吧么这们没车护报灾帮晕请说话个为从对时过还让给东钱门问间嗎們沒幫暈說對讓錢很爸媽后边发现进]")
_WORD = re.compile(r"[^\W_]+")
_PLAIN_ENDINGS = {"た", "だ", "て", "で"}
_GLUE = {"助詞", "助動詞", "補助記号", "記号", "空白"}
# Units left out of a word sequence: particles, symbols, and endings that do not change the meaning
# (血が止まらない and 血がとまらない are both 血 + 止まる + ない; 息をしていない is 息 + 為る + ない).
_NEGATIONS = {"ない", "なかっ", "なく", "ぬ", "ん", "ず", "ねえ", "へん", "ません"}
_SKIPPED = {"助詞", "補助記号", "記号", "空白"}
_SOFT = {"です", "ます", "てる", "とる", "居る", "ちゃう", "じゃう", "ちゃっ", "じゃっ", "ね", "よ", "て", "で"}


@lru_cache(maxsize=4096)
def _reading_of(form: str) -> str:
    """Return the kana reading of a normalised form (止まる → とまる); the form itself when it has no kanji."""
    if not _has_kanji(form):
        return form
    return norm("".join(m.reading for m in morphemes(form))) or form


def _sequence(units: Iterable[tuple[str, str, str, str]]) -> tuple[str, ...]:
    """Return the normalised forms that carry meaning, in order: the sequence a multi-word phrase is matched by."""
    out = []
    for surface, lemma, pos, _ in units:
        if pos in _SKIPPED:
            continue
        # Endings by what is written (たら is not た: 出たら is a "what if", 出た is not), words by their lemma.
        form = norm(surface) if pos == "助動詞" else norm(lemma)
        if form in _SOFT:
            continue
        out.append(form)
    return tuple(out)

# Concepts the detector supplies itself: a sentence that ends in ！ (くま！くま！, 火事！), and a short one
# (たすけて on its own is a cry for help; 雪かきを助けてほしい is not).
EXCLAIM = "exclaim"
SHORT = "short"
SHORT_CHARS = 8
BUILTIN = {EXCLAIM: "！で終わる文", SHORT: f"{SHORT_CHARS}文字以内の短い文"}
_EXCLAIM = re.compile(r"[!！]\s*$")
# A long sentence that turns on けど / けれど (「運動会の準備をしてたんだけど、帰り道で人がはねられて倒れてる」) is also
# judged by what follows the turn alone: a rambling preface must not hide the emergency that comes after it.
CLAUSE_MIN_CHARS = 30
_TURN = "けれど"  # Sudachi's normalised form of けど, けれど, けれども

# How a word was found, for `safety explain`.
AS_WRITTEN, BY_READING, BY_LEMMA, BY_TOKEN, BY_SEQUENCE = "文字", "読み", "基本形", "単語", "語の並び"


# norm() in one pass: katakana to hiragana and small kana to large, translated run by run (str.translate looks
# every character up in Python, about 0.15 µs each: a third of the time of a 500-character message before).
_FOLD_TABLE = {**{c: chr(c - 0x60).translate(_SMALL) for c in range(0x30A1, 0x30F7)},
               **{ord(k): v for k, v in zip("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")}}
_TO_FOLD = re.compile("[\u30a1-\u30f6ぁぃぅぇぉっゃゅょゎゕゖ]+")


def _fold_run(m: re.Match) -> str:
    return m.group().translate(_FOLD_TABLE)


@lru_cache(maxsize=16384)
def norm(text: str) -> str:
    """Return the comparison form: fold() (NFKC, hiragana, no punctuation) with small kana made large."""
    return _PUNCT_RE.sub("", _TO_FOLD.sub(_fold_run, nfkc(text)))


def _has_kanji(text: str) -> bool:
    return bool(_KANJI.search(text))


@dataclass(frozen=True)
class Concept:
    """A named set of words that mean one thing: 熊 / くま / ヒグマ, or 今 / さっき / 目の前."""

    key: str
    label: str
    words: tuple[str, ...]
    exact: bool = False  # compared only as written (no reading, no normalised form): 熊手 is not in くまでた


@dataclass(frozen=True)
class Rule:
    """One category of emergency: when it applies, how it is flagged for staff, what the bot says and offers."""

    slug: str
    title: str
    flag: str  # URGENT (緊急) or CARE (要配慮): how staff see the message
    numbers: tuple[str, ...]
    reply: str
    town: bool = False
    phrases: tuple[str, ...] = ()  # alone enough: 救急車呼んで, 火事だ, 死にたい
    when: tuple[tuple[str, ...], ...] = ()  # combinations of concept keys, any one of which is enough
    blocked_by: tuple[str, ...] = ()  # intent concepts that keep an everyday question out
    lifted_by: tuple[str, ...] = ()  # concepts that make it urgent all the same
    replaces: tuple[str, ...] = ()  # rules this one stands in for (家庭内の暴力 rather than 事件)
    labels: tuple[tuple[str, str], ...] = ()  # (number, button label) where the label is not "<number>に電話"
    contacts: tuple[str, ...] = ()  # local contacts staff fill in (gas:), added to reply and buttons once set
    alone: bool = False  # only when no other rule applies (緊急連絡先 for a bare "help")
    lang: str = "ja"
    call: str = "{number}に電話"
    learned: float = 0.0  # > 0: answered by the learned model (safety-model.yaml) with this P(urgent), not by the rule

    def call_label(self, number: str) -> str:
        """Return the call button's label for one of the rule's numbers."""
        for n, label in self.labels:
            if n == number:
                return label
        return self.call.format(number=number)


@dataclass(frozen=True)
class Language:
    """Keyword concepts for a language without Sudachi, and the replies in it."""

    code: str
    name: str
    title: str
    call: str
    concepts: Mapping[str, tuple[str, ...]]
    rules: Mapping[str, tuple[tuple[str, ...], ...]]
    blocked_by: tuple[str, ...] = ()
    lifted_by: tuple[str, ...] = ()
    replies: Mapping[str, str] = field(default_factory=dict)


class Hit(NamedTuple):
    """One concept found in a sentence: by which word, and how."""

    concept: str
    word: str
    how: str
    seen: str  # what the message said there


@dataclass(frozen=True)
class Verdict:
    """What one rule made of a message."""

    slug: str
    fired: bool
    reason: str


@dataclass
class Explanation:
    """Everything `safety explain` shows: the sentences, the concepts in each, and each rule's verdict."""

    language: str
    sentences: list[tuple[str, list[Hit]]]
    verdicts: list[Verdict]
    matched: tuple[Rule, ...]

    @property
    def held_back(self) -> tuple[str, ...]:
        """Return the rules whose words were there but an intent (a question about a service, something past or
        hypothetical) kept them out: the rules judged the message not urgent on purpose."""
        return tuple(v.slug for v in self.verdicts if not v.fired and HELD_BACK in v.reason)


class _Index:
    """Every form once with every (concept, word) it stands for, compiled into one Aho–Corasick automaton
    (ahocorasick_rs, in Rust): a sentence is scanned once and only the forms really in it come back, rather than a
    slice and a lookup for every length at every position that begins some form."""

    def __init__(self) -> None:
        self._forms: dict[str, dict[tuple[str, str], None]] = defaultdict(dict)
        self._automaton: ahocorasick_rs.AhoCorasick | None = None
        self._found: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def add(self, form: str, concept: str, word: str) -> None:
        if len(form) >= 2:
            self._forms[form][(concept, word)] = None

    def freeze(self) -> None:
        self._found = [(form, tuple(owners)) for form, owners in self._forms.items()]
        self._automaton = ahocorasick_rs.AhoCorasick([form for form, _ in self._found]) if self._found else None

    def find_at(self, text: str, starts: Iterable[int] | None = None) -> list[tuple[int, str, str, str]]:
        """Return (position, form, concept, word) for every form in text (only from `starts` when given), by
        position, then the shorter form first."""
        if self._automaton is None or not text:
            return []
        # Every match, overlapping ones too, as (form, start, end) in characters; sorted by start, then length.
        found = sorted([(start, end, n) for n, start, end in self._automaton.find_matches_as_indexes(
            text, overlapping=True)])
        if starts is not None:
            allowed = starts if isinstance(starts, (set, frozenset)) else set(starts)
            found = [f for f in found if f[0] in allowed]
        forms = self._found
        return [(start, form, concept, word) for start, _, n in found
                for form, owners in (forms[n],) for concept, word in owners]


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> tuple[str, bool]:
    """Return one NFKC character's comparison form ("" for punctuation) and whether it is katakana."""
    if _PUNCT_RE.fullmatch(ch):
        return "", False
    return norm(ch) or ch, "\u30a1" <= ch <= "\u30fa" or ch == "ー"


def _fold_marking_katakana(text: str) -> tuple[str, list[bool]]:
    """Return norm(text) of an NFKC text and, for each of its characters, whether it was written in katakana."""
    chars, katakana = [], []
    for ch in text:
        folded, kata = _fold_char(ch)
        if folded:
            chars.append(folded)
            # ー belongs to the word before it: katakana after katakana, hiragana after hiragana.
            katakana.append(kata and (ch != "ー" or bool(katakana and katakana[-1])))
    return "".join(chars), katakana


def _katakana_at(kept: str, i: int) -> bool:
    """Tell whether character i of a text without punctuation (which lines up with its folded form) was written in
    katakana: what _fold_marking_katakana gives for it, without folding the text character by character."""
    while i >= 0:
        ch = kept[i]
        if "\u30a1" <= ch <= "\u30fa":
            return True
        if ch != "ー":
            return False
        i -= 1  # ー belongs to the word before it
    return False


def _splits_a_katakana_word(katakana: str | list[bool], start: int, end: int) -> bool:
    """Tell whether a match mixing scripts begins or ends inside a katakana word (ストーブ|つけて for ぶつけ).
    katakana is the text without punctuation (each flag found when asked) or the flags themselves."""
    lo, hi = max(start - 1, 0), min(end + 1, len(katakana))
    flags = [_katakana_at(katakana, j) for j in range(lo, hi)] if isinstance(katakana, str) else katakana[lo:hi]
    span = flags[start - lo:end - lo]
    if all(span) or not any(span):
        return False
    return (start > 0 and flags[0] and span[0]) or (end < len(katakana) and flags[-1] and span[-1])


def _substring_ok(form: str) -> bool:
    # Long enough to be searched inside other text: two kanji-bearing characters (火事) or three kana (くるし).
    # Shorter ones (火, くま, ひ) are found only as whole Sudachi words, so 火曜日 and ちかくまで stay quiet.
    return len(form) >= 3 or (len(form) >= 2 and _has_kanji(form))


class Lexicon:
    """Every concept word compiled into the three ways a message can contain it."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        """Analyse every word once with Sudachi."""
        self.concepts = {c.key: c for c in concepts}
        self.written = _Index()  # folded forms, searched in the folded sentence
        self.spoken = _Index()  # readings of kanji words, searched from the start of a unit: くるしい for 苦しい
        self.tokens: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # key → (concept, word, how)
        # (surface, normalised form, part-of-speech id) → record(): the unit, its folded surface, its sequence item
        # and the (concept, word, how) it stands for.
        self._units: dict[tuple[str, str, int], tuple] = {}
        self.known = self._units.get  # a unit's record when it was seen before
        # Multi-word phrases by their first meaningful word: 血が止まらない as (血, 止まる, ない).
        self.sequences: dict[str, list[tuple[tuple[frozenset[str], ...], str, str]]] = defaultdict(list)
        for concept in self.concepts.values():
            for word in concept.words:
                self._add(concept.key, word, concept.exact)
        self.written.freeze()
        self.spoken.freeze()

    def _add(self, key: str, word: str, exact: bool = False) -> None:
        form = norm(word)
        if not form:
            return
        units = [m for m in morphemes(nfkc(word)) if m.pos not in ("補助記号", "空白")]
        seq = _sequence((m.surface, m.lemma, m.pos, m.form) for m in units)
        first = _sequence((m.surface, m.lemma, m.pos, m.form) for m in units[:1])
        # Only when the phrase starts with a word that counts: いなくなれば must not become なく + なる.
        if len(seq) >= 2 and first and not exact:
            # Each item also by its kana reading: Sudachi gives とまる, not 止まる, for a kana とまった.
            wanted = tuple(frozenset({item, _reading_of(item)}) for item in seq)
            for first in wanted[0]:
                self.sequences[first].append((wanted, key, word))
        reading = norm("".join(m.reading for m in units)) if _has_kanji(word) and not exact else ""
        if _substring_ok(form):
            self.written.add(form, key, word)
        else:
            # Short words are compared as whole Sudachi units, without folding small kana (いっ is not いつ).
            self.tokens[fold(word)].append((key, word, AS_WRITTEN))
        if reading and reading != form:
            if len(reading) >= 3:
                # From the start of a Sudachi unit only: 蹴られ (けられ) is not inside ぶつけられた.
                self.spoken.add(reading, key, word)
            else:
                # The reading of a short kanji word meets only content words: 手 (て) is not the particle て.
                self.tokens["\1" + fold(reading)].append((key, word, BY_READING))
        # One verb or adjective in its plain or stem form, perhaps with た/て after it (倒れた, 苦しい, 出て): its
        # normalised form finds every conjugation (倒れとる, たおれて). Not 死にたい, 死のう or 動かない: a wish,
        # an intention or a negation changes the meaning, so 死ぬほど and 動いた must not match them.
        if not exact and units and units[0].pos in ("動詞", "形容詞") and units[0].form.startswith(("終止形", "連用形")) \
                and all(m.surface in _PLAIN_ENDINGS for m in units[1:]):
            lemma = norm(units[0].lemma)
            if lemma:
                self.tokens["\0" + lemma].append((key, word, BY_LEMMA))
            stem = norm(units[0].reading)
            if len(units) > 1 and len(stem) >= 3 and _has_kanji(units[0].surface) and not exact:
                self.spoken.add(stem, key, word)  # タオレテ, which Sudachi does not read as a verb

    def record(self, surface: str, lemma: str, pos_id: int) -> tuple:
        """Return what one Sudachi unit gives: the unit (surface, normalised form, word class, conjugation form),
        its folded surface, its item in a word sequence (None when left out) and the (concept, word, how) it stands
        for as a whole word. Units recur, so answers are kept, one record per (surface, normalised form, part of
        speech): a long message then costs one lookup per unit, and no new object."""
        key = (surface, lemma, pos_id)
        found = self._units.get(key)
        if found is None:
            pos, form = pos_of(pos_id)
            unit = (surface, lemma, pos, form)
            folded = fold(surface)
            keys = [(folded, BY_TOKEN), ("\0" + norm(lemma), BY_LEMMA)]
            if len(folded) > 2 and folded.endswith("ー"):
                keys.append((folded.rstrip("ー"), BY_TOKEN))  # くまー！ is くま
            if pos not in _GLUE:
                keys.append(("\1" + folded, BY_READING))
            hits = tuple((concept, word, how) for k, how in keys for concept, word, _ in self.tokens.get(k, ()))
            item = _sequence((unit,))
            folded = norm(surface)
            found = (unit, folded, item[0] if item else None, hits, len(surface), pos != "空白", len(folded))
            if len(self._units) > 50_000:
                self._units.clear()  # the same dict: self.known stays bound to it
            self._units[key] = found
        return found

    def written_hits(self, sentence: str, every: bool = True) -> dict[tuple[str, str] | str, Hit]:
        """Return the concept words written in one sentence (folded: kana, width and punctuation aside), found
        without Sudachi; keyed as hits() keys them."""
        found: dict[tuple[str, str] | str, Hit] = {}
        folded = norm(sentence)
        katakana: str | list[bool] | None = None
        mixed = _KATAKANA_WORD.search(sentence) is not None
        for start, form, concept, word in self.written.find_at(folded):
            key = (concept, word) if every else concept
            if key in found:
                continue
            if mixed:
                if katakana is None:
                    # Folding keeps one character for each one it does not drop, so the text without punctuation
                    # lines up with the folded one; when it does not (rare), every character is folded on its own.
                    katakana = _PUNCT_RE.sub("", sentence)
                    if len(katakana) != len(folded):
                        katakana = _fold_marking_katakana(sentence)[1]
                # Only a match with katakana (or ー) in it can split a katakana word; most have none.
                if (type(katakana) is list or _KATAKANA_MARK.search(katakana, start, start + len(form))) \
                        and _splits_a_katakana_word(katakana, start, start + len(form)):
                    continue  # ぶつけ is not in ストーブつけて: the match starts inside ストーブ
            found[key] = Hit(concept, word, AS_WRITTEN if form == norm(word) else BY_READING, form)
        return found

    def hits(self, sentence: str, records: Sequence[tuple], every: bool = True) -> list[Hit]:
        """Return every concept word in one sentence (its NFKC text and its Sudachi units, as record() gives them);
        with every=False only the first word of each concept (all a decision needs; `safety explain` shows them
        all)."""
        found = self.written_hits(sentence, every)
        # Units that stand for a concept as a whole word are few: only they are visited one by one.
        for n in compress(count(), map(_HITS, records)):
            unit, _, _, unit_hits, *_ = records[n]
            negated = None
            for concept, word, how in unit_hits:
                key = (concept, word) if every else concept
                if key in found:
                    continue
                if how == BY_LEMMA:
                    # A verb found by its normalised form, negated right after, says the opposite: 埋まらない is
                    # not 埋まった, 燃えない is not 燃えた.
                    if negated is None:
                        negated = _negated_after(records, n)
                    if negated:
                        continue
                found[key] = Hit(concept, word, how, unit[0])
        # Readings from the start of a unit: the folded surfaces joined, and where each unit starts in them.
        starts = frozenset(accumulate(map(_LENGTH_FOLDED, records), initial=0))
        joined = "".join(map(_FOLDED, records))
        for start, form, concept, word in self.spoken.find_at(joined, starts):
            key = (concept, word) if every else concept
            # A reading that stops before ー stops in the middle of a long syllable: 買った (かった) is not in カッター.
            if key not in found and not joined.startswith("ー", start + len(form)):
                found[key] = Hit(concept, word, BY_READING, form)
        seq = [item for item in map(_ITEM, records) if item is not None]
        sequences = self.sequences
        last = len(seq) - 1
        for i in compress(count(), map(sequences.__contains__, seq)):
            if i == last:
                continue
            first, second = seq[i], seq[i + 1]
            for wanted, concept, word in sequences[first]:
                end = i + len(wanted)
                if second not in wanted[1] or end > len(seq):
                    continue
                key = (concept, word) if every else concept
                if key in found:
                    continue
                after = seq[end] if end < len(seq) else ""
                # 火がついて is not in 火がつかない: a negation right after the phrase turns it around.
                if all(g in w for g, w in zip(seq[i + 2:end], wanted[2:])) and after not in _NEGATIONS:
                    found[key] = Hit(concept, word, BY_SEQUENCE, "・".join(seq[i:end]))
        return list(found.values())


# The fields of a unit's record (Lexicon.record): its folded surface, its sequence item, its whole-word hits, the
# length of its surface, whether it is not a space, the length of its folded surface.
_FOLDED, _ITEM, _HITS, _LENGTH, _NOT_SPACE, _LENGTH_FOLDED = (itemgetter(n) for n in range(1, 7))


def _negated_after(records: Sequence[tuple], n: int) -> bool:
    """Tell whether the unit after records[n] negates it: 埋まら|ない, 埋まり|ませ|ん, and the progressive
    食べ|て|ない, 飲ん|で|い|ない (not done: ご飯食べてない is not 食べた)."""
    units = [r[0] for r in records[n + 1:n + 5]]
    k = 0
    if k < len(units) and units[k][0] in ("て", "で") and units[k][2] in ("助詞", "助動詞"):
        k += 1
        if k < len(units) and units[k][0] == "い":
            k += 1
    if k < len(units) and units[k][0] == "ませ":
        k += 1
    return k < len(units) and units[k][2] == "助動詞" and norm(units[k][0]) in _NEGATIONS


def phrase_key(slug: str) -> str:
    """Return the concept key that holds a rule's standalone phrases."""
    return "@" + slug


@lru_cache(maxsize=1024)
def _alternatives(item: str) -> frozenset[str]:
    return frozenset(item.split("|"))


HELD_BACK = "があるので緊急ではない"  # the end of a verdict's reason when an intent kept a rule out


def _decide(rule_when: tuple[tuple[str, ...], ...], blocked_by: Sequence[str], lifted_by: Sequence[str],
            present: set[str], phrase: str | None) -> tuple[bool, str]:
    # A combination holds when each of its items is there; an item "a|b" holds when a or b is there.
    said = phrase is not None and phrase in present
    combo = None
    if not said:
        for c in rule_when:
            for item in c:
                if present.isdisjoint(_alternatives(item)):
                    break
            else:
                combo = c
                break
        if combo is None:
            return False, ""
    why = "決まった言い方" if said else "組み合わせ " + " + ".join(combo or ())
    blocks = [k for k in blocked_by if k in present]
    if blocks:
        lifts = [k for k in lifted_by if k in present]
        if not lifts:
            return False, f"{why} はあるが、{', '.join(blocks)} {HELD_BACK}"
        why += f"（{', '.join(blocks)} もあるが {', '.join(lifts)} があるので緊急）"
    return True, why


def _fires(combos: tuple[tuple[frozenset[str], ...], ...], blocks: frozenset[str], lifts: frozenset[str],
           present: frozenset[str], phrase: str | None) -> bool:
    """Tell whether a rule fires on one window: what _decide tells, without saying why."""
    if phrase is None or phrase not in present:
        for combo in combos:
            for items in combo:
                if present.isdisjoint(items):
                    break
            else:
                break
        else:
            return False
    return present.isdisjoint(blocks) or not present.isdisjoint(lifts)


def _fold_latin(text: str) -> tuple[str, str]:
    """Return ' word word ' for a Latin-script text, with its diacritics and without them."""
    words = _WORD.findall(nfkc(text))
    plain = " " + " ".join(words) + " "
    stripped = "".join(c for c in unicodedata.normalize("NFD", plain) if unicodedata.category(c) != "Mn")
    return plain, stripped.replace("đ", "d")


class Detector:
    """The compiled lexicons, rules and languages; match() answers which rules a message calls for."""

    def __init__(self, concepts: Iterable[Concept], rules: Sequence[Rule],
                 languages: Sequence[Language] = ()) -> None:
        """Compile every concept word, each rule's phrases, and the languages' keywords."""
        self.rules = tuple(rules)
        concepts = list(concepts) + [Concept(phrase_key(r.slug), f"{r.title}の決まった言い方", r.phrases)
                                     for r in self.rules if r.phrases]
        self.lexicon = Lexicon(concepts)
        self.languages = tuple(languages)
        self._by_slug = {r.slug: r for r in self.rules}
        # Per rule: its phrase concept, and every concept that can open it (a phrase or a combination's first item).
        self._plans = []
        for r in self.rules:
            phrase = phrase_key(r.slug) if r.phrases else None
            openers = {k for combo in r.when for k in _alternatives(combo[0])} if r.when else set()
            self._plans.append((r, phrase, frozenset(openers | ({phrase} if phrase else set()))))
        # The same, compiled for match(): each combination as its items' sets, the blocks and lifts as sets.
        self._compiled = tuple((tuple(tuple(_alternatives(item) for item in combo) for combo in r.when),
                                frozenset(r.blocked_by), frozenset(r.lifted_by)) for r in self.rules)
        self._variants: dict[tuple[str, str], Rule] = {}
        self._latin: list[tuple[Language, dict, tuple]] = []
        for lang in self.languages:
            for slug in lang.rules:
                base = self._by_slug.get(slug)
                if base is not None:
                    text = lang.replies.get(slug, "")
                    self._variants[(lang.code, slug)] = replace(
                        base, lang=lang.code, title=f"{lang.title}／{base.title}", call=lang.call, labels=(),
                        reply=f"{text}\n\n{base.reply}" if text else base.reply)
            # Latin keywords by their first word ("on fire" under "on"), with and without accents; the others
            # (Chinese, Korean) are few and searched as they are.
            latin: dict[str, list[tuple[str, str, tuple[str, ...]]]] = defaultdict(list)
            other: list[tuple[str, str, str, bool]] = []
            pairs = [(key, w) for key, words in lang.concepts.items() for w in words]
            pairs += [("!" + w, w) for w in (*lang.blocked_by, *lang.lifted_by)]
            for key, w in pairs:
                for form in dict.fromkeys(f.strip() for f in _fold_latin(w)):
                    if not form:
                        continue
                    if _LATIN.search(form):
                        seq = tuple(form.split())
                        latin[seq[0]].append((key, w, seq))
                    else:
                        other.append((key, w, form, bool(_HANGUL.search(form))))
            self._latin.append((lang, dict(latin), tuple(other)))

    def __len__(self) -> int:
        """Return the number of rules."""
        return len(self.rules)

    # -- Japanese ------------------------------------------------------------------------------------------

    def _sentences(self, text: str, every: bool = True,
                   clauses: bool = True) -> tuple[list[tuple[str, list[Hit]]], frozenset[int]]:
        """Return each sentence with its concepts, then (with clauses) the clauses after a turn (けど) found in
        them, and the indexes of those clauses. The text goes through Sudachi once."""
        out: list[tuple[str, list[Hit]]] = []
        tails: list[int] = []
        record, known = self.lexicon.record, self.lexicon.known
        records = [known(key) or record(*key) for key in raw_units(text)]
        # Where each unit starts in the text; a unit belongs to the sentence it starts in.
        offsets = list(accumulate(map(_LENGTH, records), initial=0))
        start = first = 0
        for end in [m.end() for m in _SENTENCE_END.finditer(text) if m.end() < len(text)] + [len(text)]:
            if start >= len(text):
                break
            last = bisect_left(offsets, end, first, len(records))
            mine = list(compress(records[first:last], map(_NOT_SPACE, records[first:last])))
            self._close(text[start:end], mine, out, tails if clauses else None, every)
            start, first = end, last
        return out, frozenset(tails)

    def _close(self, sentence: str, mine: list, out: list[tuple[str, list[Hit]]], tails: list[int] | None,
               every: bool) -> None:
        if not sentence.strip():
            return
        hits = self.lexicon.hits(sentence, mine, every)
        if _EXCLAIM.search(sentence):
            hits.append(Hit(EXCLAIM, "！", AS_WRITTEN, "！"))
        if len(norm(sentence)) <= SHORT_CHARS:
            hits.append(Hit(SHORT, sentence.strip(), AS_WRITTEN, sentence.strip()))
        out.append((sentence, hits))
        if tails is not None and len(sentence) >= CLAUSE_MIN_CHARS:
            # Only after a preface told in the past (準備してたんだけど, 行ったけど): 「講習を受けたいんですけど、
            # 胸が痛い人がいたら…」 is one question about a course, and its second half is no emergency on its own.
            turns = [n for n, r in enumerate(mine) if r[0][1] == _TURN and r[0][2] == "助詞"
                     and any(u[0][1] == "た" and u[0][2] == "助動詞" for u in mine[max(0, n - 4):n])]
            for n in turns:
                tail = [r for r in mine[n + 1:] if r[0][2] != "補助記号"]
                if tail:
                    clause = "".join(r[0][0] for r in tail)
                    tails.append(len(out))
                    out.append((clause, self.lexicon.hits(clause, tail, every)))

    def _judge(self, sentences: list[tuple[str, list[Hit]]], explain: bool,
               tails: frozenset[int] = frozenset()) -> tuple[list[Rule], list[Verdict]]:
        single = [frozenset(h.concept for h in hits) for _, hits in sentences]
        # Each sentence, and each pair of neighbours that says more than either alone; each set once. A clause
        # after a turn (けど) is a window of its own, and is paired with the sentence after its own.
        if tails:
            main = [i for i in range(len(single)) if i not in tails]
            pairs = list(zip(main, main[1:])) + [(t, next((m for m in main if m > t), t)) for t in sorted(tails)]
            neighbours = [(single[a], single[b]) for a, b in pairs]
        else:
            neighbours = list(zip(single, single[1:]))
        windows = list(dict.fromkeys(single + [a | b for a, b in neighbours if a - b and b - a]))
        fired: list[Rule] = []
        verdicts: list[Verdict] = []
        everything = set().union(*windows) if windows else set()
        for (rule, phrase, openers), compiled in zip(self._plans, self._compiled):
            outcome, why = False, ""
            if everything.isdisjoint(openers):
                # Neither a phrase nor the first item of any combination: nothing to weigh (most messages).
                if explain:
                    verdicts.append(Verdict(rule.slug, False, "当てはまる組み合わせがない"))
                continue
            if not explain:
                # The same verdict as _decide, without the reasons nobody reads.
                if any(not present.isdisjoint(openers) and _fires(*compiled, present, phrase) for present in windows):
                    fired.append(rule)
                continue
            for present in windows:
                if present.isdisjoint(openers):
                    continue
                ok, reason = _decide(rule.when, rule.blocked_by, rule.lifted_by, present, phrase)
                if ok:
                    outcome, why = True, reason
                    break
                why = why or reason
            if outcome:
                fired.append(rule)
            if explain:
                verdicts.append(Verdict(rule.slug, outcome, why or "当てはまる組み合わせがない"))
        replaced = {s for r in fired for s in r.replaces}
        if any(not r.alone for r in fired):
            replaced |= {r.slug for r in fired if r.alone}
        kept = [r for r in fired if r.slug not in replaced]
        if explain:
            verdicts = [Verdict(v.slug, v.fired and v.slug not in replaced,
                                v.reason + ("（ほかのルールが代わりに答える）" if v.fired and v.slug in replaced else ""))
                        for v in verdicts]
        return kept, verdicts

    # -- other languages -----------------------------------------------------------------------------------

    def _foreign(self, text: str, explain: bool) -> tuple[str, list[Hit], list[Rule], list[Verdict]]:
        nf = nfkc(text)
        han_only = not _KANA.search(nf)
        plain, stripped = _fold_latin(nf) if _LATIN.search(nf) else ("", "")
        squeezed = re.sub(r"\s+", "", nf)
        best: tuple[str, list[Hit], list[Rule], list[Verdict]] = ("ja", [], [], [])
        # Typed with accents: compared as typed (chạy is not cháy); typed without: unaccented.
        words = (plain if plain != stripped else stripped).split()
        chinese = han_only and bool(_ZH_MARK.search(squeezed))
        hangul = bool(_HANGUL.search(squeezed))
        for lang, latin, other in self._latin:
            hits: list[Hit] = []
            for i, w in enumerate(words):
                for key, word, seq in latin.get(w, ()):
                    if tuple(words[i:i + len(seq)]) == seq:
                        hits.append(Hit(key, word, AS_WRITTEN, " ".join(seq)))
            # The built-in concepts: a message of at most three words, or one that ends in ！.
            if words and len(words) <= 3 or (not words and len(squeezed) <= SHORT_CHARS):
                hits.append(Hit(SHORT, nf.strip(), AS_WRITTEN, nf.strip()))
            if _EXCLAIM.search(nf):
                hits.append(Hit(EXCLAIM, "!", AS_WRITTEN, "!"))
            if han_only or hangul:
                for key, word, form, is_hangul in other:
                    if form in squeezed and (is_hangul or (han_only and (
                            chinese or bool(_ZH_MARK.search(form)) or norm(squeezed) == norm(form)))):
                        hits.append(Hit(key, word, AS_WRITTEN, form))
            if not any(not h.concept.startswith("!") and h.concept not in BUILTIN for h in hits):
                continue
            present = {h.concept for h in hits}
            blocks = tuple("!" + w for w in lang.blocked_by)
            lifts = tuple("!" + w for w in lang.lifted_by)
            fired, verdicts = [], []
            for slug, combos in lang.rules.items():
                ok, why = _decide(combos, blocks, lifts, present, None)
                variant = self._variants.get((lang.code, slug))
                if ok and variant is not None:
                    fired.append(variant)
                if explain:
                    verdicts.append(Verdict(f"{slug} ({lang.code})", ok, why or "当てはまる組み合わせがない"))
            if any(not r.alone for r in fired):
                fired = [r for r in fired if not r.alone]
            replaced = {slug for r in fired for slug in r.replaces}
            fired = [r for r in fired if r.slug not in replaced]
            if fired or len(hits) > len(best[1]):
                best = (lang.code, hits, fired, verdicts)
            if fired:
                break
        return best

    # -- the two entry points ------------------------------------------------------------------------------

    def rule(self, slug: str, lang: str = "ja") -> Rule | None:
        """Return the rule of that slug (its variant in another language when there is one), or None."""
        if lang != "ja" and (lang, slug) in self._variants:
            return self._variants[(lang, slug)]
        return next((r for r in self.rules if r.slug == slug), None)

    def match(self, message: str) -> tuple[Rule, ...]:
        """Return the rules a message calls for, in the order staff wrote them; () for everyday questions."""
        return self._run(message, explain=False).matched

    def explain(self, message: str) -> Explanation:
        """Return the sentences, the concepts found in each and every rule's verdict, for people to read."""
        return self._run(message, explain=True)

    def _run(self, message: str, explain: bool) -> Explanation:
        text = nfkc(truncate(message))
        if not text.strip():
            return Explanation("ja", [], [], ())
        sentences: list[tuple[str, list[Hit]]] = []
        rules: list[Rule] = []
        verdicts: list[Verdict] = []
        if _KANA.search(text) or _KANJI.search(text):
            katakana_only = not _HIRAGANA.search(text) and not _KANJI.search(text) \
                and len(_KATAKANA_WORD.findall(text)) >= _KATAKANA_ONLY_MIN
            # A katakana-only message is read twice and the two readings merged sentence by sentence, so neither
            # adds the clauses after a turn (which would shift one reading against the other).
            sentences, tails = self._sentences(text, explain, clauses=not katakana_only)
            if katakana_only:
                again, _ = self._sentences(to_hiragana(text), explain, clauses=False)
                sentences = [(s, h + [x for x in h2 if x not in h]) for (s, h), (_, h2) in zip(sentences, again)]
            rules, verdicts = self._judge(sentences, explain, tails)
        if rules or _KANA.search(text):
            return Explanation("ja", sentences, verdicts, tuple(rules))
        code, hits, foreign, more = self._foreign(text, explain)
        if foreign:
            return Explanation(code, [(text, hits)], more, tuple(foreign))
        return Explanation("ja" if sentences else code, sentences or [(text, hits)], verdicts + more, ())
