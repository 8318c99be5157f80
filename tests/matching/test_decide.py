"""Decision tests on fixed candidate lists (no tokenizer needed)."""
from bot.matching import Candidate, Decision, Thresholds
from bot.matching.decide import decide

T = Thresholds(answer=0.5, suggest=0.3, margin=0.1)


def cands(*scores: float) -> list[Candidate]:
    return [Candidate(f"e{i}", f"entry {i}", s, ()) for i, s in enumerate(scores)]


def test_no_candidates_is_fallback():
    d = decide([], T)
    assert d == Decision("fallback", ())
    assert d.top is None


def test_confident_and_clear_is_answer():
    d = decide(cands(0.8, 0.4, 0.2), T)
    assert d.outcome == "answer"
    assert d.top is not None and d.top.id == "e0"


def test_close_runner_up_turns_answer_into_suggest():
    d = decide(cands(0.8, 0.75, 0.2), T)
    assert d.outcome == "suggest"
    assert [c.id for c in d.candidates] == ["e0", "e1"]


def test_middle_score_is_suggest_with_at_most_three():
    d = decide(cands(0.45, 0.44, 0.43, 0.42, 0.41), T)
    assert d.outcome == "suggest"
    assert len(d.candidates) == 3


def test_low_score_is_fallback_but_keeps_candidates_for_logging():
    d = decide(cands(0.2, 0.1), T)
    assert d.outcome == "fallback"
    assert d.top is not None and d.top.id == "e0"
