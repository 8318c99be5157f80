"""Revisions: the numbered copies of a record's content after each change, and what changed between them.

Entries (`EntryRevision`) and offices (`OfficeRevision`) keep them the same way: the record has a `revisions`
relationship to its revision model (number, data, author, reason, created_at) and a `content()` method that
returns what a revision stores. The history pages show `revision_diffs` of them, field by field and line by line.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping, Protocol, Sequence

from sqlalchemy import ColumnElement, func, inspect, select

from bot.core.labels import field_label, value_label
from bot.extensions import db


class Revisioned(Protocol):
    """A record that keeps revisions (an entry, an office)."""

    id: Any
    revisions: Any

    def content(self) -> dict[str, Any]: ...


@lru_cache(maxsize=None)
def _link(owner_type: type) -> tuple[type, ColumnElement, str]:
    """Return the revision model, its column naming the record and its attribute for the record."""
    relation = inspect(owner_type).relationships["revisions"]
    return relation.mapper.class_, next(iter(relation.remote_side)), relation.back_populates


def add_revision(owner: Revisioned, author: str, reason: str) -> Any:
    """Record the record's current content as its next revision, in the current transaction."""
    model, column, attribute = _link(type(owner))
    number = (db.session.scalar(select(func.max(model.number)).where(column == owner.id)) or 0) + 1
    revision = model(**{attribute: owner}, number=number, data=owner.content(), author=author, reason=reason)
    db.session.add(revision)
    return revision


def latest_revision(owner: Revisioned) -> Any | None:
    """Return the record's newest revision (None before the first)."""
    model, column, _ = _link(type(owner))
    return db.session.scalar(select(model).where(column == owner.id).order_by(model.number.desc()).limit(1))


def find_revision(owner: Revisioned, number: int) -> Any | None:
    """Return the record's revision with that number, or None."""
    model, column, _ = _link(type(owner))
    return db.session.scalar(select(model).where(column == owner.id, model.number == number))


def history(owner: Revisioned) -> list[Any]:
    """Return every revision of the record, oldest first."""
    model, column, _ = _link(type(owner))
    return list(db.session.scalars(select(model).where(column == owner.id).order_by(model.number)))


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


def field_diffs(before: dict[str, Any] | None, after: dict[str, Any], order: Sequence[str],
                labels: Mapping[str, str] | None = None) -> list[FieldDiff]:
    """Return the fields (in `order`) that differ between two versions, with line diffs.

    A field is named by `labels` when given, else by the label registry (bot/core/labels.py)."""
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


def revision_diffs(versions: list[tuple[str, dict[str, Any]]], order: Sequence[str],
                   labels: Mapping[str, str] | None = None) -> list[list[FieldDiff]]:
    """Return, for each version, what changed since the one before it."""
    result = []
    previous: dict[str, Any] | None = None
    for _, data in versions:
        result.append(field_diffs(previous, data, order, labels))
        previous = data
    return result
