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
        self._index_questions(questions)

    def _index_questions(self, questions: Sequence[Sequence[frozenset[str]]]) -> None:
        """Lay each entry's questions out as one run of term ids, so a query scores them in a few array ops."""
        vocab: dict[str, int] = {}
        self.entry_terms: list[np.ndarray] = []  # entry i: the term ids of all its questions, question by question
        self.entry_offsets: list[np.ndarray] = []  # entry i: where each question starts in entry_terms[i]
        self.entry_totals: list[np.ndarray] = []  # entry i: each question's idf mass
        for entry_questions in questions:
            ids: list[int] = []
            offsets: list[int] = []
            totals: list[float] = []
            for terms in entry_questions:
                total = sum(self.idf(t) for t in terms)
                if not terms or not total:
                    continue  # a question with nothing to cover can never help
                offsets.append(len(ids))
                ids.extend(vocab.setdefault(t, len(vocab)) for t in sorted(terms))
                totals.append(total)
            self.entry_terms.append(np.array(ids, np.int64))
            self.entry_offsets.append(np.array(offsets, np.int64))
            self.entry_totals.append(np.array(totals, np.float32))
        self.vocab = vocab
        self.vocab_vectors = np.zeros((len(vocab), self.vectors.dim), np.float32)
        self.vocab_idf = np.zeros(len(vocab), np.float32)
        for t, j in vocab.items():
            self.vocab_idf[j] = self.idf(t)
            v = self.vectors.vector(t)
            if v is not None:
                self.vocab_vectors[j] = v

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
        return float(self.soft_covers(q, [i])[0])

    def soft_covers(self, q: SemanticQuery, entries: Sequence[int]) -> np.ndarray:
        """Return soft_cover for several entries at once: one matrix product for all their questions."""
        out = np.zeros(len(entries), np.float32)
        runs = [self.entry_terms[i] for i in entries]
        if not runs or not sum(len(r) for r in runs):
            return out
        terms = np.concatenate(runs)
        uniq, inverse = np.unique(terms, return_inverse=True)
        near = (self.vocab_vectors[uniq] @ q.word_vectors.T).max(axis=1)
        match = np.where(near >= SOFT_MATCH, near, 0.0)
        exact = np.isin(uniq, np.fromiter(q.term_ids(self.vocab), np.int64))
        weighted = self.vocab_idf[terms] * np.where(exact, 1.0, match)[inverse]
        start = 0
        for n, i in enumerate(entries):
            size = len(self.entry_terms[i])
            if size:
                # Sum each question's run, divide by its idf mass, keep the entry's best question.
                sums = np.add.reduceat(weighted[start:start + size], self.entry_offsets[i])
                out[n] = (sums / self.entry_totals[i]).max()
            start += size
        return out


@dataclass(frozen=True)
class SemanticQuery:
    """Hold a query's mean vector, its words' unit vectors and its words."""

    mean: np.ndarray
    word_vectors: np.ndarray
    words: frozenset[str]

    def term_ids(self, vocab: Mapping[str, int]) -> frozenset[int]:
        """Return the ids of the query's words in a question vocabulary."""
        return frozenset(vocab[w] for w in self.words if w in vocab)
