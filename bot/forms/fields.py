"""Normalise and check one answer by its field type: pure functions, Japanese messages."""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from bot.core.textrules import CONTROL, MAX_EMAIL, is_email

FIELD_TYPES = ("text", "kana", "email", "tel", "postal_code", "prefecture", "select", "multi_select", "checkbox",
               "textarea", "date")
CHOICE_TYPES = ("select", "multi_select")
PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県", "埼玉県",
    "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県",
    "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県",
    "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県",
    "宮崎県", "鹿児島県", "沖縄県",
)
# A bound for every field, also one whose definition names none: nobody's name or city is longer.
DEFAULT_MAX = {"textarea": 2000, "email": MAX_EMAIL, "tel": 20, "postal_code": 8}
DEFAULT_TEXT_MAX = 200
# Hiragana, katakana, the long vowel mark, the middle dot and spaces: what a reading (ふりがな) is written in.
_KANA = re.compile(r"^[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc\u30fd\u30fe\u30fb\s]+$")
_POSTAL = re.compile(r"^(\d{3})-?(\d{4})$")
_TEL = re.compile(r"^\+?[0-9][0-9-]{8,18}[0-9]$")
_SPACES = re.compile(r"[ \u3000]+")


def max_length(field: dict[str, Any]) -> int:
    """Return the most characters an answer to field may have."""
    return int(field.get("max_length") or DEFAULT_MAX.get(field["type"], DEFAULT_TEXT_MAX))


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Return text in NFKC without controls, spaces trimmed; keep newlines only where they belong."""
    text = unicodedata.normalize("NFKC", value or "")
    text = CONTROL.sub("", text)  # controls no field needs; tabs and newlines stay for text areas.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = _SPACES.sub(" ", text.replace("\n", " ").replace("\t", " "))
    return text.strip()


def check(field: dict[str, Any], raw: list[str]) -> tuple[Any, str | None]:
    """Return (normalised answer, Japanese error or None) for the values a browser sent for field."""
    kind = field["type"]
    label = field["label"]
    if kind == "multi_select":
        choices = field.get("choices") or []
        picked = [c for c in choices if c in {clean_text(v) for v in raw}]  # in the form's order, each once
        if len(picked) != len({clean_text(v) for v in raw if clean_text(v)}):
            return picked, f"「{label}」は一覧から選んでください。"
        if field.get("required") and not picked:
            return picked, f"「{label}」を1つ以上選んでください。"
        return picked, None
    if kind == "checkbox":
        checked = bool(raw) and raw[-1] in ("1", "on", "yes")
        if field.get("required") and not checked:
            return False, f"「{label}」にチェックを入れてください。"
        return checked, None
    value = clean_text(raw[-1] if raw else "", multiline=kind == "textarea")
    if not value:
        return "", (f"「{label}」を入力してください。" if field.get("required") and kind not in ("select", "prefecture")
                    else f"「{label}」を選んでください。" if field.get("required") else None)
    limit = max_length(field)
    if len(value) > limit:
        return value[:limit], f"「{label}」は{limit}文字以内で入力してください（いま{len(value)}文字）。"
    return _check_format(field, value)


def _check_format(field: dict[str, Any], value: str) -> tuple[Any, str | None]:
    kind, label = field["type"], field["label"]
    if kind == "kana":
        value = _SPACES.sub(" ", value)
        if not _KANA.match(value):
            return value, f"「{label}」はひらがなかカタカナで入力してください（漢字・英数字は使えません）。"
    elif kind == "email":
        if not is_email(value):
            return value, f"「{label}」はメールアドレスの形（例：name@example.jp）で入力してください。"
    elif kind == "postal_code":
        match = _POSTAL.match(value.replace("〒", "").strip())
        if not match:
            return value, f"「{label}」は7桁の数字で入力してください（例：075-8711 または 0758711）。"
        value = f"{match.group(1)}-{match.group(2)}"
    elif kind == "tel":
        if not _TEL.match(value.replace(" ", "")):
            return value, f"「{label}」は数字とハイフンで入力してください（例：0124-22-2111）。"
        value = value.replace(" ", "")
    elif kind == "prefecture":
        if value not in PREFECTURES:
            return value, f"「{label}」は都道府県の一覧から選んでください。"
    elif kind == "select":
        if value not in (field.get("choices") or []):
            return value, f"「{label}」は一覧から選んでください。"
    elif kind == "date":
        try:
            value = date.fromisoformat(value).isoformat()
        except ValueError:
            return value, f"「{label}」は日付（例：2026-04-01）で入力してください。"
    return value, None


def display(field: dict[str, Any], value: Any) -> str:
    """Return an answer as the resident reads it on the confirm page."""
    if field["type"] == "multi_select":
        return "、".join(value or []) or "（なし）"
    if field["type"] == "checkbox":
        return "同意する" if value else "同意しない"
    return str(value) if value not in (None, "") else "（未入力）"
