"""Compare a query with an entry's questions as strings, for typos and near-duplicates."""
from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import Indel


def best_ratio(query: str, texts: Sequence[str]) -> tuple[float, int]:
    """Return the best normalised similarity (0..1) of query to any text and that text's index."""
    best, where = 0.0, -1
    for i, text in enumerate(texts):
        if not text:
            continue
        r = Indel.normalized_similarity(query, text)
        if r > best:
            best, where = r, i
    return best, where

