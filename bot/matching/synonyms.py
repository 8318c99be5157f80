"""Fold staff-editable synonyms (タダ→無料→無償) into shared group terms."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .normalize import fold, nfkc
from .tokenize import analyze

_PREFIX = "syn:"


@dataclass(frozen=True)
class _Phrase:
    folded: str
    words: tuple[str, ...]
    has_kanji_or_latin: bool
    spellings: tuple[str, ...]  # as written, for analysing (タダ is a noun, ただ a conjunction)


class SynonymTable:
    """Map every variant of a word to one group term that documents and queries both carry."""

    def __init__(self, table: Mapping[str, Sequence[str]] | None = None) -> None:
        """Build groups from {word: [variants]}; groups that share a variant are merged."""
        parent: dict[str, str] = {}
        written: dict[str, set[str]] = {}

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
            written.setdefault(head, set()).add(nfkc(str(key)))
            for v in variants:
                fv = fold(str(v))
                if fv:
                    written.setdefault(fv, set()).add(nfkc(str(v)))
                    parent[find(fv)] = find(head)
        self._phrases: dict[str, list[_Phrase]] = {}
        for member in list(parent):
            words: set[str] = set()
            for spelling in written.get(member) or {member}:
                words |= set(analyze(spelling).words)
            kanji = any(not ("\u3041" <= ch <= "\u30ff") for ch in member)
            phrase = _Phrase(member, tuple(sorted(words)), kanji, tuple(sorted(written.get(member, ()))))
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
                # Kana-only variants (ただ) hide inside other words (ただし): also require one of
                # the variant's words, or the whole text when the variant has no content word.
                if not p.has_kanji_or_latin and not (set(p.words) & words if p.words else folded == p.folded):
                    continue
                found.append((_PREFIX + root, p.words))
                break
        return found
