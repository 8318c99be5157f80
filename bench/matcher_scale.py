"""Measure the matcher's build time, memory and query latency at 20, 1,786 and 10,000 entries.

Run ``python -m bench.matcher_scale [--sizes 20,1786,10000] [--queries 300] [--json]``.
20 is the town's pack (knowledge/), 1,786 the localgovFAQ corpus, and 10,000 a synthetic corpus
built from it at run time (its FAQ questions recombined with other FAQs' answers and reworded).
The localgovFAQ data has no redistribution licence: it is read from ../shared, never copied here.
Each size runs in a fresh process so its memory figure is its own.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

from bench._common import QUESTIONS, ROOT, percentile
from bench.localgovfaq import DATA

# Rewordings that keep a question's topic but change its surface, as another town's FAQ would.
_PREFIXES = ("", "市内で", "子育て中の世帯が", "高齢者が", "転入した人が", "事業者が", "令和6年度から")
_SUFFIXES = ("", "について", "を知りたい", "の手続き", "の窓口", "の期限", "に必要なもの")


def town_docs():
    """Return the town pack's entries as matcher documents."""
    from bot.pack import read_pack
    from bot.matching import Document

    pack = read_pack(ROOT / "knowledge")
    return [Document(id=e["slug"], title=e["title"], questions=tuple(e.get("questions") or ()),
                     keywords=tuple(e.get("keywords") or ()), answer=e["answer"], category=e.get("category", ""))
            for e in pack.entries]


def corpus_docs(n: int, corpus: Path):
    """Return n documents from the localgovFAQ corpus, synthesising beyond its 1,786."""
    from bench.localgovfaq import load_corpus
    from bot.matching import Document

    base = load_corpus(corpus)
    if n <= len(base):
        return base[:n]
    rng = random.Random(10_000)
    docs = list(base)
    while len(docs) < n:
        q, a = rng.choice(base), rng.choice(base)
        title = rng.choice(_PREFIXES) + q.title.rstrip("？?。") + rng.choice(_SUFFIXES)
        docs.append(Document(id=f"syn-{len(docs)}", title=title, answer=a.answer))
    return docs


def queries(corpus: Path, limit: int) -> list[str]:
    """Return real resident queries: the localgovFAQ dev queries and the load test's questions."""
    path = corpus.parent / "queries-dev.json"
    found = list(json.loads(path.read_text(encoding="utf-8")).values()) if path.exists() else []
    return (found[:limit] + list(QUESTIONS))[: max(limit, len(QUESTIONS))]


def _rss_mib(field: str = "VmRSS") -> float:
    # RssAnon is the heap alone: VmRSS also counts the pages of the memory-mapped Sudachi
    # dictionary that tokenising happened to touch, which are shared and not the index's.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure_one(size: int, corpus: Path, n_queries: int) -> dict:
    """Build a matcher over `size` entries in this process and time queries against it."""
    from bot.matching import Matcher
    from bot.matching.tokenize import analyze

    analyze("辞書を読み込む")  # the Sudachi dictionary is loaded once per process; not part of the index
    docs = town_docs() if size <= 20 else corpus_docs(size, corpus)
    before = _rss_mib("RssAnon")
    started = time.perf_counter()
    matcher = Matcher.build(docs)
    build_s = time.perf_counter() - started
    index_mib = _rss_mib("RssAnon") - before
    qs = queries(corpus, n_queries)
    for q in qs[:10]:
        matcher.decide(q)
    latencies = []
    for q in qs:
        t0 = time.perf_counter()
        matcher.decide(q)
        latencies.append((time.perf_counter() - t0) * 1000.0)
    return {"entries": len(docs), "build_s": round(build_s, 2), "index_mib": round(index_mib, 1),
            "process_rss_mib": round(_rss_mib(), 1),
            "dictionary_file_mib": round(_rss_mib("RssFile"), 1), "queries": len(qs),
            "p50_ms": round(percentile(latencies, 50), 2), "p99_ms": round(percentile(latencies, 99), 2),
            "max_ms": round(max(latencies), 2)}


def main(argv: list[str] | None = None) -> list[dict]:
    """Measure every size in its own process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,1786,10000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--corpus", type=Path, default=DATA / "corpus.json")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure_one(args.one, args.corpus, args.queries)))
        return []
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        if size > 20 and not args.corpus.exists():
            print(f"skipping {size}: {args.corpus} not found", file=sys.stderr)
            continue
        done = subprocess.run([sys.executable, "-m", "bench.matcher_scale", "--one", str(size), "--queries",
                               str(args.queries), "--corpus", str(args.corpus)],
                              cwd=ROOT, capture_output=True, text=True, timeout=900)
        if done.returncode:
            raise RuntimeError(done.stderr)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'entries':>8} {'build s':>8} {'index MiB':>10} {'RSS MiB':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
        for r in rows:
            print(f"{r['entries']:8d} {r['build_s']:8.2f} {r['index_mib']:10.1f} {r['process_rss_mib']:8.1f} "
                  f"{r['p50_ms']:7.2f} {r['p99_ms']:7.2f} {r['max_ms']:7.2f}")
        print(f"({rows[0]['queries'] if rows else 0} queries each: localgovFAQ dev queries + the load test's questions;"
              " index MiB = anonymous memory added by the build; RSS also counts mapped dictionary pages)")
    return rows


if __name__ == "__main__":
    main()
