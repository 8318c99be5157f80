"""Recognise urgent messages (fire, police, a bear nearby, a sick child) from staff-written rules. Pure library."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.matching.normalize import fold, truncate
from bot.matching.tokenize import analyze

# Terms at least this long (in folded characters) also match with one typo, and by their Sudachi reading:
# shorter ones (かじ, くま) are too often part of other words (家事, ちかくまで) to be matched loosely.
LOOSE_MIN = 5
DEFAULT_WITHIN = 12


@dataclass(frozen=True)
class Pair:
    """A subject and an event that together mean urgency: 熊 + 出た, 子ども + 熱."""

    subjects: tuple[str, ...]
    events: tuple[str, ...]
    within: int = DEFAULT_WITHIN


@dataclass(frozen=True)
class Rule:
    """One safety rule: when it applies, and what the bot says and offers to call."""

    slug: str
    title: str
    numbers: tuple[str, ...]
    reply: str
    town: bool = False
    terms: tuple[str, ...] = ()
    pairs: tuple[Pair, ...] = ()
    exclude: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    flag: str = "urgent"  # how staff see the message in the inbox: "urgent" (緊急) or "care" (要配慮)


def _folded(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w for w in (fold(str(x)) for x in words) if w))


def _has_kanji(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def _cutoff(term: str) -> float:
    # One substitution in a term of n characters costs two of the 2n indel operations: 100 * (1 - 1/n).
    return 100.0 * (1 - 1 / len(term)) - 0.01


# What a word in the lexicon is to its rule: a term, the subject or event of pair n, an exclusion, a veto.
TERM, EXCLUDE, UNLESS, SUBJECT, EVENT = range(5)


@dataclass(frozen=True)
class _Reading:
    """A kanji term's Sudachi reading, and what a message must share with the term before Sudachi is asked."""

    reading: str
    kanji: frozenset[str]
    pieces: tuple[str, ...]  # three-kana pieces of the reading: きゅうきゅう車 carries きゅう

    def worth_asking(self, text: str) -> bool:
        # Tokenising costs tens of microseconds: only for a message with most of the term's kanji (救急者
        # for 救急車) or one of them and a piece of its reading.
        shared = sum(1 for ch in self.kanji if ch in text)
        return bool(shared) and (shared >= max(2, len(self.kanji) - 1) or any(p in text for p in self.pieces))


class _Compiled:
    """What one rule needs beyond the shared lexicon: its loose terms and the readings of its kanji terms."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.pairs = tuple(p.within for p in rule.pairs)
        terms = _folded(rule.terms)
        # (term, its bigrams, how many a message must share): one typo spoils at most two bigrams.
        self.loose = tuple((t, frozenset(_bigrams(t)), max(2, len(_bigrams(t)) - 2))
                           for t in terms if len(t) >= LOOSE_MIN)
        readings: dict[str, _Reading] = {}
        for term in terms:
            if _has_kanji(term):
                said = analyze(term).reading
                if len(said) >= LOOSE_MIN:
                    pieces = tuple(dict.fromkeys(said[i:i + 3] for i in range(len(said) - 2)))
                    readings.setdefault(said, _Reading(said, frozenset(c for c in term if _has_kanji(c)), pieces))
        self.readings = tuple(readings.values())

    def decide(self, hits: list[tuple[int, int, int, int]]) -> bool | None:
        """Tell from the lexicon's hits (start, end, kind, pair) whether the rule applies; None when vetoed."""
        if any(kind == UNLESS for _, _, kind, _ in hits):
            return None
        spans = [(s, e) for s, e, kind, _ in hits if kind == EXCLUDE]
        if spans:
            hits = [h for h in hits if h[2] == EXCLUDE or not any(s < h[1] and h[0] < e for s, e in spans)]
        if any(kind == TERM for _, _, kind, _ in hits):
            return True
        for n, within in enumerate(self.pairs):
            subjects = [(s, e) for s, e, kind, p in hits if kind == SUBJECT and p == n]
            if subjects and any(kind == EVENT and p == n and any(
                    es < e + within and s - within < ee and not (s <= es and ee <= e) for s, e in subjects)
                    for es, ee, kind, p in hits):
                return True
        return False

    def masked(self, text: str, hits: list[tuple[int, int, int, int]]) -> str:
        """Return text with this rule's exclusions blanked out, for the loose comparisons."""
        for s, e, kind, _ in hits:
            if kind == EXCLUDE:
                text = text[:s] + "・" * (e - s) + text[e:]
        return text


class _LazyReading:
    """The message's Sudachi reading, worked out at most once and only when a rule needs it."""

    def __init__(self, message: str) -> None:
        self._message = message
        self._reading: str | None = None

    def get(self) -> str:
        if self._reading is None:
            self._reading = analyze(self._message).reading
        return self._reading


class SafetyMatcher:
    """Every rule, compiled once; match() answers which rules a message calls for."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        """Fold every word of every rule into one lexicon indexed by first character."""
        self.rules = tuple(rules)
        self._compiled = tuple(_Compiled(r) for r in self.rules)
        index: dict[str, list[tuple[str, int, int, int]]] = defaultdict(list)
        for r, rule in enumerate(self.rules):
            lists = [(TERM, -1, rule.terms), (EXCLUDE, -1, rule.exclude), (UNLESS, -1, rule.unless)]
            for n, pair in enumerate(rule.pairs):
                lists += [(SUBJECT, n, pair.subjects), (EVENT, n, pair.events)]
            for kind, pair_no, words in lists:
                for word in _folded(words):
                    index[word[0]].append((word, r, kind, pair_no))
        self._index = {ch: tuple(sorted(ws, key=lambda w: -len(w[0]))) for ch, ws in index.items()}
        # Loose terms by bigram (one typo leaves most of them) and kanji readings by kanji: only the few a
        # message shares enough with are compared by edit distance or sent to Sudachi.
        self._grams: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
        self._kanji: dict[str, list[tuple[int, _Reading]]] = defaultdict(list)
        for r, c in enumerate(self._compiled):
            for term, grams, need in c.loose:
                for g in grams:
                    self._grams[g].append((r, term, need))
            for reading in c.readings:
                for ch in reading.kanji:
                    self._kanji[ch].append((r, reading))

    def __len__(self) -> int:
        """Return the number of rules."""
        return len(self.rules)

    def match(self, message: str) -> tuple[Rule, ...]:
        """Return the rules a message calls for, in the order staff wrote them; () for everyday questions."""
        text = fold(truncate(message))
        if not text:
            return ()
        hits: dict[int, list[tuple[int, int, int, int]]] = {}
        index = self._index
        for i, ch in enumerate(text):
            words = index.get(ch)
            if words:
                for word, r, kind, pair_no in words:
                    if text.startswith(word, i):
                        hits.setdefault(r, []).append((i, i + len(word), kind, pair_no))
        matched: set[int] = set()
        vetoed: set[int] = set()
        for r, rule_hits in hits.items():
            verdict = self._compiled[r].decide(rule_hits)
            if verdict:
                matched.add(r)
            elif verdict is None:
                vetoed.add(r)
        shared: dict[tuple[int, str, int], int] = defaultdict(int)
        for g in _bigrams(text):
            for key in self._grams.get(g, ()):
                if key[0] not in matched and key[0] not in vetoed:
                    shared[key] += 1
        for (r, term, need), count in shared.items():
            # One typo spoils at most two of a term's bigrams: without enough of them, skip the edit distance.
            if count >= need and r not in matched and fuzz.partial_ratio(
                    term, self._compiled[r].masked(text, hits.get(r, [])), score_cutoff=_cutoff(term)):
                matched.add(r)
        reading = _LazyReading(truncate(message))
        for ch in self._kanji.keys() & set(text):
            for r, said in self._kanji[ch]:
                if r not in matched and r not in vetoed and said.worth_asking(text) and said.reading in reading.get():
                    matched.add(r)
        return tuple(self.rules[r] for r in sorted(matched))
