"""Offer the matcher's public face: build once, then rank and decide per query."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from .decide import DEFAULT_THRESHOLDS, Thresholds, decide
from .index import Index
from .model import Candidate, Decision, Document
from .normalize import clean_query
from .synonyms import SynonymTable
from .vectors import WordVectors, shared_vectors


class Matcher:
    """Match resident questions to FAQ entries."""

    def __init__(self, index: Index, thresholds: Thresholds) -> None:
        """Wrap a built index; use Matcher.build."""
        self._index = index
        self.thresholds = thresholds

    @classmethod
    def build(
        cls,
        docs: Iterable[Document],
        synonyms: Mapping[str, Sequence[str]] | None = None,
        thresholds: Thresholds | None = None,
        vectors: WordVectors | Literal["packaged"] | None = "packaged",
    ) -> Matcher:
        """Index documents with an optional synonym table {word: [variants]}.

        vectors: word vectors for the semantic signals; "packaged" uses the ja-ginza vectors when
        that package is installed, None matches on words and characters only.
        """
        wv = shared_vectors() if vectors == "packaged" else vectors
        assert not isinstance(wv, str)
        return cls(Index(list(docs), SynonymTable(synonyms), wv), thresholds or DEFAULT_THRESHOLDS)

    def rank(self, query: str, k: int = 10) -> list[Candidate]:
        """Return up to k candidates, best first."""
        if not query or not query.strip() or k <= 0:
            return []
        return self._index.rank(query, k)

    @staticmethod
    def key(query: str) -> str:
        """Return the form of a query its ranking depends on: queries with the same key get the same decision."""
        # rank() reads the query only through Index.parse(), which starts from clean_query(): width, case,
        # polite wrappers (…について教えてください) and sentence endings (…ですか) make no difference.
        return clean_query(query)

    def decide(self, query: str) -> Decision:
        """Return what to do with a query: answer, suggest or fallback."""
        return decide(self.rank(query, 10), self.thresholds)

    def __len__(self) -> int:
        """Return the number of indexed entries."""
        return len(self._index)
