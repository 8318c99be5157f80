"""Time the safety check (knowledge/safety.yaml) per message, on everyday questions and on urgent ones.

Run ``python -m bench.safety_check [FILE] [--repeat 200]``; FILE defaults to ../shared/eval/dev-questions.jsonl.
Each message is timed ``--repeat`` times and its fastest run kept (the machine is shared; the minimum is what
the code costs), then the median, 95th percentile and maximum over the messages are printed in microseconds.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from bot.matching.normalize import fold
from bot.safety import SafetyMatcher
from bot.safety.rules import read_file

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev-questions.jsonl"


def fastest(fn, text: str, repeat: int) -> float:
    """Return the fastest of `repeat` runs of fn(text), in microseconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - started)
    return best * 1e6


def summary(name: str, times: list[float]) -> str:
    """Return one line of median, p95 and max."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{name:<28} n={len(times):3d}  median {statistics.median(times):6.1f} µs  p95 {p95:6.1f} µs  max {ordered[-1]:6.1f} µs"


def main() -> None:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(DEV))
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    rules = SafetyMatcher(read_file(ROOT / "knowledge" / "safety.yaml"))
    questions = [json.loads(line)["q"] for line in Path(args.file).read_text(encoding="utf-8").splitlines() if line.strip()]
    from tests.safety_phrases import EVERYDAY, URGENT

    fired = [q for q in questions if rules.match(q)]
    print(f"{len(rules)} rules; {len(fired)} of {len(questions)} eval questions got a safety reply {fired or ''}")
    print(summary("fold() alone (eval)", [fastest(fold, q, args.repeat) for q in questions]))
    print(summary("safety check (eval)", [fastest(rules.match, q, args.repeat) for q in questions]))
    print(summary("safety check (everyday set)", [fastest(rules.match, q, args.repeat) for q in EVERYDAY]))
    print(summary("safety check (urgent set)", [fastest(rules.match, q, args.repeat) for q, _ in URGENT]))


if __name__ == "__main__":
    main()
