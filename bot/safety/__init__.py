"""Safety first: urgent messages get 119 / 110 / #8000 / crisis lines before any FAQ matching (Flask glue)."""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Callable

from flask import current_app

from bot.safety.detector import Detector, Rule
from bot.core.problems import Invalid
from bot.safety.rules import SAFETY_FILE, read_file

__all__ = ["Detector", "Rule", "SafetyCache", "SAFETY_FILE", "current_rules", "urgent_rules", "warm"]

log = logging.getLogger(__name__)
_EMPTY = Detector((), ())
# Verdicts are remembered for messages up to this long: a storm repeats short questions, and the memory stays
# small (DECISION_CACHE_SIZE of them at most); a longer message is judged every time.
MEMO_MAX_CHARS = 200
# How often the app looks at safety.yaml's stamp: at most once a second, not on every message. os.stat releases the
# GIL, and under gunicorn's threads taking it back can wait for another thread's whole switch interval (5 ms): the
# in-process profile put ~0.9 ms of every webhook there. An edit (a pack upload) shows within a second.
CHECK_SECONDS = 1.0


class SafetyCache:
    """Hold the compiled detector of one safety.yaml and compile it again only when the file changes."""

    def __init__(self, path: str | Path, memo_size: int = 0, check_seconds: float = 0.0) -> None:
        """Watch the file at path (it is read on first use, then its stamp looked at no more often than every
        check_seconds); remember up to memo_size verdicts of its rules."""
        self.path = str(path)
        self.memo_size = memo_size
        self.check_seconds = check_seconds
        self._next_check = 0.0
        self._stamp: tuple[int, int, int] | None = None
        self._matcher: Detector = _EMPTY
        self._verdicts = self._memo(_EMPTY)
        self._lock = threading.Lock()

    def _memo(self, detector: Detector) -> tuple[Detector, Callable[[str], tuple[Rule, ...]]]:
        # Bound to one detector: new rules start with an empty memory, so an edit to safety.yaml shows at once.
        return detector, lru_cache(maxsize=self.memo_size)(detector.match) if self.memo_size > 0 else detector.match

    def verdict(self, text: str) -> tuple[Rule, ...]:
        """Return matcher().match(text), from memory when this message was judged by these rules lately."""
        detector = self.matcher()
        judged, match = self._verdicts
        if judged is not detector or len(text) > MEMO_MAX_CHARS:
            return detector.match(text)
        return match(text)

    def matcher(self) -> Detector:
        """Return the rules for the file as it is now; a broken edit keeps the last good rules."""
        if self.check_seconds:
            now = time.monotonic()
            if now < self._next_check and self._stamp is not None:  # never before the first rules are in place
                return self._matcher
            self._next_check = now + self.check_seconds
        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = (0, 0, 0)
        if stamp == self._stamp:
            return self._matcher
        with self._lock:
            if stamp != self._stamp:
                self._reload(stamp)
        return self._matcher

    def _reload(self, stamp: tuple[int, int, int]) -> None:
        if stamp == (0, 0, 0):
            log.error("safety rules missing: %s not found; urgent messages get no 119/110/#8000 reply", self.path)
        else:
            try:
                self._matcher = _compile(self.path)
                log.info("safety rules loaded: %d rules from %s", len(self._matcher), self.path)
            except Invalid as exc:
                # `kb check` reports this before a deploy; at run time the last good rules are safer than none.
                log.error("ignoring broken %s (keeping %d earlier rules): %s", self.path, len(self._matcher), exc)
        if self._verdicts[0] is not self._matcher:
            self._verdicts = self._memo(self._matcher)
        self._stamp = stamp


_COMPILED: dict[str, Detector] = {}
_COMPILED_LOCK = threading.Lock()


def _compile(path: str) -> Detector:
    """Return the detector for a safety.yaml, shared by every app in the process that reads the same text."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        raise Invalid("ファイルを読めません", file=Path(path).name) from None
    key = hashlib.sha256(data).hexdigest()
    with _COMPILED_LOCK:
        detector = _COMPILED.get(key)
    if detector is None:
        detector = read_file(path).detector()
        with _COMPILED_LOCK:
            if len(_COMPILED) >= 4:
                _COMPILED.pop(next(iter(_COMPILED)))
            _COMPILED[key] = detector
    return detector


def warm(directory: str | Path) -> None:
    """Compile the safety.yaml in a pack directory into the process's cache (tests and tools; no app needed)."""
    try:
        _compile(str(Path(directory) / SAFETY_FILE))
    except Invalid:
        pass  # reported where it is used


def _app_cache() -> SafetyCache:
    cache = current_app.extensions.get("safety_rules")
    if cache is None:
        path = Path(current_app.config["KNOWLEDGE_DIR"]) / SAFETY_FILE
        # As many verdicts as the matcher keeps decisions (DECISION_CACHE_SIZE=0: every message judged afresh).
        memo = current_app.config.get("DECISION_CACHE_SIZE", 0)
        cache = current_app.extensions.setdefault("safety_rules", SafetyCache(path, memo, CHECK_SECONDS))
    return cache


def current_rules() -> Detector:
    """Return the app's safety rules from KNOWLEDGE_DIR/safety.yaml, compiled again only after the file changed."""
    return _app_cache().matcher()


def urgent_rules(text: str) -> tuple[Rule, ...]:
    """Return the rules a resident's message calls for, as current_rules().match(text) does.

    The webhook asks this for every question: a storm is many residents sending the same few words, and
    judging them costs a Sudachi pass (~0.2 ms) each time, so recent verdicts of the current rules are kept.
    """
    return _app_cache().verdict(text)
