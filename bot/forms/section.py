"""The forms' pack section: forms/<slug>.yaml; a changed definition becomes the form's next version."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.forms.schema import read_forms, write_forms
from bot.forms.store import import_forms, latest_definitions
from bot.core.problems import Problem


class FormsSection:
    name, files, after, empty = "forms", (), (), []  # its files sit in forms/, outside the entries' glob

    def read(self, root: Path, pack: Any) -> tuple[list[dict[str, Any]], list[Problem]]:
        forms, problems = read_forms(root)
        return forms, problems

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        definitions = latest_definitions()
        write_forms(root, definitions)
        return len(definitions)

    def load(self, pack: Any, *, force: bool, author: str) -> tuple[bool, list[str]]:
        # A new version is served through the forms catalog, which keeps its own cache (not the knowledge version).
        return False, import_forms(pack.forms, author)


FORMS = FormsSection()
