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
from bot.safety import model as learned

__all__ = ["Detector", "Rule", "SafetyCache", "SAFETY_FILE", "current_model", "current_rules", "urgent_rules", "warm"]

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
        # The learned second opinion beside it (safety-model.yaml): asked only when the rules find nothing; a
        # missing or broken file leaves the rules alone, never without rules.
        self.model_path = str(Path(path).with_name(learned.MODEL_FILE))
        self._model: learned.LearnedModel | None = None
        self._model_stamp: tuple[int, int, int] | None = None
        self.memo_size = memo_size
        self.check_seconds = check_seconds
        self._next_check = 0.0
        self._stamp: tuple[int, int, int] | None = None
        self._matcher: Detector = _EMPTY
        self._verdicts = self._memo(_EMPTY)
        self._lock = threading.Lock()

    def _memo(self, detector: Detector) -> tuple[Detector, Callable[[str], tuple[Rule, ...]]]:
        # Bound to one detector and model: new rules start with an empty memory, so an edit shows at once.
        model = self._model

        def judge(text: str) -> tuple[Rule, ...]:
            return detector.match(text) or learned.second_opinion(detector, model, text)

        return detector, lru_cache(maxsize=self.memo_size)(judge) if self.memo_size > 0 else judge

    def verdict(self, text: str) -> tuple[Rule, ...]:
        """Return matcher().match(text) or, when the rules find nothing, the learned model's answer (a rule marked
        learned), from memory when this message was judged by these rules lately."""
        detector = self.matcher()
        judged, judge = self._verdicts
        if judged is not detector or len(text) > MEMO_MAX_CHARS:
            return detector.match(text) or learned.second_opinion(detector, self._model, text)
        return judge(text)

    def model(self) -> learned.LearnedModel | None:
        """Return the learned model in use (None: the rules alone)."""
        self.matcher()
        return self._model

    def matcher(self) -> Detector:
        """Return the rules for the file as it is now; a broken edit keeps the last good rules."""
        if self.check_seconds:
            now = time.monotonic()
            if now < self._next_check and self._stamp is not None:  # never before the first rules are in place
                return self._matcher
            self._next_check = now + self.check_seconds
        stamp, model_stamp = _stamp_of(self.path), _stamp_of(self.model_path)
        if stamp == self._stamp and model_stamp == self._model_stamp:
            return self._matcher
        with self._lock:
            if stamp != self._stamp or model_stamp != self._model_stamp:
                if stamp != self._stamp:
                    self._reload(stamp)
                self._reload_model(model_stamp)  # again after a rules edit too: its classes must name rules
                self._verdicts = self._memo(self._matcher)
        return self._matcher

    def _reload_model(self, stamp: tuple[int, int, int]) -> None:
        if stamp == (0, 0, 0):
            self._model = None  # no model: the rules alone, as before it existed
        else:
            try:
                self._model = _compile_model(self.model_path, tuple(r.slug for r in self._matcher.rules))
                log.info("safety model loaded: %d n-grams from %s", len(self._model.vocab), self.model_path)
            except Invalid as exc:
                # `kb check` reports this before a deploy; at run time the rules go on alone.
                self._model = None
                log.error("ignoring broken %s (the safety rules answer alone): %s", self.model_path, exc)
        self._model_stamp = stamp

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
        self._stamp = stamp


def _stamp_of(path: str) -> tuple[int, int, int]:
    try:
        st = os.stat(path)
        return (st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        return (0, 0, 0)


_COMPILED: dict[str, Detector] = {}
_MODELS: dict[tuple[str, tuple[str, ...]], learned.LearnedModel] = {}
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


def _compile_model(path: str, slugs: tuple[str, ...]) -> learned.LearnedModel:
    """Return the model of a safety-model.yaml checked against the rules' slugs, shared within the process."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        raise Invalid("ファイルを読めません", file=learned.MODEL_FILE) from None
    key = (hashlib.sha256(data).hexdigest(), slugs)
    with _COMPILED_LOCK:
        model = _MODELS.get(key)
    if model is None:
        if len(data) > learned.MAX_MODEL_BYTES:
            raise Invalid("ファイルが大きすぎます", file=learned.MODEL_FILE)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid("UTF-8 のテキストではありません", file=learned.MODEL_FILE) from None
        model = learned.parse(text, slugs)
        with _COMPILED_LOCK:
            if len(_MODELS) >= 4:
                _MODELS.pop(next(iter(_MODELS)))
            _MODELS[key] = model
    return model


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


def current_model() -> learned.LearnedModel | None:
    """Return the app's learned model (KNOWLEDGE_DIR/safety-model.yaml), or None when there is none or it is broken."""
    return _app_cache().model()


def urgent_rules(text: str) -> tuple[Rule, ...]:
    """Return the rules a resident's message calls for, as current_rules().match(text) does.

    The webhook asks this for every question: a storm is many residents sending the same few words, and
    judging them costs a Sudachi pass (~0.2 ms) each time, so recent verdicts of the current rules are kept.
    """
    return _app_cache().verdict(text)
