"""Measure the matcher on the localgovFAQ benchmark (Amagasaki City FAQ, SIGIR 2019).

Run ``python -m bench.localgovfaq [--corpus P] [--queries P] [--qrels P] [--json]``.
The data has no redistribution licence: it is read from ../shared and never copied here.
Cite Sakata et al., "FAQ Retrieval using Query-Question Similarity and BERT-Based
Query-Answer Relevance", SIGIR 2019, and github.com/ku-nlp/bert-based-faqir.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from bot.matching import Document, Matcher

DATA = Path(__file__).resolve().parents[2] / "shared" / "bench-data" / "localgovfaq"
KS = (1, 3, 10)


def load_corpus(path: Path) -> list[Document]:
    """Return one Document per FAQ: the FAQ question as title, its answer as answer."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    docs = []
    for key, value in raw.items():
        body = value.removeprefix("Question: ")
        question, _, answer = body.partition("\nAnswer: ")
        docs.append(Document(id=key, title=question.strip(), answer=answer.replace("＜改＞", "\n").strip()))
    return docs


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(p / 100.0 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def evaluate(matcher: Matcher, queries: dict[str, str], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Run every query and return hit rates, MRR, latency and decision calibration."""
    hits = {(lvl, k): 0 for lvl in ("g2", "any") for k in KS}
    rr = {"g2": 0.0, "any": 0.0}
    n = {"g2": 0, "any": 0}
    latencies: list[float] = []
    outcomes = {"answer": 0, "suggest": 0, "fallback": 0}
    answer_right = suggest_right = 0
    for qid, text in queries.items():
        labels = qrels.get(qid, {})
        start = time.perf_counter()
        ranked = matcher.rank(text, 10)
        latencies.append((time.perf_counter() - start) * 1000.0)
        decision = matcher.decide(text)
        ids = [c.id for c in ranked]
        for lvl, relevant in (("g2", {d for d, g in labels.items() if g >= 2}), ("any", set(labels))):
            if not relevant:
                continue
            n[lvl] += 1
            first = next((r for r, d in enumerate(ids, 1) if d in relevant), None)
            if first is not None:
                rr[lvl] += 1.0 / first
                for k in KS:
                    hits[(lvl, k)] += first <= k
        grade2 = {d for d, g in labels.items() if g >= 2}
        outcomes[decision.outcome] += 1
        if decision.outcome == "answer" and decision.top and decision.top.id in grade2:
            answer_right += 1
        if decision.outcome == "suggest" and any(c.id in grade2 for c in decision.candidates):
            suggest_right += 1
    out: dict[str, float] = {"n_queries": len(queries), "n_g2": n["g2"], "n_any": n["any"]}
    for (lvl, k), h in hits.items():
        out[f"hit{k}_{lvl}"] = round(h / n[lvl], 4) if n[lvl] else 0.0
    for lvl in rr:
        out[f"mrr_{lvl}"] = round(rr[lvl] / n[lvl], 4) if n[lvl] else 0.0
    out["p50_ms"] = round(percentile(latencies, 50), 3)
    out["p99_ms"] = round(percentile(latencies, 99), 3)
    out["answer_rate"] = round(outcomes["answer"] / len(queries), 4) if queries else 0.0
    out["suggest_rate"] = round(outcomes["suggest"] / len(queries), 4) if queries else 0.0
    out["fallback_rate"] = round(outcomes["fallback"] / len(queries), 4) if queries else 0.0
    out["answer_precision_g2"] = round(answer_right / outcomes["answer"], 4) if outcomes["answer"] else 0.0
    out["suggest_recall_g2"] = round(suggest_right / outcomes["suggest"], 4) if outcomes["suggest"] else 0.0
    return out


def main(argv: list[str] | None = None) -> int:
    """Build the matcher over the corpus, run the queries and print the metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DATA / "corpus.json")
    parser.add_argument("--queries", type=Path, default=DATA / "queries-dev.json")
    parser.add_argument("--qrels", type=Path, default=DATA / "qrels-dev.json")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of all metrics")
    args = parser.parse_args(argv)

    docs = load_corpus(args.corpus)
    queries: dict[str, str] = json.loads(args.queries.read_text(encoding="utf-8"))
    qrels: dict[str, dict[str, int]] = json.loads(args.qrels.read_text(encoding="utf-8"))
    start = time.perf_counter()
    matcher = Matcher.build(docs)
    matcher.rank("ウォームアップ")  # loads the Sudachi dictionary outside the timed queries
    build_s = time.perf_counter() - start
    result = evaluate(matcher, queries, qrels)
    result["build_s"] = round(build_s, 3)
    result["n_docs"] = len(docs)
    # ru_maxrss is in KiB on Linux.
    result["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)

    print(f"localgovFAQ: {len(docs)} FAQs, {result['n_queries']} queries "
          f"({result['n_g2']} with a grade-2 answer, {result['n_any']} with any label)")
    print(f"{'':8}{'Hit@1':>8}{'Hit@3':>8}{'Hit@10':>8}{'MRR':>8}")
    for lvl, name in (("g2", "grade 2"), ("any", "grade≥1")):
        print(f"{name:8}" + "".join(f"{result[f'hit{k}_{lvl}']:>8.3f}" for k in KS) + f"{result[f'mrr_{lvl}']:>8.3f}")
    print(f"latency p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms; "
          f"build {result['build_s']:.2f} s; peak RSS {result['rss_mb']:.0f} MB")
    print(f"decisions: answer {result['answer_rate']:.1%} (precision, grade-2 right: "
          f"{result['answer_precision_g2']:.1%}), suggest {result['suggest_rate']:.1%} (grade-2 among "
          f"suggestions: {result['suggest_recall_g2']:.1%}), fallback {result['fallback_rate']:.1%}")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
