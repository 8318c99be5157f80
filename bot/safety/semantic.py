"""A semantic second opinion for messages no lexicon rule flags: the message's content words as one chiVe vector,
compared by cosine with short prototype sentences of a rule (crisis: 消えてしまいたい, 生きる意味がない …).

Pure: words in, (rule slug, nearest prototype, similarity) out. The vectors are the matcher's memory-mapped
chiVe rows (bot.matching.vectors.shared_vectors); without them the detector works by its lexicons alone.
One matrix product per message: the prototypes of every rule are one unit-length matrix.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from bot.matching.tokenize import _CONTENT_POS, _STOP, units

log = logging.getLogger(__name__)

# Auxiliaries that carry the meaning of a crisis sentence (a wish, a negation): 消え|たい, 生き|たく|ない.
_KEPT_AUX = {"たい", "ない", "ぬ", "ん", "ず"}
_warned = False


class Nearest(NamedTuple):
    """The prototype closest to a message, for one rule."""

    slug: str
    prototype: str
    similarity: float
    threshold: float

    @property
    def fired(self) -> bool:
        return self.similarity >= self.threshold


def content_weights(message_units: Iterable[tuple[str, str, str, str]]) -> dict[str, float]:
    """Return {normalised form: weight} of a message's content words (and its wish/negation endings)."""
    weights: dict[str, float] = {}
    for surface, lemma, pos, _ in message_units:
        if pos in _CONTENT_POS:
            if lemma in _STOP or not lemma.strip():
                continue
        elif not (pos == "助動詞" and lemma in _KEPT_AUX):
            continue
        weights[lemma] = weights.get(lemma, 0.0) + 1.0
    return weights


class Prototypes:
    """Every rule's prototype sentences as one unit-length matrix, and each rule's threshold."""

    def __init__(self, vectors, rules: Sequence[tuple[str, float, Sequence[str]]]) -> None:
        """Embed the prototypes of each (slug, threshold, sentences); sentences with no known word are left out."""
        self.vectors = vectors
        self.thresholds = {slug: t for slug, t, _ in rules}
        rows, owners, texts = [], [], []
        for slug, _, sentences in rules:
            for s in sentences:
                v = vectors.embed(content_weights(units(s)))
                if float(np.dot(v, v)) > 0.0:
                    rows.append(v)
                    owners.append(slug)
                    texts.append(s)
        self.matrix = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, vectors.dim), np.float32)
        self.owners = tuple(owners)
        self.texts = tuple(texts)
        # Each rule's prototypes are one run of rows (rules are embedded in turn): (slug, start, end).
        self._spans = []
        for i, slug in enumerate(owners):
            if self._spans and self._spans[-1][0] == slug:
                self._spans[-1][2] = i + 1
            else:
                self._spans.append([slug, i, i + 1])

    def __len__(self) -> int:
        return len(self.texts)

    def nearest(self, message_units: Sequence[tuple[str, str, str, str]]) -> list[Nearest]:
        """Return, per rule, the nearest prototype to a message's units (best first); [] when no word is known."""
        if not self.texts:
            return []
        q = self.vectors.embed(content_weights(message_units))
        if not float(np.dot(q, q)) > 0.0:
            return []
        sims = self.matrix @ q
        out = []
        for slug, start, end in self._spans:
            i = start + int(sims[start:end].argmax())
            out.append(Nearest(slug, self.texts[i], float(sims[i]), self.thresholds[slug]))
        return sorted(out, key=lambda n: -n.similarity) if len(out) > 1 else out


def build(rules: Sequence[tuple[str, float, Sequence[str]]]) -> Prototypes | None:
    """Return the prototypes over the shared chiVe vectors, or None (logged once) when they are not installed."""
    global _warned
    if not any(sentences for _, _, sentences in rules):
        return None
    from bot.matching.vectors import shared_vectors

    vectors = shared_vectors()
    if vectors is None:
        if not _warned:
            log.warning("safety: word vectors (ja_ginza) are not installed; the semantic second opinion is off")
            _warned = True
        return None
    return Prototypes(vectors, rules)
