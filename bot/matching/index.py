"""Build the in-memory search index over FAQ entries and rank entries for a query."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .bm25 import BM25F, Field
from .fuzzy import best_ratio
from .model import Candidate, Document
from .normalize import clean_query, fold, kana_share, strip_boilerplate, nfkc
from .semantic import SemanticIndex, SemanticQuery
from .synonyms import SynonymTable
from .tokenize import Analysis, analyze, char_ngrams
from .vectors import WordVectors

# Field weights: a resident's words meet an entry's title and alternate questions far more often
# than its answer, which is long and full of incidental words; keywords are staff-chosen handles.
WORD_FIELDS = (
    Field("title", 3.0, 0.5),
    Field("questions", 2.0, 0.75),
    Field("keywords", 2.0, 0.5),
    Field("answer", 1.0, 0.75),
)
# Character and reading bigrams only over the short fields: over answers they are mostly noise.
CHAR_FIELDS = (Field("title", 3.0, 0.5), Field("questions", 2.0, 0.75), Field("keywords", 2.0, 0.5))
K1 = 1.2
# A split-mode A piece of a longer unit (医療 in 医療費) is weaker evidence than the unit itself.
PART_WEIGHT = 0.5
# How much each channel counts in the blended relevance (word terms are the backbone).
CHAR_CHANNEL = 0.25
READING_CHANNEL = 1.0  # scaled by the query's kana share: only kana queries need readings
FUZZY_CHANNEL = 0.25
RERANK_DEPTH = 30
# Share of the entry's best-fitting question that the query covers: BM25 only asks how much of the
# query an entry has; a resident's question usually restates one FAQ question, so ask the reverse too.
QUESTION_COVER = 1.0
# Word-vector similarity of query and entry (semantic.py), when vectors are installed: it finds
# entries that share meaning but few words, so it also feeds the pool that gets re-ranked.
DENSE_CHANNEL = 1.5


@dataclass
class _Entry:
    doc: Document
    texts: tuple[str, ...]  # folded title and questions, for string similarity
    labels: tuple[str, ...]  # the same texts as written, for reasons


@dataclass(frozen=True)
class Query:
    """Hold a query's terms per channel, ready to score."""

    text: str  # folded, boilerplate stripped
    words: dict[str, float]
    chars: dict[str, float]
    reading: dict[str, float]
    kana: float


def _word_terms(text: str, synonyms: SynonymTable, a: Analysis | None = None) -> list[str]:
    a = a or analyze(text)
    terms = list(a.words) + list(a.parts)
    terms += [g for g, _ in synonyms.groups_in(fold(text), set(a.words) | set(a.parts))]
    return terms


def _weighted(a: Analysis, into: Counter[str]) -> None:
    # Units count once per occurrence, their split-mode A pieces at PART_WEIGHT (as in queries).
    for t in a.words:
        into[t] += 1.0
    for t in a.parts:
        into[t] += PART_WEIGHT


def _bigrams_of(texts: Iterable[str]) -> list[str]:
    out: list[str] = []
    for t in texts:
        out += char_ngrams(fold(strip_boilerplate(nfkc(t))))
    return out


def _readings_of(analyses: Iterable[Analysis]) -> list[str]:
    out: list[str] = []
    for a in analyses:
        out += char_ngrams(a.reading)
    return out


class Index:
    """Hold BM25F indexes over words, characters and readings plus the texts for fuzzy re-ranking."""

    def __init__(
        self, docs: Sequence[Document], synonyms: SynonymTable, vectors: WordVectors | None = None
    ) -> None:
        """Analyse every document once; with vectors, also embed it for the semantic signals."""
        self.synonyms = synonyms
        self.entries: list[_Entry] = []
        self.question_terms: list[tuple[frozenset[str], ...]] = []
        # Filled lazily by _question_weights; a dict write is atomic, so threads may share it.
        self._weights_cache: dict[int, list[tuple[dict[str, float], float]]] = {}
        word_docs: list[dict[str, list[str]]] = []
        char_docs: list[dict[str, list[str]]] = []
        read_docs: list[dict[str, list[str]]] = []
        # Titles and answers feed several indexes: analyse each text once (Sudachi dominates the build).
        self._analyses: dict[str, Analysis] = {}
        for d in docs:
            short = {"title": [d.title], "questions": list(d.questions), "keywords": list(d.keywords)}
            wd: dict[str, list[str]] = {name: [] for name in ("title", "questions", "keywords", "answer")}
            for name, texts in short.items():
                for t in texts:
                    wd[name] += _word_terms(t, synonyms, self._analysis(t))
            wd["answer"] = _word_terms(d.answer, synonyms, self._analysis(d.answer)) if d.answer else []
            word_docs.append(wd)
            self.question_terms.append(
                tuple(frozenset(_word_terms(t, synonyms, self._analysis(t))) for t in (d.title, *d.questions) if t)
            )
            char_docs.append({name: _bigrams_of(texts) for name, texts in short.items()})
            read_docs.append({name: _readings_of(map(self._analysis, texts)) for name, texts in short.items()})
            labels = (d.title, *d.questions)
            self.entries.append(_Entry(d, tuple(fold(strip_boilerplate(nfkc(t))) for t in labels), labels))
        self.words = BM25F(WORD_FIELDS, word_docs, K1)
        self.chars = BM25F(CHAR_FIELDS, char_docs, K1)
        self.readings = BM25F(CHAR_FIELDS, read_docs, K1)
        self.semantic = self._embed(docs, vectors) if vectors is not None and docs else None
        self._analyses = {}

    def _analysis(self, text: str) -> Analysis:
        a = self._analyses.get(text)
        if a is None:
            a = self._analyses[text] = analyze(text)
        return a

    def _embed(self, docs: Sequence[Document], vectors: WordVectors) -> SemanticIndex:
        short_terms: list[dict[str, float]] = []
        answer_terms: list[Counter[str]] = []
        for d in docs:
            short: Counter[str] = Counter()
            for t in (d.title, *d.questions, *d.keywords):
                _weighted(self._analysis(t), short)
            # A term in the questions says what the entry is about however often it recurs.
            short_terms.append({t: min(1.0, w) for t, w in short.items()})
            answer: Counter[str] = Counter()
            _weighted(self._analysis(d.answer), answer)
            answer_terms.append(answer)
        return SemanticIndex(vectors, short_terms, answer_terms, self.question_terms, self.words.term_idf)

    def __len__(self) -> int:
        """Return the number of documents."""
        return len(self.entries)

    def parse(self, query: str) -> Query | None:
        """Return a query's terms, or None when nothing searchable is left."""
        cleaned = clean_query(query)
        folded = fold(cleaned)
        if not folded:
            return None
        a = analyze(cleaned)
        words: dict[str, float] = {}
        for t in a.parts:
            words[t] = max(words.get(t, 0.0), PART_WEIGHT)
        for t in a.words:
            words[t] = 1.0
        for group, variant_words in self.synonyms.groups_in(folded, set(a.words) | set(a.parts)):
            # The group term stands for the variant's own words, so they are not counted twice.
            for w in variant_words:
                words.pop(w, None)
            words[group] = 1.0
        chars = dict.fromkeys(char_ngrams(folded), 1.0)
        reading = dict.fromkeys(char_ngrams(a.reading), 1.0)
        return Query(folded, words, chars, reading, kana_share(folded))

    def rank(self, query: str, k: int = 10) -> list[Candidate]:
        """Return the k best documents for a query, best first, with 0..1 scores."""
        q = self.parse(query)
        if q is None or not self.entries:
            return []
        channels = [
            (1.0, self.words, q.words),
            (CHAR_CHANNEL, self.chars, q.chars),
            (READING_CHANNEL * q.kana, self.readings, q.reading),
        ]
        blended, total_weight = self._blend(channels)
        sq = self.semantic.query(q.words) if self.semantic is not None else None
        depth = max(k, RERANK_DEPTH)
        if sq is not None and self.semantic is not None:
            # Every entry has a dense score: blend in arrays, not per entry in Python.
            pool = DENSE_CHANNEL * self.semantic.dense(sq)
            if blended:
                ids = np.fromiter(blended, np.int64, len(blended))
                pool[ids] += np.fromiter(blended.values(), np.float64, len(blended))
            total_weight += DENSE_CHANNEL
            live = np.flatnonzero(pool > 0.0)
            if len(live) > depth:
                live = live[np.argpartition(-pool[live], depth)[:depth]]
            top = sorted(live.tolist(), key=lambda i: -pool[i])
            blended = {i: float(pool[i]) for i in top}
        else:
            top = sorted(blended, key=blended.__getitem__, reverse=True)[:depth]
        if not blended:
            return []
        results: list[tuple[float, int, float, int]] = []
        covers = self._covers(q.words, sq, top)
        for i, cover in zip(top, covers):
            fz, where = best_ratio(q.text, self.entries[i].texts)
            score = (blended[i] + FUZZY_CHANNEL * fz + QUESTION_COVER * cover) / (
                total_weight + FUZZY_CHANNEL + QUESTION_COVER
            )
            results.append((score, i, fz, where))
        results.sort(key=lambda r: r[0], reverse=True)
        return [self._candidate(q, i, score, fz, where) for score, i, fz, where in results[:k]]

    def _covers(self, words: dict[str, float], sq: SemanticQuery | None, entries: list[int]) -> list[float]:
        if sq is not None and self.semantic is not None:
            return self.semantic.soft_covers(sq, entries).tolist()
        return [self._question_cover(words, i) for i in entries]

    def _question_cover(self, words: dict[str, float], i: int) -> float:
        """Return how much of the entry's best-fitting question the query covers (idf-weighted)."""
        best = 0.0
        for weights, total in self._question_weights(i):
            best = max(best, sum(w for t, w in weights.items() if t in words) / total)
        return best

    def _question_weights(self, i: int) -> list[tuple[dict[str, float], float]]:
        """Return entry i's questions as term→idf maps with their idf mass, computed once per entry."""
        cached = self._weights_cache.get(i)
        if cached is None:
            cached = []
            for terms in self.question_terms[i]:
                weights = {t: self.words.term_idf(t) for t in terms}
                total = sum(weights.values())
                if total:
                    cached.append((weights, total))
            self._weights_cache[i] = cached
        return cached

    def _blend(self, channels: list[tuple[float, BM25F, dict[str, float]]]) -> tuple[dict[int, float], float]:
        blended: dict[int, float] = {}
        total_weight = 0.0
        for weight, index, terms in channels:
            if weight <= 0.0 or not terms:
                continue
            total_weight += weight
            ceiling = sum(qw * index.term_idf(t) for t, qw in terms.items()) * (K1 + 1.0)
            if ceiling <= 0.0:
                continue
            for i, s in index.score(terms).items():
                blended[i] = blended.get(i, 0.0) + weight * s / ceiling
        return blended, total_weight

    def _candidate(self, q: Query, i: int, score: float, fz: float, where: int) -> Candidate:
        entry = self.entries[i]
        have = self.words.doc_terms[i]
        matched = [t for t in q.words if t in have]
        reasons = []
        if matched:
            reasons.append("words: " + "・".join(m.removeprefix("syn:") for m in matched[:6]))
        if where >= 0:
            reasons.append(f"{'title' if where == 0 else 'question'}: {entry.labels[where]} ({round(fz * 100)})")
        return Candidate(entry.doc.id, entry.doc.title, round(min(1.0, max(0.0, score)), 4), tuple(reasons))
