"""Score meaning rather than shared words: word-vector similarity of a query and each entry.

Residents rarely use the FAQ's words (保育園に入りたい vs 保育所の入所申込).  Two signals use
word vectors to bridge that gap, both measured on localgovFAQ (see decide.py):

* a dense channel: the cosine of the idf-weighted mean vector of the query with that of an entry's
  questions and with that of its answer (averaged), precomputed per entry at build time;
* a soft question cover: like the exact cover in index.py, the idf-weighted share of an entry's
  question that the query covers, where a question word also counts when some query word is
  close to it (cosine ≥ SOFT_MATCH), by that cosine.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .vectors import WordVectors

# Cosines of unrelated text means sit around 0.2–0.3 with these vectors; only the excess counts.
DENSE_FLOOR = 0.3
# Below this, neighbours are topical associations (申請/証明書) rather than substitutes (保育園/保育所).
SOFT_MATCH = 0.5


@dataclass(frozen=True)
class _Question:
    terms: tuple[str, ...]
    idf: np.ndarray  # one weight per term
    vectors: np.ndarray  # unit vectors, zero rows for terms the vocabulary lacks


class SemanticIndex:
    """Hold per-entry mean vectors and question-term vectors for the dense and soft-cover signals."""

    def __init__(
        self,
        vectors: WordVectors,
        short_terms: Sequence[Mapping[str, float]],
        answer_terms: Sequence[Mapping[str, float]],
        questions: Sequence[Sequence[frozenset[str]]],
        idf: Callable[[str], float],
    ) -> None:
        """Embed every entry once: short fields and answer separately, so neither drowns the other."""
        self.vectors = vectors
        self.idf = idf
        rows = []
        for short, answer in zip(short_terms, answer_terms):
            q = vectors.embed({t: w * idf(t) for t, w in short.items()})
            a = vectors.embed({t: math.log1p(c) * idf(t) for t, c in answer.items()})
            # Average the two views; an entry without an answer (or questions) keeps the one it has.
            rows.append((q + a) / 2.0 if q.any() and a.any() else q + a)
        self.entry_vectors = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, vectors.dim), np.float32)
        self.questions = [tuple(self._question(terms) for terms in qs) for qs in questions]

    def _question(self, terms: frozenset[str]) -> _Question:
        ordered = tuple(sorted(terms))
        vecs = np.zeros((len(ordered), self.vectors.dim), np.float32)
        for j, t in enumerate(ordered):
            v = self.vectors.vector(t)
            if v is not None:
                vecs[j] = v
        return _Question(ordered, np.array([self.idf(t) for t in ordered], np.float32), vecs)

    def query(self, words: Mapping[str, float]) -> SemanticQuery | None:
        """Return the query's mean vector and word vectors, or None when no word has a vector."""
        known = [(t, v) for t in words if (v := self.vectors.vector(t)) is not None]
        if not known:
            return None
        mean = self.vectors.embed({t: w * self.idf(t) for t, w in words.items()})
        return SemanticQuery(mean, np.vstack([v for _, v in known]), frozenset(words))

    def dense(self, q: SemanticQuery) -> np.ndarray:
        """Return every entry's dense similarity, rescaled so that DENSE_FLOOR and below give 0."""
        # einsum rather than BLAS: a 1,786 × 300 product is too small to gain from BLAS threads.
        cos = np.einsum("ij,j->i", self.entry_vectors, q.mean)
        return np.clip((cos - DENSE_FLOOR) / (1.0 - DENSE_FLOOR), 0.0, None)

    def soft_cover(self, q: SemanticQuery, i: int) -> float:
        """Return the best idf-weighted share of one of entry i's questions that the query covers."""
        best = 0.0
        for question in self.questions[i]:
            total = float(question.idf.sum())
            if not total:
                continue
            near = (question.vectors @ q.word_vectors.T).max(axis=1)
            match = np.where(near >= SOFT_MATCH, near, 0.0)
            exact = np.fromiter((t in q.words for t in question.terms), bool, len(question.terms))
            match = np.where(exact, 1.0, match)
            best = max(best, float(question.idf @ match) / total)
        return best


@dataclass(frozen=True)
class SemanticQuery:
    """Hold a query's mean vector, its words' unit vectors and its words."""

    mean: np.ndarray
    word_vectors: np.ndarray
    words: frozenset[str]
