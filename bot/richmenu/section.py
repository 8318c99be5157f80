"""The rich menu's pack section: richmenu.yaml (normal / disaster), checked against the category list."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.problems import Problem
from bot.richmenu import packfile
from bot.richmenu.store import export_menus, import_menus


class RichMenuSection:
    name, files, after, empty = "richmenu", (packfile.RICHMENU_FILE,), ("categories",), None  # None: no file

    def read(self, root: Path, pack: Any) -> tuple[dict[str, dict[str, Any]] | None, list[Problem]]:
        menus, problems = packfile.read(root, pack.categories or None)
        return menus, [Problem(packfile.RICHMENU_FILE, where, reason) for where, reason in problems]

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        return 1 if export_menus(str(root)) else 0

    def load(self, pack: Any, *, force: bool, author: str) -> tuple[bool, list[str]] | None:
        if not pack.richmenu:
            return None
        # Published to LINE by staff from the console, so the knowledge version does not carry it.
        return False, import_menus(pack.richmenu, force=force, author=author)


RICHMENU = RichMenuSection()
