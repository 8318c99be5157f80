"""Readable differences between versions of an entry, field by field and line by line."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from bot.knowledge.labels import field_label, value_label
from bot.knowledge.pack import FIELD_ORDER


@dataclass
class FieldDiff:
    """One changed field: its label and the lines removed ("-"), added ("+") or kept (" ")."""

    name: str
    label: str
    lines: list[tuple[str, str]] = field(default_factory=list)


def _as_lines(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value or "").splitlines() or [""] if value not in (None, "") else []


def field_diffs(before: dict[str, Any] | None, after: dict[str, Any], order: Sequence[str] = FIELD_ORDER,
                labels: Mapping[str, str] | None = None) -> list[FieldDiff]:
    """Return the fields that differ between two versions, with line diffs (entry fields unless order says)."""
    before = before or {}
    out = []
    for name in order:
        old, new = value_label(name, before.get(name)), value_label(name, after.get(name))
        if (old or "") == (new or ""):
            continue
        lines = []
        for line in difflib.ndiff(_as_lines(old), _as_lines(new)):
            tag = line[:1]
            if tag in ("-", "+", " "):
                lines.append((tag, line[2:]))
        out.append(FieldDiff(name, labels.get(name, name) if labels is not None else field_label(name), lines))
    return out


def revision_diffs(versions: list[tuple[str, dict[str, Any]]], order: Sequence[str] = FIELD_ORDER,
                   labels: Mapping[str, str] | None = None) -> list[list[FieldDiff]]:
    """Return, for each version, what changed since the one before it."""
    result = []
    previous: dict[str, Any] | None = None
    for _, data in versions:
        result.append(field_diffs(previous, data, order, labels))
        previous = data
    return result
