"""Recognise disaster questions (evacuation, shelters, power, water, family) from the pack's words.

The words are folded the way the matcher folds questions (bot.matching.normalize.fold: width, case,
katakana → hiragana, no punctuation) and also read with Sudachi (bot.matching.tokenize.analyze), so
避難 / ひなん / ヒナン and 電気がつかない / でんきつかない meet. Only consulted while disaster mode is on.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from flask import current_app

from bot.matching.normalize import fold
from bot.matching.tokenize import analyze
from bot.shelters.pack import SHELTERS_FILE, validate

log = logging.getLogger(__name__)
GAP = 8  # 「電気…つかな」: at most this many characters between the two words
MAX_CHARS = 500  # as the matcher: the start of a long message


@lru_cache(maxsize=4096)
def forms(word: str) -> tuple[str, ...]:
    """Return the folded spelling and the folded Sudachi reading of a word (one of them when they agree)."""
    out = [fold(word)]
    reading = analyze(word).reading
    if reading and reading not in out:
        out.append(reading)
    return tuple(f for f in out if f)


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    alternatives: list[str] = []
    for term in terms:
        first, _, second = term.partition("…")
        heads = forms(first)
        if not second:
            alternatives.extend(re.escape(h) for h in heads)
            continue
        for head in heads:
            for tail in forms(second):
                alternatives.append(f"{re.escape(head)}.{{0,{GAP}}}?{re.escape(tail)}")
    if not alternatives:
        return None
    # Longest first, so the regex reports the most specific word it found.
    return re.compile("|".join(sorted(set(alternatives), key=len, reverse=True)))


@dataclass(frozen=True)
class Topic:
    """One kind of disaster question and the words that name it."""

    key: str
    label: str
    pattern: re.Pattern[str] | None


@dataclass(frozen=True)
class Finding:
    """What the recogniser found in a message: the topics in the order of the pack, and why."""

    topics: tuple[str, ...]
    words: tuple[str, ...] = ()
    excluded_by: str = ""


class Recogniser:
    """The compiled topics and look-alike words of one shelters.yaml."""

    def __init__(self, raw: dict[str, Any] | None) -> None:
        raw = raw or {}
        self.topics = tuple(Topic(t["key"], t["label"], _pattern(t["terms"])) for t in raw.get("topics") or [])
        self.exclude = _pattern(list(raw.get("not_when") or []))
        self.nationwide: tuple[dict[str, str], ...] = tuple(raw.get("nationwide") or [])
        self.review_note = str(raw.get("review_note") or "")

    def find(self, text: str) -> Finding:
        """Return the disaster topics a message is about (none for a look-alike such as 避難訓練の日程)."""
        if not self.topics:
            return Finding(())
        text = text[:MAX_CHARS]
        hay = (fold(text), analyze(text).reading)
        if self.exclude is not None:
            for h in hay:
                hit = self.exclude.search(h)
                if hit:
                    return Finding((), excluded_by=hit.group(0))
        keys, words = [], []
        for topic in self.topics:
            if topic.pattern is None:
                continue
            for h in hay:
                hit = topic.pattern.search(h)
                if hit:
                    keys.append(topic.key)
                    words.append(hit.group(0))
                    break
        return Finding(tuple(keys), tuple(words))


_EMPTY = Recogniser(None)


class _Cache:
    """The recogniser of KNOWLEDGE_DIR/shelters.yaml, compiled again only when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stamp: tuple[int, int, int] | None = None
        self.value = _EMPTY
        self.lock = threading.Lock()

    def get(self) -> Recogniser:
        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = (0, 0, 0)
        if stamp != self.stamp:
            with self.lock:
                if stamp != self.stamp:
                    self.value = self._load(stamp)
                    self.stamp = stamp
        return self.value

    def _load(self, stamp: tuple[int, int, int]) -> Recogniser:
        if stamp == (0, 0, 0):
            log.warning("no %s: disaster mode answers questions as usual", self.path)
            return _EMPTY
        try:
            raw = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, yaml.YAMLError) as exc:
            log.error("ignoring unreadable %s (keeping the last good words): %s", self.path, exc)
            return self.value
        problems = validate(raw, self.path.name)
        if problems:
            # `kb check` reports these before a deploy; at run time the last good words are safer than none.
            log.error("ignoring broken %s (keeping the last good words): %d problems", self.path, len(problems))
            return self.value
        return Recogniser(raw)


def current() -> Recogniser:
    """Return the app's recogniser, read from the pack directory."""
    cache = current_app.extensions.get("disaster_topics")
    if cache is None:
        path = Path(current_app.config["KNOWLEDGE_DIR"]) / SHELTERS_FILE
        cache = current_app.extensions.setdefault("disaster_topics", _Cache(path))
    return cache.get()
