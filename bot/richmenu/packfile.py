"""Read and write the pack's richmenu.yaml (no Flask or DB, so `kb check` can use it)."""
from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from bot.richmenu.definition import normalise, validate_pack_file
from bot.richmenu.spec import MODES

RICHMENU_FILE = "richmenu.yaml"


def parse(text: str, categories: Collection[str] | None = None) -> tuple[dict[str, dict[str, Any]] | None,
                                                                          list[tuple[str, str]]]:
    """Return (menus per mode, problems) for richmenu.yaml's text; menus is None when there are problems."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, [("-", f"YAML として読めません: {exc}")]
    problems = validate_pack_file(raw, categories)
    if problems:
        return None, problems
    return {mode: normalise(raw[mode]) for mode in MODES}, []


def read(directory: str | Path, categories: Collection[str] | None = None) -> tuple[dict[str, dict[str, Any]] | None,
                                                                                     list[tuple[str, str]]]:
    """Return (menus, problems) for a pack directory's richmenu.yaml; (None, []) when the pack has none."""
    path = Path(directory) / RICHMENU_FILE
    if not path.is_file():
        return None, []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [("-", f"読めません: {exc}")]
    return parse(text, categories)


def dump(menus: dict[str, dict[str, Any]]) -> str:
    """Return richmenu.yaml's text for the menus, with a short header for whoever opens the file."""
    body = yaml.safe_dump({mode: menus[mode] for mode in MODES if mode in menus}, allow_unicode=True,
                          sort_keys=False, width=1000)
    return ("# リッチメニュー（normal: 通常 / disaster: 災害時）。管理画面のリッチメニューで編集し、"
            "`flask --app app kb export` で書き出したものです。\n" + body)


def write(directory: str | Path, menus: dict[str, dict[str, Any]]) -> None:
    """Write richmenu.yaml into a pack directory."""
    (Path(directory) / RICHMENU_FILE).write_text(dump(menus), encoding="utf-8")
