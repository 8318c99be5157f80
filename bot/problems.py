"""One thing wrong with a file someone wrote (a pack file, an upload): which file, which field, and why.

The knowledge pack and each feature's pack file (offices, shelters) report with this; it imports nothing of
the bot, so every layer may use it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Problem:
    """One thing wrong with a pack: which file, which field, and why."""

    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.reason}"
