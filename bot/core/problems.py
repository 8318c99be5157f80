"""One thing wrong with a file someone wrote (a pack file, an upload): which file, which field, and why.

The knowledge pack and each feature's pack file (offices, shelters) report with this; it imports nothing of
the bot, so every layer may use it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass
class Problem:
    """One thing wrong with a pack: which file, which field, and why."""

    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.reason}"


def load_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Return a pack file's YAML, or a problem saying why it cannot be read (encoding, syntax, a bad date)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")), []
    except UnicodeDecodeError:
        return None, [Problem(path.name, "-", "is not UTF-8 text")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        return None, [Problem(path.name, "-", f"is not valid YAML{where}: {getattr(exc, 'problem', exc)}")]
    except ValueError as exc:
        # PyYAML builds dates while parsing: 2026-13-45 fails here, not in validation.
        return None, [Problem(path.name, "-", f"has a value YAML cannot read: {exc}")]
