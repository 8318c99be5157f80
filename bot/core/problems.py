"""One vocabulary for what is wrong with something a person wrote: `Problem` and `Invalid`.

- `Problem(file, field, message)`: one thing wrong — where (a file, or "form" for a console form; a field) and
  what, in Japanese, written where the rule is written. Staff read these messages as they are: in `kb check`,
  on the console's upload page and next to the editors' fields. There is no English-then-translate step.
- `Invalid(problems)`: the one exception a service raises when its input is wrong. It carries every problem;
  `str()` joins them, one a line, with where each is; `errors` groups them by field for a form.

It imports nothing of the bot, so every layer may use it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FORM = "form"  # the file of a problem found in a console form rather than in a pack file


@dataclass
class Problem:
    """One thing wrong: which file, which field ("-" for the whole file), and a Japanese message for staff."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        if self.file == FORM:  # a form's field names are the code's; the page marks the field itself
            return self.message
        return f"{self.file}: {self.field}: {self.message}"


class Invalid(ValueError):
    """Raised by a service when its input is wrong; carries every problem, each with a Japanese message.

    Give it problems, or one message (with the field it belongs to, if any) for a single problem. A summary,
    when given, is what `message` and `str()` say instead of the list (a form marks each field and flashes it).
    """

    def __init__(self, problems: Iterable[Problem] | str, field: str = "-", *, file: str = FORM,
                 summary: str = "") -> None:
        if isinstance(problems, str):
            problems = [Problem(file, field, problems)]
        self.problems: list[Problem] = list(problems)
        self.summary = summary
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The summary, or every problem's message, one a line."""
        return self.summary or "\n".join(p.message for p in self.problems)

    @property
    def errors(self) -> dict[str, list[str]]:
        """The messages by field, in order, for a form to show beside its fields."""
        grouped: dict[str, list[str]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.field, []).append(problem.message)
        return grouped

    def __str__(self) -> str:
        return self.summary or "\n".join(str(p) for p in self.problems)


def load_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Return a pack file's YAML, or a problem saying why it cannot be read (encoding, syntax, a bad date)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")), []
    except UnicodeDecodeError:
        return None, [Problem(path.name, "-", "UTF-8 のテキストではありません（文字コードを UTF-8 にして保存してください）")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"（{mark.line + 1}行目）" if mark else ""
        return None, [Problem(path.name, "-", f"YAML として読み取れません{where}。字下げ・コロン・引用符を確かめてください："
                                              f"{getattr(exc, 'problem', exc)}")]
    except ValueError as exc:
        # PyYAML builds dates while parsing: 2026-13-45 fails here, not in validation.
        return None, [Problem(path.name, "-", f"読み取れない値があります（日付は 2026-04-01 の形で、実在する日にしてください）：{exc}")]
