"""Compact before/after views for the import preview: changed lines with the changed characters marked."""
from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher

from bot.knowledge.diff import FieldDiff

# Unchanged lines kept around a change; longer runs fold into one "…" line.
CONTEXT = 1


@dataclass
class Line:
    """One line of a diff: "-" removed, "+" added, " " kept, "…" folded; parts are (text, changed)."""

    tag: str
    parts: list[tuple[str, bool]] = field(default_factory=list)


def _marked(old: str, new: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    before: list[tuple[str, bool]] = []
    after: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if old[i1:i2]:
            before.append((old[i1:i2], tag != "equal"))
        if new[j1:j2]:
            after.append((new[j1:j2], tag != "equal"))
    return before, after


def _removed_first(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # ndiff may interleave + and - lines; a reader expects what went, then what came.
    out: list[tuple[str, str]] = []
    run: list[tuple[str, str]] = []
    for tag, text in [*lines, (" ", None)]:
        if tag == " ":
            out += [x for x in run if x[0] == "-"] + [x for x in run if x[0] == "+"]
            run = []
            if text is not None:
                out.append((tag, text))
        else:
            run.append((tag, text))
    return out


def compact(diff: FieldDiff) -> list[Line]:
    """Return a field's diff with long unchanged runs folded and one-line edits marked by character."""
    lines = [Line(tag, [(text, tag != " ")]) for tag, text in _removed_first(diff.lines)]
    # A removed line followed by an added one is an edit of that line: show which characters changed.
    for i in range(len(lines) - 1):
        if lines[i].tag == "-" and lines[i + 1].tag == "+" and (i + 2 == len(lines) or lines[i + 2].tag != "+") \
                and (i == 0 or lines[i - 1].tag != "-"):
            lines[i].parts, lines[i + 1].parts = _marked(lines[i].parts[0][0], lines[i + 1].parts[0][0])
    near = {j for i, line in enumerate(lines) if line.tag != " "
            for j in range(i - CONTEXT, i + CONTEXT + 1)}
    out: list[Line] = []
    for i, line in enumerate(lines):
        if line.tag != " " or i in near:
            out.append(line)
        elif not out or out[-1].tag != "…":
            out.append(Line("…", [("…", False)]))
    return out
