"""Japanese names of entry fields and values: one mapping for the console, the CSV and the history.

Importing this module (the package's `__init__` does) registers the entries' and categories' names in the core
label registry (`bot.core.labels`): fields, statuses, audit actions and revision reasons."""
from __future__ import annotations

import unicodedata

from bot.core import labels

FIELD_LABELS = {
    "slug": "識別名", "title": "タイトル", "category": "カテゴリ", "status": "状態",
    "answer": "回答", "questions": "想定質問", "keywords": "キーワード", "url": "詳しいページのURL",
    "office": "担当課", "contact": "お問い合わせ先", "source": "出典", "updated_on": "情報の更新日", "review_by": "見直し期限",
    "review_note": "確認メモ", "archived": "アーカイブ",
}
STATUS_LABELS = {"published": "公開", "draft": "下書き"}
labels.register(
    fields=FIELD_LABELS,
    values={"status": STATUS_LABELS, "archived": {True: "アーカイブ", False: "アーカイブしない"}},
    actions={
        "entry.create": "回答を作成",
        "entry.edit": "回答を編集",
        "entry.rollback": "回答を以前の版に戻す",
        "entry.alternate": "想定質問を追加",
        "entry.import": "回答を取り込み",
        "entry.archive": "回答をアーカイブ",
        "entry.restore": "回答を復元",
        "entry.review_resolved": "確認メモを対応済みにする",
        "entry.category": "回答のカテゴリ名を変更",
        "category.create": "カテゴリを追加",
        "category.rename": "カテゴリの名前を変更",
        "category.reorder": "カテゴリの並び順を変更",
    },
    # Why an entry (or an office, bot/offices/labels.py) got a revision; entry.<reason> is its audit action.
    revision_reasons={"import": "取り込み", "edit": "編集", "rollback": "以前の版に戻す", "alternate": "想定質問の追加",
                      "create": "作成", "review_resolved": "確認メモを対応済みにする", "category": "カテゴリ名の変更"},
)
# Other names staff may type in a CSV header.
_HEADER_ALIASES = {"スラッグ": "slug", "識別名（slug）": "slug", "分類": "category", "質問": "questions",
                   "URL": "url", "問い合わせ先": "contact", "更新日": "updated_on"}


def field_label(key: str) -> str:
    """Return the Japanese name of an entry field (the key itself when it has none)."""
    return FIELD_LABELS.get(key, key)


def status_label(value: str) -> str:
    """Return the Japanese name of a status."""
    return STATUS_LABELS.get(value, value)


def _fold(text: str) -> str:
    # Excel users type headers in full or half width: compare them folded.
    return unicodedata.normalize("NFKC", text or "").strip().lower()


_HEADERS = {_fold(name): key for key, label in FIELD_LABELS.items() for name in (key, label)} | {
    _fold(name): key for name, key in _HEADER_ALIASES.items()}


def field_key(header: str) -> str | None:
    """Return the field a CSV header names, in Japanese or English; None when it names none."""
    return _HEADERS.get(_fold(header))


def status_key(value: str) -> str:
    """Return the status a cell names, in Japanese or English; the text itself when it names none."""
    text = value.strip()
    return {label: key for key, label in STATUS_LABELS.items()}.get(text, text)
