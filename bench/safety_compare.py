"""Compare the safety detector and pack of another git revision with this tree's, message by message.

Run ``.venv/bin/python -m bench.safety_compare [REV] [--rounds 5]`` (REV defaults to HEAD). Both detectors (REV's
``bot/safety/detector.py`` with REV's ``knowledge/safety.yaml``, and this tree's) run in one process, alternately on
each message of ``bench.safety_latency``'s mix, and each message keeps its fastest CPU time of the rounds: on a busy
shared machine that is far steadier than two separate benchmark runs. It also reports how many messages (the mix and
every phrasing set except the held half) get different rules.
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import safety_eval as ev
from bench.safety_latency import ROOT, mix
from bot.safety.rules import parse, read_file

SETS = ("tune", "dev", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7")


def _show(rev: str, path: str) -> str:
    return subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


def _old_detector(rev: str):
    """Return REV's detector compiled with REV's pack."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "old_detector.py"
        source.write_text(_show(rev, "bot/safety/detector.py"), encoding="utf-8")
        spec = importlib.util.spec_from_file_location("old_safety_detector", source)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    pack = parse(_show(rev, "knowledge/safety.yaml"))
    return module.Detector(pack.concepts, pack.rules, pack.languages)


def _fastest(detector, text: str, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.thread_time_ns()
        detector.match(text)
        best = min(best, time.thread_time_ns() - t0)
    return best / 1000


def main() -> None:
    """Print the decisions that differ and the per-kind p50 / max of each message's fastest run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", nargs="?", default="HEAD")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    old, new = _old_detector(args.rev), read_file(ROOT / "knowledge" / "safety.yaml").detector()
    kinds = mix()
    texts = [t for ts in kinds.values() for t in ts] + [c.text for half in SETS for c in ev.load(half)]
    differ = sum(1 for t in texts if [r.slug for r in old.match(t)] != [r.slug for r in new.match(t)])
    print(f"{differ} of {len(texts)} messages get different rules ({args.rev} → this tree)")
    for kind, ts in kinds.items():
        before, after = [], []
        for text in ts:
            old.match(text), new.match(text)
            before.append(_fastest(old, text, args.rounds))
            after.append(_fastest(new, text, args.rounds))
        print(f"  {kind:<22} {args.rev}: p50 {statistics.median(before):7.1f} max {max(before):8.1f} µs | "
              f"this tree: p50 {statistics.median(after):7.1f} max {max(after):8.1f} µs")


if __name__ == "__main__":
    main()
