"""What a publish would change for residents: the menu as they get it, compared with the last publish, and a digest.

An admin confirms one exact change: the digest covers the menu that would go to LINE (its JSON, image and the tiles
as shown here) and the publication it replaces, so any edit made after the page was shown changes the digest and the
publish is refused. Pure data: no Flask, no database.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from bot.line import postback
from bot.richmenu.definition import LAYOUTS, NOTICES_TEXT
from bot.richmenu.spec import MenuSpec

SNAPSHOT_VERSION = 1


def _action_text(action: dict[str, Any]) -> str:
    """Return what a tap does, in Japanese, with every URL in full."""
    kind = action.get("type")
    if kind == "uri":
        return f"ページを開く：{action.get('uri', '')}"
    if kind == "message":
        return f"「{action.get('text', '')}」と送る"
    if kind == "postback":
        params = postback.decode(str(action.get("data", "")))
        shown = action.get("displayText")
        said = f"（トークに「{shown}」と表示）" if shown else ""
        if params.get("a") == "topic":
            return f"トピック「{params.get('c', '')}」のメニューを開く{said}"
        if params.get("a") == "nset":
            return f"{NOTICES_TEXT}を開く{said}"
        return f"ボタンのデータ「{action.get('data', '')}」を送る{said}"
    return f"{kind}（不明な動作）"


def snapshot(spec: MenuSpec) -> dict[str, Any]:
    """Return the menu as residents get it: shape, chat-bar text, image, and each tile's words and action."""
    definition = spec.definition or {}
    tiles_def = definition.get("tiles") or []
    tiles = []
    for number, area in enumerate(spec.areas):
        tile = tiles_def[number] if number < len(tiles_def) else {}
        action = area.action
        tiles.append({
            "label": tile.get("label") or action.get("label", ""),
            "sub": tile.get("sub", ""),
            "action": _action_text(action),
            "uri": action.get("uri", "") if action.get("type") == "uri" else "",
            "bounds": [area.x, area.y, area.width, area.height],
        })
    layout = LAYOUTS.get(definition.get("layout", ""))
    return {
        "v": SNAPSHOT_VERSION,
        "size": [spec.width, spec.height],
        "layout": layout.label if layout else f"{spec.width}×{spec.height}",
        "chat_bar_text": spec.chat_bar_text,
        "image": {"sha256": hashlib.sha256(spec.image).hexdigest(), "type": spec.image_type,
                  "source": "uploaded" if spec.uploaded_image else "rendered"},
        "tiles": tiles,
    }


def image_text(image: dict[str, Any] | None) -> str:
    """Return how staff read an image entry: where it comes from and the start of its SHA-256."""
    if not image:
        return "—"
    kind = {"image/png": "PNG", "image/jpeg": "JPEG"}.get(image.get("type", ""), "画像")
    where = "登録した画像" if image.get("source") == "uploaded" else "ボタンの文字から自動で作った画像"
    return f"{where}（{kind}）"


def tile_text(tile: dict[str, Any] | None) -> str:
    """Return one tile as a line: its words, then what a tap does."""
    if tile is None:
        return "（なし）"
    words = tile.get("label", "") + (f"／{tile['sub']}" if tile.get("sub") else "")
    return f"「{words}」 → {tile.get('action', '')}"


@dataclass(frozen=True)
class TileChange:
    """One tile, before and after (None where the menu had no such tile)."""

    number: int
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    @property
    def changed(self) -> bool:
        """Tell whether the resident sees or gets something else from this tile."""
        def key(tile: dict[str, Any] | None) -> Any:
            return None if tile is None else (tile.get("label"), tile.get("sub"), tile.get("action"),
                                              tile.get("bounds"))
        return key(self.old) != key(self.new)

    @property
    def what(self) -> str:
        """Return what changed, in Japanese."""
        if self.old is None:
            return "追加"
        if self.new is None:
            return "削除"
        parts = []
        if (self.old.get("label"), self.old.get("sub")) != (self.new.get("label"), self.new.get("sub")):
            parts.append("文字")
        if self.old.get("action") != self.new.get("action"):
            parts.append("押したときの動作")
        if self.old.get("bounds") != self.new.get("bounds"):
            parts.append("押せる範囲")
        return "・".join(parts) + "が変更" if parts else "変更なし"


@dataclass(frozen=True)
class Diff:
    """The changes between the last published menu (None: never published or not recorded) and this one."""

    before: dict[str, Any] | None
    after: dict[str, Any]
    general: tuple[tuple[str, str, str], ...] = field(default=())  # (what, old, new) for the menu as a whole
    tiles: tuple[TileChange, ...] = field(default=())

    @property
    def changed(self) -> bool:
        """Tell whether anything residents see or get differs from the last publish."""
        return self.before is None or bool(self.general) or any(t.changed for t in self.tiles)

    def urls(self) -> list[tuple[str, bool]]:
        """Return every URL the menu opens, in full, each with whether the last publish did not have it."""
        old = {t.get("uri") for t in (self.before or {}).get("tiles", []) if t.get("uri")}
        seen, out = set(), []
        for tile in self.after.get("tiles", []):
            uri = tile.get("uri")
            if uri and uri not in seen:
                seen.add(uri)
                out.append((uri, uri not in old))
        return out

    def removed_urls(self) -> list[str]:
        """Return the URLs the last publish had and this menu no longer opens."""
        new = {t.get("uri") for t in self.after.get("tiles", []) if t.get("uri")}
        out = []
        for tile in (self.before or {}).get("tiles", []):
            uri = tile.get("uri")
            if uri and uri not in new and uri not in out:
                out.append(uri)
        return out


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> Diff:
    """Compare two snapshots tile by tile."""
    general = []
    if before is not None:
        for key, what, show in (("layout", "形", str), ("chat_bar_text", "メニューバーの文字", lambda v: f"「{v}」"),
                                ("image", "画像", image_text)):
            if before.get(key) != after.get(key):
                old, new = show(before.get(key) or ""), show(after.get(key) or "")
                if old == new:  # the same kind of image, another picture
                    old, new = f"{old}：前の画像", f"{new}：新しい画像（絵が変わりました）"
                general.append((what, old, new))
    old_tiles = (before or {}).get("tiles", [])
    new_tiles = after.get("tiles", [])
    tiles = tuple(TileChange(n + 1, old_tiles[n] if n < len(old_tiles) else None,
                             new_tiles[n] if n < len(new_tiles) else None)
                  for n in range(max(len(old_tiles), len(new_tiles))))
    return Diff(before, after, tuple(general), tiles)


def digest(mode: str, before_id: int | None, fingerprint: str, after: dict[str, Any] | None, problem: str = "") -> str:
    """Return the digest an admin confirms: this mode, the publication replaced, and the menu that would go out."""
    body = json.dumps({"mode": mode, "before": before_id, "fingerprint": fingerprint, "after": after,
                       "problem": problem}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def lines(label: str, since: str, change: Diff | None, problem: str = "") -> list[str]:
    """Return the review as plain text lines (the command line shows these)."""
    out = [f"■ {label}：{since}"]
    if change is None:
        out.append(f"  公開できません：{problem}")
        return out
    if not change.changed:
        out.append("  前回の公開から変更はありません。")
    for what, old, new in change.general:
        out.append(f"  {what}：{old} → {new}")
    for tile in change.tiles:
        if tile.changed:
            out.append(f"  ボタン{tile.number}（{tile.what}）")
            out.append(f"    前：{tile_text(tile.old)}")
            out.append(f"    後：{tile_text(tile.new)}")
        else:
            out.append(f"  ボタン{tile.number}（変更なし）：{tile_text(tile.new)}")
    urls = change.urls()
    out.append("  開くURL（すべて）：" + ("なし" if not urls else ""))
    for uri, new in urls:
        out.append(f"    {'［新規］' if new else '　　　　'}{uri}")
    for uri in change.removed_urls():
        out.append(f"    ［削除］{uri}")
    return out


def summary(change: Diff | None) -> list[str]:
    """Return the changed items in one line each, for the audit log."""
    if change is None:
        return []
    out = [f"{what}：{old} → {new}" for what, old, new in change.general]
    out += [f"ボタン{t.number}：{tile_text(t.old)} → {tile_text(t.new)}" for t in change.tiles if t.changed]
    return out
