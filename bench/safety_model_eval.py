"""The learned second opinion beside the safety rules (issue 18): how its settings were chosen, and what it does.

The model itself (features, training, the pack file knowledge/safety-model.yaml) is bot.safety.model; the webhook
asks it when the rules find nothing. This script cross-validates its settings on the tuned sets and scores it.

Run ``.venv/bin/python -m bench.safety_model_eval --grid 3`` (cross-validation on the tuned sets, everyday questions,
top n-grams, latency) and, once, with the chosen settings, ``... --held`` (adds the totals of held, held2 and
fresh12). Variants for the record: ``--raw`` (weights as trained, not as the file keeps them), ``--prune X``,
``--min-count N``, ``--faq`` (the pack's FAQ questions as extra none), ``--lemmas`` (Sudachi normalised forms as extra
features), ``--defer`` (silent where the rules kept a message out by intent).

The model: a multinomial logistic regression over character 1–N-grams of the detector's ``norm()`` text
(NFKC, hiragana, no punctuation), numpy only. Its classes are *which number to give*: ``119``, ``110``, ``8000``
(#8000 and 119), ``crisis`` (the crisis lines), ``189``, ``8008`` (#8008 and 110), ``help`` (119/110/#8000, the
emergency-contacts rule) and ``none``. The combination answers with the rules when they fire; otherwise with the
model's class when P(urgent) = 1 − P(none) ≥ threshold and that class holds at least ``clear`` of the urgent
probability (the number to give is clear).

Protocol (docs/benchmarks.md, "Safety detector: a learned second opinion, an experiment" and "…, shipped"):

- Trained and tuned only on the tuned phrasing sets (tune, dev, fresh, fresh2 … fresh11, and probes: the developer's
  probes of tests/safety/test_probe_kinds.py), loaded with
  ``bench.safety_eval.load``. Settings (n-gram length, threshold, clear) are chosen by leave-one-set-out
  cross-validation on them.
- held, held2 and fresh12 are only ever scored here, after training on every tuned set, and only their totals
  (and per-category counts) are printed; never a phrasing.
- Scored in-process with the Detector: a reply's numbers are its rules' numbers and those in its text, as
  ``bench.safety_eval.numbers_in`` reads them; the same caught / misfired tests as the webhook benchmark.
- Cross-validation cannot show the rules' own generalisation with today's pack (it was tuned on every training set),
  so for fresh9, fresh10 and fresh11 the fold is also scored against the pack and detector of the revision *before*
  that set was opened for tuning (``bench.safety_compare._old_detector``): the honest "rules alone" of the time.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np

from bench import safety_eval as ev
from bench._common import QUESTIONS
from bot.safety import model as sm
from bot.safety.detector import HELD_BACK
from bot.safety.rules import read_file

HELD_SETS = ("held", "held2", "fresh12")  # never trained or tuned on; totals only
FOLDS = {  # leave-one-set-out folds; fresh2 … fresh7 are small (a few categories each) and form one fold
    "tune": ("tune",), "dev": ("dev",), "fresh": ("fresh",),
    "fresh2-7": ("fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7"),
    "fresh8": ("fresh8",), "fresh9": ("fresh9",), "fresh10": ("fresh10",), "fresh11": ("fresh11",),
    "probes": ("probes",),  # the developer's own probes (tests/safety/test_probe_kinds.py), tuned material
}
# The pack and detector as they were just before a set was opened for tuning (first parent of the round's merge).
BEFORE_TUNING = {"fresh9": "794ef4e^1", "fresh10": "f7f234c^1", "fresh11": "68a9c8f^1"}

CLASSES = sm.CLASSES
RULE_OF_GROUP = sm.RULE_OF_CLASS  # the rule whose reply and numbers the model's answer would use

# Chosen by leave-one-set-out cross-validation (run without --held, see the printed grid) before the held sets were
# scored: the loosest point where rules + model misfired on no more look-alikes than the rules alone in the
# before-the-round folds (fresh9–11). The shipped settings are bot.safety.model.SETTINGS.
CHOSEN = {k: sm.SETTINGS[k] for k in ("n", "threshold", "clear", "l2")}
# A looser point, reported beside it to show the trade-off, not recommended.
LOOSER = {"threshold": 0.8, "clear": 0.5}


def group_of(case: ev.Case) -> str:
    """Return the class a phrasing is trained as (bot.safety.model.label_of)."""
    return sm.label_of(case.category, case.expect, case.lookalike)


class Model:
    """bot.safety.model's training and scoring, batched for cross-validation; compact=True keeps only what the
    pack file keeps (centred, pruned, rounded weights)."""

    def __init__(self, n: int = 3, l2: float = 1e-4, compact: bool = True) -> None:
        self.n, self.l2, self.compact = n, l2, compact
        self.vocab: dict[str, int] = {}
        self.W = np.zeros((0, len(CLASSES)))
        self.b = np.zeros(len(CLASSES))

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "Model":
        vocab, W, b = sm.fit(texts, labels, self.n, self.l2, sm.SETTINGS["epochs"], sm.SETTINGS["lr"],
                             OPTIONS["min_count"], OPTIONS["lemmas"])
        if self.compact:
            vocab, W, b = sm.compact(vocab, W, b, OPTIONS["prune"], sm.SETTINGS["decimals"])
        self.vocab, self.W, self.b = {g: i for i, g in enumerate(vocab)}, W, b
        return self

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        return sm.proba_many(self.vocab, self.W, self.b, texts, self.n, OPTIONS["lemmas"])

    def learned(self, threshold: float, clear: float) -> sm.LearnedModel:
        return sm.LearnedModel(CLASSES, dict(RULE_OF_GROUP), self.n, threshold, clear, self.vocab, self.W, self.b, {},
                               OPTIONS["defer"], OPTIONS["lemmas"])

    def top_grams(self, k: int = 12) -> dict[str, list[str]]:
        return sm.top_grams(list(self.vocab), self.W, k)

    def explain(self, text: str, k: int = 6) -> list[tuple[str, float]]:
        return self.learned(0.5, 0.5).contributions(text, k)


def decide(P: np.ndarray, threshold: float, clear: float) -> list[str | None]:
    """Return, per message, the class the model would answer with, or None."""
    out: list[str | None] = []
    for p in P:
        urgent = 1.0 - p[0]
        top = int(np.argmax(p[1:])) + 1
        out.append(CLASSES[top] if urgent >= threshold and p[top] >= clear * urgent else None)
    return out


# -- scoring ----------------------------------------------------------------------------------------------------

def rule_numbers(rule) -> frozenset[str]:
    """Return the numbers a rule's reply carries (its call buttons and those written in its text)."""
    return frozenset(ev.canonical(x) for x in rule.numbers) | ev.numbers_in([rule.reply])


class Judge:
    """Rules alone, and rules + model, on one detector."""

    def __init__(self, detector) -> None:
        self.detector = detector
        self.by_slug = {r.slug: r for r in detector.rules if r.lang == "ja"}
        self._memo: dict[str, frozenset[str]] = {}
        self._held: dict[str, bool] = {}

    def rules(self, text: str) -> frozenset[str]:
        if text not in self._memo:
            nums: frozenset[str] = frozenset()
            for r in self.detector.match(text):
                nums |= rule_numbers(r)
            self._memo[text] = nums
        return self._memo[text]

    def model(self, group: str | None, text: str | None = None) -> frozenset[str]:
        """Return the numbers of the model's answer; with text, none when the rules kept the message out by intent
        (as bot.safety.model.second_opinion does with defer_to_intent, --defer here)."""
        if not group or (text is not None and OPTIONS["defer"] and self.held_back(text)):
            return frozenset()
        return rule_numbers(self.by_slug[RULE_OF_GROUP[group]])

    def held_back(self, text: str) -> bool:
        """Tell whether a rule's words were there but an intent kept it out (the old detectors' reasons too)."""
        if text not in self._held:
            self._held[text] = any(not v.fired and HELD_BACK in v.reason for v in self.detector.explain(text).verdicts)
        return self._held[text]


class Tally:
    """The answers given to a set of cases, scored by bench.safety_eval's own score()."""

    def __init__(self) -> None:
        self.results: list[ev.Result] = []

    def add(self, case: ev.Case, numbers: frozenset[str]) -> None:
        self.results.append(ev.Result(case, numbers))

    def __str__(self) -> str:
        s = ev.score(self.results)
        return (f"{s.caught}/{s.urgent} ({s.caught_rate:.1%}) / crisis {s.crisis_caught}/{s.crisis} / "
                f"misfired {s.misfired}/{s.lookalikes} ({s.misfire_rate:.1%})")


def score(cases: Sequence[ev.Case], judge: Judge, answers: Sequence[str | None]) -> tuple[Tally, Tally, dict]:
    """Return the rules-alone tally, the rules+model tally and per-category counts (rules, combined, total)."""
    alone, both = Tally(), Tally()
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for case, answer in zip(cases, answers):
        r = judge.rules(case.text)
        c = r if r else judge.model(answer, case.text)
        alone.add(case, r)
        both.add(case, c)
        row = per[case.category]
        if case.lookalike:
            row[0] += bool(r & ev.EMERGENCY_NUMBERS)
            row[1] += bool(c & ev.EMERGENCY_NUMBERS)
        else:
            row[0] += bool(r & case.expect)
            row[1] += bool(c & case.expect)
        row[2] += 1
    return alone, both, dict(per)


def everyday() -> list[str]:
    """Return the town's everyday questions: bench._common.QUESTIONS and $SHARED_DIR/eval/dev-questions.jsonl."""
    texts = list(QUESTIONS)
    shared = Path(os.environ.get("SHARED_DIR", ev.ROOT.parent.parent / "shared")) / "eval" / "dev-questions.jsonl"
    if shared.exists():
        texts += [json.loads(line)["q"] for line in shared.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


def load_sets(names: Sequence[str]) -> list[ev.Case]:
    return [c for name in names for c in ev.load(name)]


# -- the runs ---------------------------------------------------------------------------------------------------

# Set from the command line; the defaults are what the pack file keeps (bot.safety.model.SETTINGS).
OPTIONS = {"compact": True, "faq": False, "defer": sm.SETTINGS["defer"], "prune": sm.SETTINGS["prune"],
           "min_count": sm.SETTINGS["min_count"], "lemmas": sm.SETTINGS["lemmas"]}


def train_model(n: int, l2: float, train: Sequence[ev.Case]) -> Model:
    """Fit on the cases (and, with --faq, the pack's FAQ questions as none), as the pack file would keep it."""
    texts, labels = [c.text for c in train], [group_of(c) for c in train]
    if OPTIONS["faq"]:
        extra = sm.pack_questions(ev.ROOT / "knowledge")
        texts, labels = texts + extra, labels + ["none"] * len(extra)
    return Model(n=n, l2=l2, compact=OPTIONS["compact"]).fit(texts, labels)


def cross_validate(ns: Sequence[int], thresholds: Sequence[float], clears: Sequence[float], l2: float) -> dict:
    """Leave one set out: out-of-fold probabilities for every training case, per n-gram length."""
    folds = {name: load_sets(sets) for name, sets in FOLDS.items()}
    oof: dict[int, dict[str, np.ndarray]] = {}
    for n in ns:
        oof[n] = {}
        for name, test in folds.items():
            train = [c for other, cs in folds.items() if other != name for c in cs]
            model = train_model(n, l2, train)
            oof[n][name] = model.proba([c.text for c in test])
    from bench.safety_compare import _old_detector

    current = Judge(read_file(ev.ROOT / "knowledge" / "safety.yaml").detector())
    old = {name: Judge(_old_detector(rev)) for name, rev in BEFORE_TUNING.items()}
    before = Tally()
    for name, judge in old.items():
        for case in folds[name]:
            before.add(case, judge.rules(case.text))
    print("== cross-validation grid (out-of-fold, pooled over the folds) ==")
    print("model alone: right number on urgent / misfires on look-alikes, every fold; rules + model on fresh9, fresh10 "
          "and fresh11 with the pack of before each was tuned on")
    print(f"rules alone on those three (before their rounds): {before}")
    print(f"{'n':>2} {'thr':>5} {'clear':>5}  {'model right on urgent':>22} {'model misfires':>15}   rules + model")
    for n in ns:
        for thr in thresholds:
            for clear in clears:
                right = fired_look = urgent = look = 0
                combined = Tally()
                for name, test in folds.items():
                    answers = decide(oof[n][name], thr, clear)
                    for case, answer in zip(test, answers):
                        nums = current.model(answer)
                        if case.lookalike:
                            look += 1
                            fired_look += bool(nums & ev.EMERGENCY_NUMBERS)
                        else:
                            urgent += 1
                            right += bool(nums & case.expect)
                    if name in old:
                        for case, answer in zip(test, answers):
                            r = old[name].rules(case.text)
                            combined.add(case, r if r else old[name].model(answer, case.text))
                print(f"{n:>2} {thr:>5.2f} {clear:>5.2f}  {f'{right}/{urgent} ({right / urgent:.1%})':>22} "
                      f"{f'{fired_look}/{look} ({fired_look / look:.1%})':>15}   {combined}")
    return {"folds": folds, "oof": oof, "current": current, "old": old}


def per_fold(cv: dict, n: int, threshold: float, clear: float) -> None:
    """Print, per held-out set, rules alone vs rules + model (today's pack, and the pack before that set's round)."""
    print(f"\n== leave-one-set-out, n={n}, threshold={threshold}, clear={clear} ==")
    print("set: rules alone -> rules + model (urgent caught / crisis / look-alikes misfired)")
    for name, test in cv["folds"].items():
        answers = decide(cv["oof"][n][name], threshold, clear)
        alone, both, _ = score(test, cv["current"], answers)
        print(f"  {name:<9} today's pack:   {alone}  ->  {both}")
        if name in cv["old"]:
            alone, both, _ = score(test, cv["old"][name], answers)
            print(f"  {name:<9} before its round ({BEFORE_TUNING[name]}): {alone}  ->  {both}")


def final(points: dict[str, tuple[float, float]], n: int, l2: float, held: bool) -> None:
    """Train on every tuned set; everyday questions, top n-grams, latency; the held sets once if asked."""
    train = load_sets([s for sets in FOLDS.values() for s in sets])
    t0 = time.perf_counter()
    model = train_model(n, l2, train)
    print(f"\n== final model: {len(train)} training phrasings "
          f"({Counter(group_of(c) for c in train).most_common()}), {len(model.vocab)} n-grams, "
          f"trained in {time.perf_counter() - t0:.1f} s ==")
    judge = Judge(read_file(ev.ROOT / "knowledge" / "safety.yaml").detector())
    texts = everyday()
    P = model.proba(texts)
    rules_fire = sum(bool(judge.rules(t) & ev.EMERGENCY_NUMBERS) for t in texts)
    for point, (thr, clear) in points.items():
        answers = decide(P, thr, clear)
        model_fire = sum(bool(judge.model(a, t)) and not judge.rules(t) for t, a in zip(texts, answers))
        print(f"everyday questions ({len(texts)}), {point} (threshold {thr}, clear {clear}): rules misfire "
              f"{rules_fire}, the model adds {model_fire}; highest P(urgent) among them {max(1 - P[:, 0]):.2f}")
    for name, gs in model.top_grams().items():
        print(f"  top n-grams {name:<7}: {' '.join(gs)}")
    example = ev.load("tune", ["crisis"])[0].text
    print(f"  explain (a tune phrasing) {example!r}: "
          + ", ".join(f"{g} {w:+.2f}" for g, w in model.explain(example)))
    sample = [c.text for c in train[:400]]
    times = []
    learned = model.learned(thr, clear)
    for text in sample:
        s = time.perf_counter_ns()
        learned.opinion(text)
        times.append((time.perf_counter_ns() - s) / 1000)
    times.sort()
    print(f"model latency per message: p50 {statistics.median(times):.0f} µs, p99 {times[int(0.99 * len(times))]:.0f} µs"
          f" (pure numpy, one message at a time; the rules' cost is on top)")
    if not held:
        return
    print("\n== held sets: scored once, totals and per-category counts only ==")
    for name in HELD_SETS:
        cases = ev.load(name)
        P = model.proba([c.text for c in cases])
        for point, (thr, clear) in points.items():
            alone, both, per = score(cases, judge, decide(P, thr, clear))
            if point == "chosen":
                print(f"{name}: rules alone {alone}")
            print(f"{' ' * len(name)}  rules + model ({point}) {both}")
            urgent = [f"{k} {a}->{b}/{t}" for k, (a, b, t) in sorted(per.items()) if not k.startswith("lookalike-")]
            look = [f"{k[10:]} {a}->{b}/{t}" for k, (a, b, t) in sorted(per.items()) if k.startswith("lookalike-")]
            print(f"     caught by category (rules->combined/total): {', '.join(urgent)}")
            print(f"     misfired by category (rules->combined/total): {', '.join(look)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held", action="store_true", help="also score held, held2 and fresh12 (totals only)")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    parser.add_argument("--raw", action="store_true", help="score the weights as trained, not as the pack keeps them")
    parser.add_argument("--faq", action="store_true", help="train with the pack's FAQ questions as extra none")
    parser.add_argument("--defer", action=argparse.BooleanOptionalAction, default=sm.SETTINGS["defer"],
                        help="keep the model silent when the rules kept a message out by intent")
    parser.add_argument("--prune", type=float, default=sm.SETTINGS["prune"], help="drop weights below this")
    parser.add_argument("--min-count", type=int, default=sm.SETTINGS["min_count"],
                        help="keep the n-grams found in at least this many training texts")
    parser.add_argument("--lemmas", action=argparse.BooleanOptionalAction, default=sm.SETTINGS["lemmas"],
                        help="Sudachi normalised forms (L:<form>) beside the character n-grams")
    parser.add_argument("--grid", default="3,4", help="n-gram lengths to cross-validate (comma-separated)")
    args = parser.parse_args(argv)
    OPTIONS.update(compact=not args.raw, faq=args.faq, defer=args.defer, prune=args.prune, lemmas=args.lemmas,
                   min_count=args.min_count)
    n, thr, clear, l2 = CHOSEN["n"], CHOSEN["threshold"], CHOSEN["clear"], CHOSEN["l2"]
    if not args.no_cv:
        ns = tuple(int(x) for x in args.grid.split(","))
        cv = cross_validate(ns, (0.5, 0.6, 0.7, 0.8, 0.9, 0.95), (0.5, 0.7), l2)
        per_fold(cv, n, thr, clear)
    final({"chosen": (thr, clear), "looser": (LOOSER["threshold"], LOOSER["clear"])}, n, l2, args.held)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
