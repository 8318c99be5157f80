"""A learned second opinion beside the safety rules: an experiment (issue 18). Not wired into the webhook.

Run ``.venv/bin/python -m bench.safety_model_eval`` (cross-validation on the tuned sets, everyday questions, top
n-grams, latency) and, once, with the chosen settings, ``... --held`` (adds the totals of held, held2 and fresh12).

The model: a multinomial logistic regression over hashed character 1–N-grams of the detector's ``norm()`` text
(NFKC, hiragana, no punctuation), numpy only. Its classes are *which number to give*: ``119``, ``110``, ``8000``
(#8000 and 119), ``crisis`` (the crisis lines), ``189``, ``8008`` (#8008 and 110), ``help`` (119/110/#8000, the
emergency-contacts rule) and ``none``. The combination answers with the rules when they fire; otherwise with the
model's class when P(urgent) = 1 − P(none) ≥ threshold and that class holds at least ``clear`` of the urgent
probability (the number to give is clear).

Protocol (docs/benchmarks.md, "Safety detector: a learned second opinion, an experiment"):

- Trained and tuned only on the tuned phrasing sets (tune, dev, fresh, fresh2 … fresh11), loaded with
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
from bot.safety.detector import norm
from bot.safety.rules import read_file

HELD_SETS = ("held", "held2", "fresh12")  # never trained or tuned on; totals only
FOLDS = {  # leave-one-set-out folds; fresh2 … fresh7 are small (a few categories each) and form one fold
    "tune": ("tune",), "dev": ("dev",), "fresh": ("fresh",),
    "fresh2-7": ("fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7"),
    "fresh8": ("fresh8",), "fresh9": ("fresh9",), "fresh10": ("fresh10",), "fresh11": ("fresh11",),
}
# The pack and detector as they were just before a set was opened for tuning (first parent of the round's merge).
BEFORE_TUNING = {"fresh9": "794ef4e^1", "fresh10": "f7f234c^1", "fresh11": "68a9c8f^1"}

GROUP_OF_CATEGORY = {
    "fire": "119", "illness": "119", "accident": "119", "carbon-monoxide": "119", "gas": "119",
    "crime": "110", "animal": "110", "child-night": "8000", "ingestion": "8000", "crisis": "crisis",
    "child-abuse": "189", "domestic-violence": "8008",
}
# The rule whose reply and numbers the model's answer would use.
RULE_OF_GROUP = {"119": "medical", "110": "crime", "8000": "child-night-illness", "crisis": "crisis",
                 "189": "child-abuse", "8008": "domestic-violence", "help": "emergency-contacts"}
CLASSES = ("none", "119", "110", "8000", "crisis", "189", "8008", "help")

# Chosen by cross-validation (run without --held, see the printed grid) and fixed before the held sets were scored:
# the point where rules + model misfired on no more look-alikes than the rules alone in the before-the-round folds
# (fresh9–11: 555 → 568/635 urgent, 120 → 122/135 crisis, 7 → 7/482 misfired; the model alone 1/1267 out of fold).
CHOSEN = {"n": 3, "threshold": 0.95, "clear": 0.5, "l2": 1e-4}
# A looser point, also fixed before the held run and reported beside it to show the trade-off, not recommended:
# 580/635 urgent, 126/135 crisis, 9/482 misfired on the same folds.
LOOSER = {"threshold": 0.9, "clear": 0.5}


def group_of(case: ev.Case) -> str:
    """Return the class a phrasing is trained as: which number it needs, or none for a look-alike."""
    if case.lookalike:
        return "none"
    if case.category in GROUP_OF_CATEGORY:
        return GROUP_OF_CATEGORY[case.category]
    e = case.expect  # other-languages: by its own expectation
    if e == {"119"}:
        return "119"
    if e == {"110"}:
        return "110"
    if "#8000" in e and "110" not in e:
        return "8000"
    return "help"


# -- features ---------------------------------------------------------------------------------------------------

def grams(text: str, n: int) -> list[str]:
    """Return the character 1…n-grams of norm(text), with ^ and $ marking the message's ends."""
    t = "^" + norm(text) + "$"
    return [t[i:i + k] for k in range(1, n + 1) for i in range(len(t) - k + 1)]


def featurize(texts: Sequence[str], n: int, vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return a CSR matrix (indptr, indices, values): the n-grams of each text found in vocab, binary, each row of
    unit length (n-grams never seen in training are left out)."""
    indptr, indices, values = [0], [], []
    for text in texts:
        idx = sorted({vocab[g] for g in grams(text, n) if g in vocab})
        indices.extend(idx)
        values.extend([1.0 / np.sqrt(max(len(idx), 1))] * len(idx))
        indptr.append(len(indices))
    return np.array(indptr), np.array(indices, dtype=np.int64), np.array(values, dtype=np.float64)


class Model:
    """Softmax regression on a sparse hashed matrix, full-batch Adam with L2."""

    def __init__(self, n: int = 3, l2: float = 1e-4, epochs: int = 300, lr: float = 0.05) -> None:
        self.n, self.l2, self.epochs, self.lr = n, l2, epochs, lr
        self.vocab: dict[str, int] = {}
        self.W = np.zeros((0, len(CLASSES)))
        self.b = np.zeros(len(CLASSES))

    def _scores(self, X) -> np.ndarray:
        indptr, indices, values = X
        contrib = self.W[indices] * values[:, None]
        rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        out = np.zeros((len(indptr) - 1, len(CLASSES)))
        for c in range(len(CLASSES)):
            out[:, c] = np.bincount(rows, weights=contrib[:, c], minlength=len(indptr) - 1)
        return out + self.b

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "Model":
        self.vocab = {}
        for text in texts:
            for g in grams(text, self.n):
                self.vocab.setdefault(g, len(self.vocab))
        X = featurize(texts, self.n, self.vocab)
        y = np.array([CLASSES.index(label) for label in labels])
        Y = np.eye(len(CLASSES))[y]
        indptr, indices, values = X
        rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        used = np.arange(len(self.vocab))
        mW, vW = np.zeros((len(used), len(CLASSES))), np.zeros((len(used), len(CLASSES)))
        mb, vb = np.zeros(len(CLASSES)), np.zeros(len(CLASSES))
        local = indices
        W = np.zeros((len(used), len(CLASSES)))
        b1, b2, eps = 0.9, 0.999, 1e-8
        m = len(y)
        for t in range(1, self.epochs + 1):
            S = np.zeros((m, len(CLASSES)))
            contrib = W[local] * values[:, None]
            for c in range(len(CLASSES)):
                S[:, c] = np.bincount(rows, weights=contrib[:, c], minlength=m)
            S += self.b
            S -= S.max(axis=1, keepdims=True)
            P = np.exp(S)
            P /= P.sum(axis=1, keepdims=True)
            G = (P - Y) / m
            gW = np.zeros_like(W)
            g_nnz = G[rows] * values[:, None]
            for c in range(len(CLASSES)):
                gW[:, c] = np.bincount(local, weights=g_nnz[:, c], minlength=len(used))
            gW += self.l2 * W
            gb = G.sum(axis=0)
            mW = b1 * mW + (1 - b1) * gW
            vW = b2 * vW + (1 - b2) * gW ** 2
            mb = b1 * mb + (1 - b1) * gb
            vb = b2 * vb + (1 - b2) * gb ** 2
            W -= self.lr * (mW / (1 - b1 ** t)) / (np.sqrt(vW / (1 - b2 ** t)) + eps)
            self.b -= self.lr * (mb / (1 - b1 ** t)) / (np.sqrt(vb / (1 - b2 ** t)) + eps)
        self.W = W
        return self

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        S = self._scores(featurize(texts, self.n, self.vocab))
        S -= S.max(axis=1, keepdims=True)
        P = np.exp(S)
        return P / P.sum(axis=1, keepdims=True)

    def top_grams(self, k: int = 12, min_len: int = 2) -> dict[str, list[str]]:
        """Return, per urgent class, the n-grams (of min_len characters or more) that push most towards it over
        none: what staff would read to see what the model has learnt."""
        names = np.array(list(self.vocab))
        keep = np.array([len(g) >= min_len for g in names])
        out = {}
        for c, name in enumerate(CLASSES):
            if name == "none":
                continue
            push = np.where(keep, self.W[:, c] - self.W[:, 0], -np.inf)
            out[name] = [str(g) for g in names[np.argsort(-push)[:k]]]
        return out

    def explain(self, text: str, k: int = 6) -> list[tuple[str, float]]:
        """Return the n-grams of one message that push most towards its top urgent class over none."""
        p = self.proba([text])[0]
        c = int(np.argmax(p[1:])) + 1
        found = sorted({g for g in grams(text, self.n) if g in self.vocab})
        scale = 1.0 / np.sqrt(max(len(found), 1))
        push = [(g, float((self.W[self.vocab[g], c] - self.W[self.vocab[g], 0]) * scale)) for g in found]
        return sorted(push, key=lambda x: -x[1])[:k]


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

    def rules(self, text: str) -> frozenset[str]:
        if text not in self._memo:
            nums: frozenset[str] = frozenset()
            for r in self.detector.match(text):
                nums |= rule_numbers(r)
            self._memo[text] = nums
        return self._memo[text]

    def model(self, group: str | None) -> frozenset[str]:
        return rule_numbers(self.by_slug[RULE_OF_GROUP[group]]) if group else frozenset()


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
        c = r if r else judge.model(answer)
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

def cross_validate(ns: Sequence[int], thresholds: Sequence[float], clears: Sequence[float], l2: float) -> dict:
    """Leave one set out: out-of-fold probabilities for every training case, per n-gram length."""
    folds = {name: load_sets(sets) for name, sets in FOLDS.items()}
    oof: dict[int, dict[str, np.ndarray]] = {}
    for n in ns:
        oof[n] = {}
        for name, test in folds.items():
            train = [c for other, cs in folds.items() if other != name for c in cs]
            model = Model(n=n, l2=l2).fit([c.text for c in train], [group_of(c) for c in train])
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
                            combined.add(case, r if r else old[name].model(answer))
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
    model = Model(n=n, l2=l2).fit([c.text for c in train], [group_of(c) for c in train])
    print(f"\n== final model: {len(train)} training phrasings "
          f"({Counter(group_of(c) for c in train).most_common()}), {len(model.vocab)} n-grams, "
          f"trained in {time.perf_counter() - t0:.1f} s ==")
    judge = Judge(read_file(ev.ROOT / "knowledge" / "safety.yaml").detector())
    texts = everyday()
    P = model.proba(texts)
    rules_fire = sum(bool(judge.rules(t) & ev.EMERGENCY_NUMBERS) for t in texts)
    for point, (thr, clear) in points.items():
        answers = decide(P, thr, clear)
        model_fire = sum(bool(judge.model(a)) and not judge.rules(t) for t, a in zip(texts, answers))
        print(f"everyday questions ({len(texts)}), {point} (threshold {thr}, clear {clear}): rules misfire "
              f"{rules_fire}, the model adds {model_fire}; highest P(urgent) among them {max(1 - P[:, 0]):.2f}")
    for name, gs in model.top_grams().items():
        print(f"  top n-grams {name:<7}: {' '.join(gs)}")
    example = ev.load("tune", ["crisis"])[0].text
    print(f"  explain (a tune phrasing) {example!r}: "
          + ", ".join(f"{g} {w:+.2f}" for g, w in model.explain(example)))
    sample = [c.text for c in train[:400]]
    times = []
    for text in sample:
        s = time.perf_counter_ns()
        model.proba([text])
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
    args = parser.parse_args(argv)
    n, thr, clear, l2 = CHOSEN["n"], CHOSEN["threshold"], CHOSEN["clear"], CHOSEN["l2"]
    if not args.no_cv:
        cv = cross_validate((3, 4), (0.5, 0.6, 0.7, 0.8, 0.9, 0.95), (0.5, 0.7), l2)
        per_fold(cv, n, thr, clear)
    final({"chosen": (thr, clear), "looser": (LOOSER["threshold"], LOOSER["clear"])}, n, l2, args.held)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
