"""Count safety replies on another city's everyday questions: the localgovFAQ questions (Amagasaki City).

Run ``python -m bench.safety_localgovfaq``. Every FAQ question of the corpus and every dev query is a question a
resident asked a city office, written by people who never saw our sets, rules or model; none is an emergency
message, so every safety reply here is a misfire (some debatable: a child unwell at night). Printed: how many the
rules answer, how many more the learned second opinion answers, and the highest P(urgent) of the rest; with
``--show``, the questions the rules or the model answered. The data has no redistribution licence: it is read from
../shared/bench-data and never copied here (cite as bench/localgovfaq.py does).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.localgovfaq import DATA, load_corpus
from bot.safety import model as learned
from bot.safety.rules import read_file

ROOT = Path(__file__).resolve().parents[1]


def texts() -> dict[str, list[str]]:
    """Return the corpus's FAQ questions and the dev queries."""
    raw = json.loads((DATA / "queries-dev.json").read_text(encoding="utf-8"))
    queries = list(raw.values()) if isinstance(raw, dict) else list(raw)
    return {"FAQ questions": [d.title for d in load_corpus(DATA / "corpus.json")],
            "dev queries": [q if isinstance(q, str) else q.get("query", "") for q in queries]}


def main() -> int:
    """Print the counts per kind of text."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print the questions that got a safety reply")
    args = parser.parse_args()
    if not (DATA / "corpus.json").is_file():
        print(f"no data at {DATA}")
        return 1
    detector = read_file(ROOT / "knowledge" / "safety.yaml").detector()
    model = learned.read_file(ROOT / "knowledge" / learned.MODEL_FILE, [r.slug for r in detector.rules])
    for kind, questions in texts().items():
        by_rules, by_model, highest = [], [], 0.0
        for text in questions:
            if (rules := detector.match(text)):
                by_rules.append((text, rules[0].slug))
            elif (answer := learned.second_opinion(detector, model, text)):
                by_model.append((text, answer[0].slug))
            else:
                highest = max(highest, model.opinion(text).urgent)
        print(f"{kind}: {len(questions)}; the rules answer {len(by_rules)} ({len(by_rules) / len(questions):.1%}), "
              f"the model {len(by_model)} more; highest P(urgent) of the rest {highest:.2f} "
              f"(threshold {model.threshold})")
        if args.show:
            for text, slug in by_rules + by_model:
                print(f"  {slug:<22} {text[:80]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
