"""Choose between answering, suggesting and falling back for a ranked candidate list.

How the thresholds were calibrated
----------------------------------
Candidate.score is a blended similarity in 0..1 (see index.py): normalised BM25F over words,
character and reading bigrams, plus string similarity and the share of the entry's best-fitting
question that the query covers.  The cut-offs were read off two score distributions:

* Ashibetsu pack (20 entries), the 60 dev questions plus 64 questions we wrote ourselves in the
  same style (43 in scope, 20 out of scope incl. near misses such as 保育園の入園申し込み):
  every in-scope question had the right entry first; their top scores were ≥ 0.49.  Out-of-scope
  tops were ≤ 0.29, except one near miss at 0.48.  ANSWER = 0.50 sits just above that near miss;
  SUGGEST = 0.30 sits just above the other out-of-scope tops, so unknown topics fall back.
* localgovFAQ (1,786 entries, 250 dev queries): at score ≥ 0.50 with a margin ≥ 0.10 the bot
  answers 10 % of queries and 80 % of those answers are a grade-2 FAQ (87 % at 0.60); of the
  queries scoring ≥ 0.30, 61 % have a grade-2 FAQ among the top three.
* MARGIN = 0.10: when #1 and #2 are closer than this (総合戦略の改訂内容: overview 0.51 vs
  revision history 0.48) the question is ambiguous, so the bot asks instead of guessing.  On
  localgovFAQ it lifts answer precision from 70 % (no margin) to 80 % at the same score cut-off;
  on the pack every unambiguous in-scope question had a margin ≥ 0.18, so it costs nothing there.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .model import Candidate, Decision


@dataclass(frozen=True)
class Thresholds:
    """Hold the calibrated cut-offs on Candidate.score."""

    answer: float
    suggest: float
    margin: float


DEFAULT_THRESHOLDS = Thresholds(answer=0.50, suggest=0.30, margin=0.10)
MAX_SUGGESTIONS = 3


def decide(candidates: Sequence[Candidate], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Decision:
    """Return answer, suggest or fallback for candidates ranked best first."""
    if not candidates:
        return Decision("fallback", ())
    top = candidates[0]
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    if top.score >= thresholds.answer and top.score - runner_up >= thresholds.margin:
        return Decision("answer", tuple(candidates[:MAX_SUGGESTIONS]))
    if top.score >= thresholds.suggest:
        close = [c for c in candidates[:MAX_SUGGESTIONS] if c.score >= thresholds.suggest]
        return Decision("suggest", tuple(close))
    return Decision("fallback", tuple(candidates[:MAX_SUGGESTIONS]))
