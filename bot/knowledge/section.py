"""The knowledge's pack sections: synonyms.yaml, categories.yaml and one <slug>.yaml per entry.

Each section is read, checked, exported and imported by `bot.pack`, which lists them in order; this module
does not import the pack (the protocol is structural: see bot/pack/sections.py).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.knowledge import categories
from bot.knowledge.pack import (
    CATEGORIES_FILE, SYNONYMS_FILE, dump_entry, normalise_entry, validate_categories, validate_entry, validate_synonyms,
)
from bot.knowledge.store import exported_entries, import_entries
from bot.offices.pack import entry_office_problems
from bot.core.problems import Problem, load_yaml


class SynonymsSection:
    """synonyms.yaml: read from the pack directory by every worker; an import stores nothing."""

    name, files, after, empty = "synonyms", (SYNONYMS_FILE,), (), {}

    def read(self, root: Path, pack: Any) -> tuple[dict[str, list[str]], list[Problem]]:
        path = root / SYNONYMS_FILE
        if not path.is_file():
            return {}, []
        raw, problems = load_yaml(path)
        problems = problems or validate_synonyms(raw, path.name)
        if problems or not raw:
            return {}, problems
        return {str(k): [str(v) for v in vs] for k, vs in raw.items()}, []

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        synonyms = given.get("synonyms")
        if synonyms:
            (root / SYNONYMS_FILE).write_text(
                yaml.safe_dump(synonyms, allow_unicode=True, sort_keys=True, width=1000), encoding="utf-8")
        return len(synonyms or {})

    def load(self, pack: Any, *, force: bool, author: str) -> None:
        return None


class CategoriesSection:
    """categories.yaml: the managed category list, in menu order."""

    name, files, after, empty = "categories", (CATEGORIES_FILE,), (), []

    def read(self, root: Path, pack: Any) -> tuple[list[str], list[Problem]]:
        path = root / CATEGORIES_FILE
        if not path.is_file():
            return [], []
        raw, problems = load_yaml(path)
        problems = problems or validate_categories(raw, path.name)
        return ([] if problems else [str(v).strip() for v in raw]), problems

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        names = categories.names()
        if names:
            (root / CATEGORIES_FILE).write_text(
                yaml.safe_dump(list(names), allow_unicode=True, width=1000), encoding="utf-8")
        return len(names)

    def load(self, pack: Any, *, force: bool, author: str) -> tuple[bool, list[str]]:
        # A pack without a list keeps what the entries use, so no entry is left outside the managed list.
        wanted = pack.categories or list(dict.fromkeys(e["category"] for e in pack.entries))
        return categories.sync(wanted), wanted


class EntriesSection:
    """Every other *.yaml at the top of the pack: one entry each, named after its slug."""

    name, files, after, empty = "entries", (), ("categories", "offices"), []

    def read(self, root: Path, pack: Any) -> tuple[list[dict[str, Any]], list[Problem]]:
        problems: list[Problem] = []
        entries: list[dict[str, Any]] = []
        seen: dict[str, str] = {}
        for path in sorted(root.glob("*.y*ml")):
            if path.name in pack.files:
                continue  # another section's file
            raw, errors = load_yaml(path)
            errors = errors or validate_entry(raw, path.name)
            problems.extend(errors)
            if errors:
                continue
            slug = raw["slug"]
            if path.stem != slug:
                problems.append(Problem(path.name, "slug", f"ファイル名は {slug[:80]}.yaml にしてください"))
            if slug in seen:
                problems.append(Problem(path.name, "slug", f"{seen[slug]} と識別名が重複しています"))
                continue
            seen[slug] = path.name
            entries.append(normalise_entry(raw))
        if pack.categories:
            known = set(pack.categories)
            for entry in entries:
                if entry["category"] not in known:
                    problems.append(Problem(f"{entry['slug']}.yaml", "category",
                                            f"カテゴリ「{entry['category'][:80]}」は {CATEGORIES_FILE} の一覧にありません。一覧の名前を使ってください"))
        problems.extend(entry_office_problems(entries, {o["key"] for o in pack.offices or []}))
        return entries, problems

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        entries = exported_entries()
        for entry in entries:
            (root / f"{entry['slug']}.yaml").write_text(dump_entry(entry), encoding="utf-8")
        return len(entries)

    def load(self, pack: Any, *, force: bool, author: str) -> tuple[bool, Any]:
        report = import_entries(pack.entries, force=force, author=author)
        return bool(report.created or report.updated), report


SYNONYMS, CATEGORIES, ENTRIES = SynonymsSection(), CategoriesSection(), EntriesSection()
