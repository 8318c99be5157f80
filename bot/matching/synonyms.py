"""Fold staff-editable synonyms (タダ→無料→無償) into shared group terms."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .normalize import fold
from .tokenize import analyze

_PREFIX = "syn:"


@dataclass(frozen=True)
class _Phrase:
    folded: str
    words: tuple[str, ...]
    has_kanji_or_latin: bool


class SynonymTable:
    """Map every variant of a word to one group term that documents and queries both carry."""

    def __init__(self, table: Mapping[str, Sequence[str]] | None = None) -> None:
        """Build groups from {word: [variants]}; groups that share a variant are merged."""
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for key, variants in (table or {}).items():
            head = fold(str(key))
            if not head:
                continue
            find(head)
            for v in variants:
                fv = fold(str(v))
                if fv:
                    parent[find(fv)] = find(head)
        self._phrases: dict[str, list[_Phrase]] = {}
        for member in list(parent):
            words = analyze(member).words
            phrase = _Phrase(member, words, any(not ("\u3041" <= ch <= "\u30ff") for ch in member))
            self._phrases.setdefault(find(member), []).append(phrase)

    def __len__(self) -> int:
        """Return the number of synonym groups."""
        return len(self._phrases)

    def groups_in(self, folded: str, words: set[str]) -> list[tuple[str, tuple[str, ...]]]:
        """Return (group term, words of the variant found) for every group present in a text."""
        found: list[tuple[str, tuple[str, ...]]] = []
        for root, phrases in self._phrases.items():
            for p in phrases:
                if p.folded not in folded:
                    continue
                # Kana-only variants (ただ) hide inside other words (ただし); also require the word.
                if not p.has_kanji_or_latin and not set(p.words) <= words:
                    continue
                found.append((_PREFIX + root, p.words))
                break
        return found
