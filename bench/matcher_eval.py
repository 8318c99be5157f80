"""Measure the matcher on resident questions against the town's own knowledge pack.

Run ``python -m bench.matcher_eval [FILE] [--pack DIR] [-v]``; FILE defaults to
../shared/eval/dev-questions.jsonl (one ``{"q": ..., "expect": [slugs]}`` a line; ``[]`` = out of scope).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.pack import read_pack
from bot.matching import Document, Matcher

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev-questions.jsonl"


def load_matcher(pack_dir: Path) -> Matcher:
    """Build the matcher over a pack's entries and synonyms."""
    pack = read_pack(pack_dir)
    docs = [
        Document(
            id=e["slug"], title=e["title"], questions=tuple(e["questions"]), keywords=tuple(e["keywords"]),
            answer=e["answer"], category=e["category"],
        )
        for e in pack.entries
    ]
    return Matcher.build(docs, pack.synonyms)


def evaluate(matcher: Matcher, rows: list[dict], verbose: bool = False) -> dict[str, float]:
    """Return answer accuracy, helpfulness, wrong-answer rate and out-of-scope false answers."""
    in_scope = [r for r in rows if r["expect"]]
    out_scope = [r for r in rows if not r["expect"]]
    answered = helpful = wrong = false_oos = 0
    for r in rows:
        d = matcher.decide(r["q"])
        expect = set(r["expect"])
        ids = [c.id for c in d.candidates]
        ok = d.outcome == "answer" and ids[0] in expect
        if expect:
            answered += ok
            helpful += ok or (d.outcome == "suggest" and bool(expect & set(ids)))
            wrong += d.outcome == "answer" and not ok
        else:
            false_oos += d.outcome == "answer"
        flag = "ok " if ok or (not expect and d.outcome != "answer") else (
            "sug" if d.outcome == "suggest" and expect & set(ids) else "BAD")
        if verbose:
            tops = ", ".join(f"{c.id} {c.score:.2f}" for c in d.candidates[:3])
            print(f"{flag} {d.outcome:8} {r['q']}  → {tops}   expect {sorted(expect)}")
    n_in = len(in_scope) or 1
    return {
        "n": len(rows),
        "answer_accuracy": answered / n_in,
        "helpful": helpful / n_in,
        "wrong_answers": wrong / n_in,
        "oos_false_answers": false_oos / (len(out_scope) or 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the four resident-question numbers for the pack."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEV)
    parser.add_argument("--pack", type=Path, default=ROOT / "knowledge")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every question's outcome")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = evaluate(load_matcher(args.pack), rows, args.verbose)
    print(f"{result['n']} questions from {args.file}")
    print(f"answer accuracy    {result['answer_accuracy']:6.1%}  (bar ≥ 90 %)")
    print(f"helpful            {result['helpful']:6.1%}  (bar ≥ 95 %)")
    print(f"wrong answers      {result['wrong_answers']:6.1%}  (bar ≤ 3 %)")
    print(f"out-of-scope false {result['oos_false_answers']:6.1%}  (bar ≤ 10 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
