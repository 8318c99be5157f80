"""Score documents with field-weighted BM25 (BM25F) over an inverted index."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """Describe one field: how much a term there counts and how much length is penalised."""

    name: str
    weight: float
    b: float = 0.75


class BM25F:
    """Index per-field term lists and score queries against them (BM25F, Robertson et al. 2004)."""

    def __init__(
        self,
        fields: Sequence[Field],
        docs: Sequence[Mapping[str, Sequence[str]]],
        k1: float = 1.2,
    ) -> None:
        """Build postings holding each (term, doc) pair's final BM25F weight."""
        self.n_docs = len(docs)
        avg = {f.name: (sum(len(d.get(f.name, ())) for d in docs) / self.n_docs or 1.0) if docs else 1.0 for f in fields}
        pseudo_tf: dict[str, dict[int, float]] = defaultdict(dict)
        for i, doc in enumerate(docs):
            acc: dict[str, float] = defaultdict(float)
            for f in fields:
                terms = doc.get(f.name, ())
                if not terms:
                    continue
                norm = 1.0 - f.b + f.b * len(terms) / avg[f.name]
                for term, tf in Counter(terms).items():
                    acc[term] += f.weight * tf / norm
            for term, tf in acc.items():
                pseudo_tf[term][i] = tf
        self.idf: dict[str, float] = {}
        # The most surprising possible term: one that no document has.
        self.max_idf = self._idf(0)
        self.postings: dict[str, list[tuple[int, float]]] = {}
        self.doc_terms: list[set[str]] = [set() for _ in docs]
        for term, by_doc in pseudo_tf.items():
            idf = self._idf(len(by_doc))
            self.idf[term] = idf
            self.postings[term] = [(i, idf * tf * (k1 + 1.0) / (tf + k1)) for i, tf in by_doc.items()]
            for i in by_doc:
                self.doc_terms[i].add(term)

    def _idf(self, df: int) -> float:
        return math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))

    def term_idf(self, term: str) -> float:
        """Return a term's idf, or the idf of an unseen term."""
        return self.idf.get(term, self.max_idf)

    def score(self, query: Mapping[str, float] | Iterable[str]) -> dict[int, float]:
        """Return {doc index: score} for a query given as terms or {term: weight}."""
        weights = query if isinstance(query, Mapping) else dict.fromkeys(query, 1.0)
        scores: dict[int, float] = defaultdict(float)
        for term, qw in weights.items():
            for i, w in self.postings.get(term, ()):
                scores[i] += qw * w
        return scores

    def coverage(self, query: Mapping[str, float], doc: int) -> float:
        """Return the idf-weighted share of query terms that the document contains (0..1)."""
        total = sum(qw * self.term_idf(t) for t, qw in query.items())
        if total <= 0.0:
            return 0.0
        have = self.doc_terms[doc]
        return sum(qw * self.term_idf(t) for t, qw in query.items() if t in have) / total
