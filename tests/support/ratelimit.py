"""A clock for the shared limiter (bot/core/ratelimit.py) that tests move forward instead of waiting."""
from __future__ import annotations

import time

import pytest

from bot.core import ratelimit


class Clock:
    """The limiter's time: starts a second into the current hour (a step's start, so results do not depend on when
    the test runs), moves only when told."""

    def __init__(self) -> None:
        self.now = time.time() // 3600 * 3600 + 1

    def __call__(self) -> float:
        return self.now

    def forward(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def limiter_clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(ratelimit, "clock", clock)
    return clock
