"""Issue 18 §5: residents' own urgent phrasings are caught, look-alikes are left alone, on both halves of the set.

Black-box through the webhook: one app on SQLite with the bundled pack, one fake LINE API, every phrasing posted as
a signed text event from its own resident; only the numbers in the reply LINE received count (bench/safety_eval.py).
The phrasings live in tests/safety/phrasings/ (README.md there says how they were written and split).
"""
from __future__ import annotations

from collections import Counter

import pytest

from bench import safety_eval as ev

URGENT_CAUGHT = 0.95
LOOKALIKE_MISFIRED = 0.05
# Issue 18's bars (>= 95 % caught, every crisis message, <= 5 % misfired) hold on the sets the detector was tuned on.
# The held halves, never tuned on, are held to what they measured, so that no change makes them worse unnoticed;
# raise the floors when the detector improves (figures: docs/benchmarks.md).
# - held: 95.3 % caught (181/190), 24/25 crisis, 1.7 % misfired (3/175) after the seventh round (2026-12-07).
# - held2, the never-tuned half of fresh11 (another author, written blind): 86.5 % caught (147/170), 36/39 crisis,
#   7.1 % misfired (9/126) after the seventh round (7.9 % before it).
# - With the learned second opinion (knowledge/safety-model.yaml, asked when the rules find nothing, answering with
#   the crisis lines only; 2026-12-07): held 95.8 % (182/190), 25/25 crisis, 3/175 misfired; held2 87.1 % (148/170),
#   37/39 crisis, 9/126 misfired.
# - fresh12 and fresh13, blind sets by two further authors, never tuned or trained on (numbers only, as the held
#   halves), rules + model: fresh12 87.3 % (295/338), 64/73 crisis, 4.7 % misfired (12/258); fresh13 90.3 %
#   (372/412), 78/82 crisis, 3.2 % misfired (9/279).
# Each bar: (least share caught, most crisis messages missed, most share of look-alikes misfired).
BARS = {"tune": (URGENT_CAUGHT, 0, LOOKALIKE_MISFIRED), "dev": (URGENT_CAUGHT, 0, LOOKALIKE_MISFIRED),
        "held": (0.957, 0, LOOKALIKE_MISFIRED), "held2": (0.87, 2, 0.072),
        "fresh12": (0.872, 9, 0.047), "fresh13": (0.902, 4, 0.033)}
HALVES = ("tune", "held")


@pytest.fixture(scope="module")
def bot(sqlite_template):
    bot = ev.Bot(sqlite_template=sqlite_template)
    yield bot
    bot.close()


class _Runs(dict):
    """Each half's answers, asked of the bot the first time a test needs them (`-k tune` never runs the held half)."""

    def __init__(self, bot):
        super().__init__()
        self.bot = bot

    def __missing__(self, half):
        self[half] = ev.run(self.bot, ev.load(half))
        return self[half]


@pytest.fixture(scope="module")
def results(bot):
    """Ask the bot every phrasing of a half once; the tests below share the answers."""
    return _Runs(bot)


def test_the_set_is_big_enough_split_in_halves_and_written_once():
    cases = {half: ev.load(half) for half in HALVES}
    every = cases["tune"] + cases["held"]
    urgent = [c for c in every if not c.lookalike]
    lookalikes = [c for c in every if c.lookalike]
    assert len(urgent) >= 300 and len(lookalikes) >= 300
    texts = Counter(c.text for c in every)
    assert sum(n > 1 for n in texts.values()) == 0  # no phrasing in both halves, or twice in one (a count: no held text)
    for half in HALVES:
        assert sum(c.category == "crisis" for c in cases[half]) >= 20
        per = Counter(c.category for c in cases[half])
        other = Counter(c.category for c in cases["held" if half == "tune" else "tune"])
        assert per.keys() == other.keys()  # every category has both halves
    # Split in halves; the tune half has since grown by the tuning author's own examples, the held half never.
    tune, held = (Counter(c.category for c in cases[half]) for half in HALVES)
    assert all(tune[k] >= held[k] - 1 for k in held)
    categories = {c.category for c in urgent}
    assert {"fire", "illness", "accident", "carbon-monoxide", "crime", "animal", "child-night", "ingestion", "crisis",
            "domestic-violence", "child-abuse", "gas", "other-languages"} <= categories
    assert {f"lookalike-{c}" for c in categories} <= {c.category for c in lookalikes}
    assert all(c.expect and c.expect <= ev.EMERGENCY_NUMBERS for c in urgent)


def test_the_dev_set_is_separate_from_both_halves_and_written_once():
    # *.dev.yaml: extra tuning phrasings by a second author; never part of the tune/held bars above.
    dev = ev.load("dev")
    halves = {c.text for half in HALVES for c in ev.load(half)}
    assert [c.text for c in dev if c.text in halves] == []
    assert [t for t, n in Counter(c.text for c in dev).items() if n > 1] == []
    categories = {c.category for c in dev}
    assert {c.category for half in HALVES for c in ev.load(half)} <= categories
    assert all(c.expect and c.expect <= ev.EMERGENCY_NUMBERS for c in dev if not c.category.startswith("lookalike-"))
    assert all(c.lookalike for c in dev if c.category.startswith("lookalike-"))


FRESH = ("fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8", "fresh9", "fresh10", "fresh11", "fresh12", "fresh13")


def test_the_fresh_sets_are_separate_from_every_other_set():
    # *.fresh*.yaml: the second round's own checks of generalisation; none may repeat a tune, held or dev phrasing
    # (only a count is compared, so a failure prints no held phrasing).
    fresh = [c.text for half in (*FRESH, "held2") for c in ev.load(half)]
    others = {c.text for half in (*HALVES, "dev") for c in ev.load(half)}
    repeated = sum(1 for text in fresh if text in others)
    twice = sum(1 for n in Counter(fresh).values() if n > 1)
    assert (len(fresh), repeated, twice) == (len(set(fresh)), 0, 0)
    assert all(c.expect <= ev.EMERGENCY_NUMBERS for half in (*FRESH, "held2") for c in ev.load(half))


def test_the_counter_reads_numbers_from_call_buttons_and_text_and_nothing_else():
    reply = [{"type": "flex", "altText": "すぐに１１９番へ。迷ったら ＃8000",
              "contents": {"footer": {"contents": [
                  {"action": {"type": "uri", "uri": "tel:%238008"}},
                  {"action": {"type": "uri", "uri": "tel:0570-064-556"}}]}}}]
    assert ev.numbers_in(reply) == {"119", "#8000", "#8008", "0570064556"}
    ordinary = [{"type": "text", "text": "申請は令和7年110件、定員119人、電話 0124-22-2111 まで",
                 "quickReply": {"items": [{"action": {"type": "postback", "data": "a=topic&c=110"}},
                                          {"action": {"type": "uri", "uri": "https://example.jp/?id=119"}}]}}]
    assert not ev.numbers_in(ordinary) & ev.EMERGENCY_NUMBERS


@pytest.mark.parametrize("half", list(BARS))
def test_urgent_phrasings_are_caught_and_look_alikes_are_not(results, half):
    run = results[half]
    s = ev.score(run)
    # The held half shows its numbers only: none of its phrasings is ever printed, even when a bar fails.
    held = half in ev.HELD
    failures = (lambda _: "(held: numbers only)") if held else ev.failures
    print(f"\n{half}:\n{ev.table(run)}\n{failures(run)}")
    least_caught, crisis_missed, most_misfired = BARS[half]
    assert s.crisis_caught >= s.crisis - crisis_missed, failures([r for r in run if r.case.category == "crisis"])
    assert s.caught_rate >= least_caught, failures([r for r in run if not r.case.lookalike])
    assert s.misfire_rate <= most_misfired, failures([r for r in run if r.case.lookalike])
