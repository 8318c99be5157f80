"""A per-client limit on form posts: a sliding window of timestamps per address, in this process."""
from __future__ import annotations

import threading
import time
from collections import deque


class RateLimit:
    """Allow at most `limit` hits per `window` seconds for each key; remember at most `max_keys` keys."""

    def __init__(self, limit: int, window: float, max_keys: int = 10_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> bool:
        """Count one hit for key; return False when it is over the limit (and then it is not counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._forget_idle(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _forget_idle(self, now: float) -> None:
        # A flood of addresses must not grow memory without bound: drop the idle ones, else the oldest.
        idle = [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]
        for key in idle or list(self._hits)[: len(self._hits) // 2]:
            del self._hits[key]
