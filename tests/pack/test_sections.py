"""The pack is a list of sections (issue 20): the order, who owns which file, one transaction, one version bump."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import bot.pack
from bot.core.version import current_version
from bot.pack import Pack, export_pack, import_pack, read_pack
from bot.pack.sections import BY_NAME, SECTIONS, check_order
from bot.core.problems import Problem

PACK = Path(__file__).resolve().parents[2] / "knowledge"


def test_the_list_honours_what_each_section_comes_after():
    assert check_order(SECTIONS) == []
    assert [s.name for s in SECTIONS].index("categories") < [s.name for s in SECTIONS].index("entries")
    assert "entries comes after categories" in check_order(tuple(reversed(SECTIONS)))
    assert check_order((*SECTIONS, SECTIONS[0])) == [f"{SECTIONS[0].name} is listed twice"]


def test_every_top_level_file_belongs_to_one_section():
    owned = [name for section in SECTIONS for name in section.files]
    assert len(owned) == len(set(owned))  # no file read by two sections
    pack = read_pack(PACK)
    top = sorted(p.name for p in PACK.glob("*.y*ml"))
    assert len(pack.entries) == len([name for name in top if name not in owned])  # the entries take the rest
    assert pack.categories and pack.synonyms and pack.safety_rules and pack.forms
    assert pack.offices is not None and pack.shelters is not None  # the files are there (the lists may be empty)
    assert Pack().richmenu is None and Pack().entries == [] and Pack().safety_rules == 0  # each section's empty value
    with pytest.raises(TypeError):
        Pack(nothing=[])


def test_one_import_of_several_changed_sections_bumps_the_version_once(loaded_app, tmp_path):
    pack_dir = tmp_path / "pack"
    shutil.copytree(PACK, pack_dir)
    order = read_pack(PACK).categories
    (pack_dir / "categories.yaml").write_text(yaml.safe_dump(order[::-1], allow_unicode=True), encoding="utf-8")
    path = pack_dir / "school-lunch-free.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["answer"] += "（更新）"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with loaded_app.app_context():
        before = current_version()
        report = import_pack(read_pack(pack_dir))
        assert report.changed and report.updated == ["school-lunch-free"]
        assert current_version() == before + 1
        again = import_pack(read_pack(pack_dir))
        assert not again.changed and current_version() == before + 1  # nothing new: no rebuild anywhere


class _Board:
    """A section a new feature would bring: its own file, read, checked, imported and exported."""

    name, files, after, empty = "board", ("board.yaml",), ("categories",), None

    def __init__(self) -> None:
        self.stored: Any = None

    def read(self, root: Path, pack: Any) -> tuple[Any, list[Problem]]:
        path = root / "board.yaml"
        if not path.is_file():
            return None, []
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        unknown = [c for c in raw if c not in pack.categories]
        return raw, [Problem("board.yaml", c, "カテゴリの一覧にありません") for c in unknown]

    def load(self, pack: Any, *, force: bool, author: str) -> tuple[bool, Any] | None:
        if pack.board is None:
            return None
        changed, self.stored = pack.board != self.stored, pack.board
        return changed, {"author": author}

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        (root / "board.yaml").write_text(yaml.safe_dump(self.stored, allow_unicode=True), encoding="utf-8")
        return len(self.stored)


def test_a_new_section_is_one_module_and_one_line(loaded_app, tmp_path, monkeypatch):
    board = _Board()
    sections = (*SECTIONS, board)  # the one line
    monkeypatch.setattr(bot.pack, "SECTIONS", sections)
    monkeypatch.setattr(bot.pack, "BY_NAME", {**BY_NAME, "board": board})
    monkeypatch.setattr(Pack, "files", frozenset({*Pack.files, "board.yaml"}))
    pack_dir = tmp_path / "pack"
    shutil.copytree(PACK, pack_dir)
    first = read_pack(PACK).categories[0]
    (pack_dir / "board.yaml").write_text(yaml.safe_dump([first], allow_unicode=True), encoding="utf-8")
    pack = read_pack(pack_dir)
    assert pack.board == [first]  # not read as an entry
    with loaded_app.app_context():
        before = current_version()
        report = import_pack(pack)
        assert report.results["board"] == {"author": "kb import"} and current_version() == before + 1
        export_pack(tmp_path / "out")
    assert yaml.safe_load((tmp_path / "out" / "board.yaml").read_text(encoding="utf-8")) == [first]
    (pack_dir / "board.yaml").write_text(yaml.safe_dump(["どこにもない"], allow_unicode=True), encoding="utf-8")
    with pytest.raises(bot.pack.Invalid) as info:
        read_pack(pack_dir)
    assert [str(p) for p in info.value.problems] == ["board.yaml: どこにもない: カテゴリの一覧にありません"]
