"""The entries' pack format: validate, normalise and write one entry per YAML file, and the synonym and category
files. The whole pack, across the features, is `bot.pack`."""
from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.core.problems import Problem
from bot.core.textrules import CONTROL as _FORBIDDEN
from bot.core.textrules import MAX_SLUG, MAX_URL, SLUG_RE, URL_RE

STATUSES = ("published", "draft")
REQUIRED = ("slug", "title", "category", "answer", "questions", "source", "status")
STRING_FIELDS = ("slug", "title", "category", "answer", "url", "office", "contact", "source", "status", "review_note")
LIST_FIELDS = ("questions", "keywords")
DATE_FIELDS = ("updated_on", "review_by")
KNOWN_FIELDS = set(STRING_FIELDS) | set(LIST_FIELDS) | set(DATE_FIELDS)
FIELD_ORDER = (
    "slug", "title", "category", "status", "answer", "questions", "keywords",
    "url", "office", "contact", "source", "updated_on", "review_by", "review_note",
)
# Limits chosen so an answer fits one LINE bubble and stays readable on a phone.
MAX_TITLE = 40
MAX_ANSWER = 1000
MAX_QUESTION = 200
MIN_QUESTIONS = 6
# The one definition of field lengths, for every door (console form, CSV, zip, `kb check`): the
# database columns, LINE's bubble, and a bound on what one entry may cost to read and match.
TEXT_LIMITS = {
    "slug": MAX_SLUG, "title": MAX_TITLE, "category": 80, "status": 20, "answer": MAX_ANSWER, "url": MAX_URL,
    "office": 80, "contact": 300, "source": 200, "review_note": 2000,
}
LIST_LIMITS = {"questions": (100, MAX_QUESTION), "keywords": (100, MAX_QUESTION)}  # (items, characters per item)
SYNONYMS_FILE = "synonyms.yaml"
BAD_DATE = "日付は 2026-04-01 の形で入力してください"
CATEGORIES_FILE = "categories.yaml"


def content_hash(data: dict[str, Any]) -> str:
    """Return a stable hash of an entry's content fields."""
    # An entry without an office hashes as it did before offices existed, so no import mistakes it for a staff edit.
    normal = {k: data.get(k) for k in FIELD_ORDER if k != "office" or data.get(k)}
    return hashlib.sha256(json.dumps(normal, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def normalise_entry(raw: dict[str, Any]) -> dict[str, Any]:
    """Return an entry with every field present, dates as ISO strings and lists as lists of str."""
    out: dict[str, Any] = {}
    for name in FIELD_ORDER:
        value = raw.get(name)
        if name in LIST_FIELDS:
            out[name] = [str(v).strip() for v in (value or []) if str(v).strip()]
        elif name in DATE_FIELDS:
            out[name] = value.isoformat() if isinstance(value, date) else (str(value) if value else "")
        else:
            out[name] = "" if value is None else str(value).strip() if name != "answer" else str(value).strip()
    return out


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def validate_entry(raw: Any, file: str) -> list[Problem]:
    """Return every problem with one raw entry, each in the Japanese staff read in the editor and `kb check`."""
    if not isinstance(raw, dict):
        return [Problem(file, "-", "1つのファイルには「項目名: 値」の組を1件分だけ書いてください")]
    problems: list[Problem] = []
    if not all(isinstance(name, str) for name in raw):
        # YAML allows keys such as 1, null or a date; every field name is text.
        problems.append(Problem(file, "-", "項目名は文字で書いてください（数字や null は項目名にできません）"))
        raw = {name: value for name, value in raw.items() if isinstance(name, str)}
    for name in sorted(set(raw) - KNOWN_FIELDS):
        problems.append(Problem(file, name[:40], "不明な項目です"))
    for name in REQUIRED:
        value = raw.get(name)
        if value is None or (isinstance(value, (str, list)) and not value):
            problems.append(Problem(file, name, "入力してください"))
    for name in STRING_FIELDS:
        if name in raw and raw[name] is not None and not isinstance(raw[name], str):
            problems.append(Problem(file, name, "文字で入力してください"))
    for name in LIST_FIELDS:
        value = raw.get(name)
        if value is not None and (not isinstance(value, list) or not all(
                isinstance(v, (str, int)) and not isinstance(v, bool) for v in value)):
            problems.append(Problem(file, name, "1行に1つずつ入力してください"))
    for name, limit in TEXT_LIMITS.items():
        value = raw.get(name)
        if isinstance(value, str) and len(value) > limit:
            problems.append(Problem(file, name, f"{limit}文字以内にしてください"))
    for name, (items, limit) in LIST_LIMITS.items():
        value = raw.get(name)
        if isinstance(value, list) and len(value) > items:
            problems.append(Problem(file, name, f"{items}件までにしてください"))
        elif isinstance(value, list) and any(len(str(v)) > limit for v in value if isinstance(v, (str, int))):
            problems.append(Problem(file, name, f"1件{limit}文字以内にしてください"))
    for name in (*STRING_FIELDS, *LIST_FIELDS):
        if any(_FORBIDDEN.search(text) for text in _texts(raw.get(name))):
            problems.append(Problem(file, name, "制御文字（NULなど）は使えません"))
    for name in DATE_FIELDS:
        value = raw.get(name)
        if value in (None, "") or isinstance(value, date):
            continue
        if not isinstance(value, str):
            problems.append(Problem(file, name, BAD_DATE))
            continue
        try:
            date.fromisoformat(value)
        except ValueError:
            problems.append(Problem(file, name, BAD_DATE))
    slug = raw.get("slug")
    if isinstance(slug, str) and slug and not SLUG_RE.match(slug):
        problems.append(Problem(file, "slug", "半角の英小文字・数字・ハイフン（-）で入力してください"))
    status = raw.get("status")
    if isinstance(status, str) and status and status not in STATUSES:
        problems.append(Problem(file, "status", "「公開」か「下書き」を選んでください"))
    questions = raw.get("questions")
    if isinstance(questions, list) and status == "published" and len(questions) < MIN_QUESTIONS:
        problems.append(Problem(file, "questions", f"公開するには想定質問を{MIN_QUESTIONS}件以上入れてください"))
    url = raw.get("url")
    if isinstance(url, str) and url and not URL_RE.match(url):
        problems.append(Problem(file, "url", "http:// か https:// で始まるURLを入力してください"))
    return problems


def validate_synonyms(raw: Any, file: str) -> list[Problem]:
    """Return every problem with a synonym table (word: [variants])."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return [Problem(file, "-", "「言葉: [言い換え, 言い換え]」の組を並べてください")]
    problems = []
    for key, value in raw.items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(Problem(file, str(key)[:40], "言い換えは [言葉, 言葉] のような文字の一覧で書いてください"))
    return problems


def validate_categories(raw: Any, file: str) -> list[Problem]:
    """Return every problem with the category list (a YAML list of unique names)."""
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) and v.strip() for v in raw):
        return [Problem(file, "-", "カテゴリ名の一覧（「- 子育て・教育」の並び）を書いてください")]
    seen: set[str] = set()
    problems = []
    for name in raw:
        if name.strip() in seen:
            problems.append(Problem(file, name[:40], "同じカテゴリ名が2回あります"))
        seen.add(name.strip())
    return problems


def dump_entry(entry: dict[str, Any]) -> str:
    """Return one entry as YAML text in the pack's field order."""
    data = normalise_entry(entry)
    ordered = {k: data[k] for k in FIELD_ORDER if data.get(k) not in ("", None) or k in REQUIRED}
    return yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=1000)
