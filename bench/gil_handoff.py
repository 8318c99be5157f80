"""What each native call on the webhook's path costs when another thread wants the GIL.

Run ``.venv/bin/python -m bench.gil_handoff [--calls 200]``. Under gunicorn's threads (2 workers × 8 threads by
default) a request's thread shares its interpreter with busy neighbours. A C or Rust call that releases the GIL,
however short, then waits to take it back until the running thread gives it up, which CPython asks for after
``sys.getswitchinterval()`` (5 ms). This times each call the webhook makes on every message, first alone, then
beside one thread spinning in Python, and prints microseconds per call. A call whose time jumps beside the spinner
releases the GIL: keep such calls off the per-message path when they are not needed (bot/safety's stamp check is
one: it looked at safety.yaml on every message until it was limited to once a second).
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from bot.matching.fuzzy import best_ratio
from bot.matching.tokenize import analyze, raw_units
from bot.safety.rules import read_file

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "給食費ってタダになるの？"


def calls() -> dict[str, Callable[[], object]]:
    """Return the native calls of one webhook's path, each as a no-argument callable."""
    detector = read_file(ROOT / "knowledge" / "safety.yaml").detector()
    written = detector.lexicon.written
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    out: dict[str, Callable[[], object]] = {
        "os.stat (a file's stamp)": lambda: os.stat(ROOT / "knowledge" / "safety.yaml"),
        "Sudachi, lean (the safety detector)": lambda: raw_units(QUESTION),
        "Sudachi, full (the FAQ matcher)": lambda: analyze(QUESTION),
        "the whole safety detector": lambda: detector.match(QUESTION),
        "rapidfuzz Indel ratio": lambda: best_ratio("きゅうしょくひ", ["きゅうしょくひ", "ほいくりょう"]),
        "sqlite3 SELECT 1": lambda: connection.execute("SELECT 1").fetchall(),
        "pure Python (a dict look-up)": lambda: {"a": 1}.get("a"),
    }
    out["Aho–Corasick search (the detector's written forms)"] = lambda: written.find_at(QUESTION)
    return out


def time_each(table: dict[str, Callable[[], object]], count: int) -> dict[str, float]:
    """Return each callable's mean wall-clock µs per call over count calls."""
    out = {}
    for name, call in table.items():
        call()
        start = time.perf_counter()
        for _ in range(count):
            call()
        out[name] = (time.perf_counter() - start) / count * 1e6
    return out


def main(argv: list[str] | None = None) -> dict[str, tuple[float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args(argv)
    table = calls()
    alone = time_each(table, args.calls)
    stop = threading.Event()

    def spin() -> None:
        n = 0
        while not stop.is_set():
            n += 1

    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    try:
        beside = time_each(table, args.calls)
    finally:
        stop.set()
        spinner.join()
    print(f"switch interval {sys.getswitchinterval() * 1000:.1f} ms, {args.calls} calls each, µs per call")
    print(f"{'call':42} {'alone':>9} {'beside a busy thread':>22}")
    for name in table:
        print(f"{name:42} {alone[name]:9.1f} {beside[name]:22.1f}")
    return {name: (alone[name], beside[name]) for name in table}


if __name__ == "__main__":
    main()
