"""The booking's pack section: facilities.yaml (施設予約). An import adds, corrects and retires facilities and
their units; it never touches a booking."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.booking.pack import FACILITIES_FILE, dump, normalise, validate
from bot.booking.store import facilities, import_facilities
from bot.core.problems import Problem, load_yaml


class FacilitiesSection:
    name, files, after, empty = "facilities", (FACILITIES_FILE,), (), None  # None: the pack has no facilities.yaml

    def read(self, root: Path, pack: Any) -> tuple[list[dict[str, Any]] | None, list[Problem]]:
        path = root / FACILITIES_FILE
        if not path.is_file():
            return None, []
        raw, problems = load_yaml(path)
        if problems:
            return None, problems
        problems = validate(raw, path.name)
        if problems or raw is None:
            return ([] if problems else None), problems
        return [normalise(f) for f in raw.get("facilities") or []], []

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        import yaml

        note = ""
        try:
            raw = yaml.safe_load((root / FACILITIES_FILE).read_text(encoding="utf-8"))
            if isinstance(raw, dict) and isinstance(raw.get("review_note"), str):
                note = raw["review_note"]
        except (OSError, ValueError, yaml.YAMLError):
            pass
        items = [f.content() for f in facilities()]
        (root / FACILITIES_FILE).write_text(dump(note, items), encoding="utf-8")
        return len(items)

    def load(self, pack: Any, *, force: bool, author: str) -> tuple[bool, Any] | None:
        if pack.facilities is None:
            return None
        # Bookable facilities are not what the bot answers from: an import never bumps the knowledge version.
        return False, import_facilities(pack.facilities, author=author)


FACILITIES = FacilitiesSection()
