"""The rich menu's definition: layouts, tiles and their actions, validated with Japanese messages. No Flask or DB."""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from bot.line import postback
from bot.richmenu.spec import MAX_CHAT_BAR_TEXT, MODES
# NUL, other controls and lone surrogates cannot be shown, stored or sent; a link is at most MAX_URI long.
from bot.core.textrules import CONTROL_OR_BREAK as _FORBIDDEN
from bot.core.textrules import MAX_URI

MAX_POSTBACK = 300
MAX_MESSAGE = 300
MAX_SUB_LABEL = 14
MAX_ACTION_LABEL = 20  # LINE's limit on an action's label (read aloud by screen readers)

ACTION_KINDS = ("topic", "message", "uri", "notices", "contact", "chat")
ACTION_LABELS = {"topic": "トピックのメニューを開く", "message": "決まった文を送る", "uri": "ページを開く（URL）",
                 "notices": "お知らせ設定", "contact": "問い合わせ先",
                 "chat": "職員に相談（受付時間内はチャット・時間外は問い合わせ先）"}
MODE_LABELS = {"normal": "通常のメニュー", "disaster": "災害時のメニュー"}
CONTACT_TEXT = "問い合わせ先"  # the message the contact reply answers
NOTICES_TEXT = "お知らせ設定"
# The message the rich menu's chat tile sends: a request to talk with staff (bot.conversation.contact.wants_talk),
# which starts a chat during the counter's hours and gives the contact list outside them.
CHAT_TEXT = "職員に相談したい"


@dataclass(frozen=True)
class Layout:
    """One of LINE's menu shapes: image size and the grid of tiles."""

    name: str
    label: str
    width: int
    height: int
    rows: int
    cols: int

    @property
    def cells(self) -> int:
        """Return how many tiles the layout holds."""
        return self.rows * self.cols

    @property
    def max_label(self) -> int:
        """Return the longest label (characters) that still renders at phone-readable size in one tile."""
        return 7 if self.cols == 3 else 9

    def bounds(self, width: int | None = None, height: int | None = None) -> list[tuple[int, int, int, int]]:
        """Return each tile's (x, y, width, height), row by row, tiling an image of the given size exactly."""
        width, height = width or self.width, height or self.height
        xs = [width * i // self.cols for i in range(self.cols + 1)]
        ys = [height * j // self.rows for j in range(self.rows + 1)]
        return [(xs[i], ys[j], xs[i + 1] - xs[i], ys[j + 1] - ys[j])
                for j in range(self.rows) for i in range(self.cols)]


LAYOUTS = {layout.name: layout for layout in (
    Layout("large-2x3", "大（2段×3列・6つ）", 2500, 1686, 2, 3),
    Layout("large-2x2", "大（2段×2列・4つ）", 2500, 1686, 2, 2),
    Layout("compact-1x3", "小（1段×3列・3つ）", 2500, 843, 1, 3),
    Layout("compact-1x2", "小（1段×2列・2つ）", 2500, 843, 1, 2),
)}


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """Return one menu's definition with only known fields, whitespace folded, in the pack's order."""
    tiles = []
    for tile in raw.get("tiles") or []:
        tile = tile if isinstance(tile, dict) else {}
        action = tile.get("action") if isinstance(tile.get("action"), dict) else {}
        kind = _text(action.get("type"))
        clean: dict[str, Any] = {"type": kind}
        for key in {"topic": ("category",), "message": ("text",), "uri": ("uri",)}.get(kind, ()):
            clean[key] = str(action.get(key) or "").strip()
        item: dict[str, Any] = {"label": _text(tile.get("label"))}
        if _text(tile.get("sub")):
            item["sub"] = _text(tile.get("sub"))
        item["action"] = clean
        tiles.append(item)
    return {"layout": _text(raw.get("layout")), "chat_bar_text": _text(raw.get("chat_bar_text")), "tiles": tiles}


def _check_text(value: str, where: str, limit: int, problems: list[tuple[str, str]], name: str) -> None:
    if not value:
        problems.append((where, f"{name}を入力してください。"))
    elif len(value) > limit:
        problems.append((where, f"{name}は{limit}文字以内にしてください（いま{len(value)}文字）。"))
    elif _FORBIDDEN.search(value):
        problems.append((where, f"{name}に使えない文字（制御文字など）が入っています。"))


def is_allowed_uri(uri: str) -> bool:
    """Return whether uri is https with a host, or a path on this service (/forms/…)."""
    if _FORBIDDEN.search(uri):
        return False
    if uri.startswith("/") and not uri.startswith("//"):
        return not re.search(r"\s", uri)
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and not re.search(r"\s", uri)


def _check_action(action: dict[str, Any], where: str, categories: Collection[str] | None,
                  problems: list[tuple[str, str]]) -> None:
    kind = action.get("type", "")
    if kind not in ACTION_KINDS:
        problems.append((f"{where}.type", f"動作の種類「{kind}」は使えません。次のどれかにしてください: "
                         + "、".join(ACTION_KINDS)))
    elif kind == "topic":
        category = action.get("category", "")
        if not category:
            problems.append((f"{where}.category", "開くカテゴリを選んでください。"))
        elif categories is not None and category not in categories:
            problems.append((f"{where}.category", f"カテゴリ「{category}」はありません。カテゴリ一覧にある名前を選んでください。"))
        elif len(urlencode({"a": "topic", "c": category})) > MAX_POSTBACK:
            problems.append((f"{where}.category", f"カテゴリ名が長すぎて、ボタンのデータが{MAX_POSTBACK}文字を超えます。"))
    elif kind == "message":
        _check_text(action.get("text", ""), f"{where}.text", MAX_MESSAGE, problems, "送る文")
    elif kind == "uri":
        uri = action.get("uri", "")
        if not uri:
            problems.append((f"{where}.uri", "開くページの URL を入力してください。"))
        elif len(uri) > MAX_URI:
            problems.append((f"{where}.uri", f"URL は{MAX_URI}文字以内にしてください。"))
        elif not is_allowed_uri(uri):
            problems.append((f"{where}.uri", "URL は https:// で始まるか、このサービスのページ（/forms/… のように / で始まる）にしてください。"))


def validate(raw: Any, categories: Collection[str] | None = None, where: str = "") -> list[tuple[str, str]]:
    """Return (field, Japanese reason) for every problem in one menu's definition; categories=None skips that check."""
    if not isinstance(raw, dict):
        return [(where or "-", "メニューの定義は layout・chat_bar_text・tiles を持つ項目にしてください。")]
    problems: list[tuple[str, str]] = []
    prefix = f"{where}." if where else ""
    unknown = set(raw) - {"layout", "chat_bar_text", "tiles"}
    if unknown:
        problems.append((prefix.rstrip(".") or "-", "知らない項目があります: " + "、".join(sorted(map(str, unknown)))))
    menu = normalise(raw)
    layout = LAYOUTS.get(menu["layout"])
    if layout is None:
        problems.append((f"{prefix}layout", f"形「{menu['layout']}」は使えません。次のどれかにしてください: " + "、".join(LAYOUTS)))
    _check_text(menu["chat_bar_text"], f"{prefix}chat_bar_text", MAX_CHAT_BAR_TEXT, problems, "メニューバーの文字")
    raw_tiles = raw.get("tiles")
    if not isinstance(raw_tiles, list):
        problems.append((f"{prefix}tiles", "ボタン（tiles）を並べて書いてください。"))
        return problems
    if layout is not None and len(raw_tiles) != layout.cells:
        problems.append((f"{prefix}tiles", f"形「{layout.label}」のボタンは{layout.cells}つです（いま{len(raw_tiles)}つ）。"))
    max_label = layout.max_label if layout else 7
    for number, (raw_tile, tile) in enumerate(zip(raw_tiles, menu["tiles"]), start=1):
        here = f"{prefix}tiles[{number}]"
        if not isinstance(raw_tile, dict) or not isinstance(raw_tile.get("action"), dict):
            problems.append((here, "ボタンには label（表示する文字）と action（押したときの動作）を書いてください。"))
            continue
        _check_text(tile["label"], f"{here}.label", max_label, problems, f"{number}番目のボタンの文字")
        if tile.get("sub"):
            _check_text(tile["sub"], f"{here}.sub", MAX_SUB_LABEL, problems, f"{number}番目のボタンの小さな文字")
        _check_action(tile["action"], f"{here}.action", categories, problems)
    return problems


def validate_pack_file(raw: Any, categories: Collection[str] | None) -> list[tuple[str, str]]:
    """Return the problems of richmenu.yaml as a whole: a menu per mode, each valid."""
    if not isinstance(raw, dict):
        return [("-", "richmenu.yaml には normal（通常）と disaster（災害時）のメニューを書いてください。")]
    problems: list[tuple[str, str]] = []
    for extra in sorted(set(map(str, raw)) - set(MODES)):
        problems.append((extra, "知らないメニューです。normal か disaster にしてください。"))
    for mode in MODES:
        if mode not in raw:
            problems.append((mode, f"{MODE_LABELS[mode]}（{mode}）がありません。"))
        else:
            problems.extend(validate(raw[mode], categories, mode))
    return problems


def line_action(tile: dict[str, Any], absolute: Any) -> dict[str, Any]:
    """Return the LINE wire action for a tile; absolute(path) turns a /path into this service's URL."""
    action, label = tile["action"], tile["label"][:MAX_ACTION_LABEL]
    kind = action["type"]
    if kind == "topic":
        return {"type": "postback", "label": label, "data": postback.encode("topic", c=action["category"]),
                "displayText": label}
    if kind == "notices":
        return {"type": "postback", "label": label, "data": postback.encode("nset"), "displayText": NOTICES_TEXT}
    if kind == "contact":
        return {"type": "message", "label": label, "text": CONTACT_TEXT}
    if kind == "chat":
        return {"type": "message", "label": label, "text": CHAT_TEXT}
    if kind == "message":
        return {"type": "message", "label": label, "text": action["text"]}
    uri = action["uri"]
    return {"type": "uri", "label": label, "uri": absolute(uri) if uri.startswith("/") else uri}


def describe(menu: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a menu as staff read it in the audit log: Japanese keys, one line per tile."""
    if menu is None:
        return None
    layout = LAYOUTS.get(menu.get("layout", ""))
    tiles = []
    for number, tile in enumerate(menu.get("tiles", []), start=1):
        action = tile.get("action", {})
        kind = action.get("type", "")
        detail = {"topic": action.get("category"), "message": action.get("text"), "uri": action.get("uri")}.get(kind)
        text = tile.get("label", "") + (f"／{tile['sub']}" if tile.get("sub") else "")
        tiles.append(f"{number}. {text} → {ACTION_LABELS.get(kind, kind)}" + (f"：{detail}" if detail else ""))
    return {"形": layout.label if layout else menu.get("layout", ""), "メニューバーの文字": menu.get("chat_bar_text", ""),
            "ボタン": tiles}
