"""Read, validate and write offices.yaml, the pack's list of offices (担当課)."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

import yaml

from bot.models.offices import OFFICE_FIELDS
from bot.core.problems import Problem
from bot.core.records import check_record
from bot.core.textrules import MAX_EMAIL, MAX_SLUG, MAX_URL, is_email, phone_problem, web_url_problem

OFFICES_FILE = "offices.yaml"
# The database columns; a phone that fits LINE's tel: URI and a phone screen.
LIMITS = {"key": MAX_SLUG, "name": 100, "phone": 20, "hours": 200, "email": MAX_EMAIL, "url": MAX_URL, "place": 200,
          "source": 200, "review_note": 2000}
LABELS = {"key": "識別名", "name": "担当課の名前", "phone": "電話番号", "hours": "受付時間", "email": "メールアドレス",
          "url": "ページのURL", "place": "場所", "source": "出典", "review_note": "確認メモ"}
MULTILINE = ("hours", "review_note")
REVIEW_NOTE = "電話番号・受付時間・ページURLは計画に記載がありません。担当課で確認して入力してください。"
_HEADER = """\
# 担当課（お問い合わせ先）の一覧です。回答の項目は `office: <識別名>` でここの担当課を指します。
# 電話番号・受付時間・ページURLは、根拠資料に書いてあるものだけを入れます。空欄の間、回答には市役所の代表電話
# （設定 TOWN_PHONE）か市のホームページを案内します。
"""


def check_office(raw: Any, file: str, where: str) -> list[Problem]:
    """Return every problem with one office mapping; where names it in the messages."""
    problems = check_record(raw, file, where, what="担当課", fields=OFFICE_FIELDS, limits=LIMITS, labels=LABELS,
                            multiline=MULTILINE)
    if not isinstance(raw, dict):
        return problems
    phone, url, email = (raw.get(n) for n in ("phone", "url", "email"))
    if isinstance(phone, str) and phone.strip() and (reason := phone_problem(phone.strip())):
        problems.append(Problem(file, f"{where}.phone", reason))
    if isinstance(url, str) and url.strip() and (reason := web_url_problem(url.strip(), LABELS["url"])):
        problems.append(Problem(file, f"{where}.url", reason))
    if isinstance(email, str) and email.strip() and not is_email(email.strip()):
        problems.append(Problem(file, f"{where}.email", "メールアドレスの形が正しくありません（例：name@example.jp）"))
    return problems


def validate_offices(raw: Any, file: str = OFFICES_FILE) -> list[Problem]:
    """Return every problem with the office list: each office's fields and keys listed twice."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        return [Problem(file, "-", "担当課の一覧（「- key: ...」の並び）を書いてください")]
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(raw, start=1):
        key = item.get("key") if isinstance(item, dict) else None
        where = key[:80] if isinstance(key, str) and key else f"{number}件目"
        problems.extend(check_office(item, file, where))
        if isinstance(key, str) and key:
            if key in seen:
                problems.append(Problem(file, f"{where}.key", f"識別名 {key[:80]} が2回あります（{seen[key]}件目と{number}件目）"))
            seen.setdefault(key, number)
    return problems


def normalise_office(raw: dict[str, Any]) -> dict[str, str]:
    """Return an office with every field present as stripped text."""
    out = {}
    for name in OFFICE_FIELDS:
        value = raw.get(name)
        out[name] = "" if value is None else str(value).strip()
    return out


def office_hash(data: dict[str, Any]) -> str:
    """Return a stable hash of an office's content."""
    normal = normalise_office(data)
    return hashlib.sha256(json.dumps(normal, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def entry_office_problems(entries: Iterable[dict[str, Any]], keys: set[str]) -> list[Problem]:
    """Return a problem for every entry that names an office the list does not hold."""
    return [Problem(f"{e['slug']}.yaml", "office", f"担当課 {e['office'][:80]!r} は {OFFICES_FILE} にありません")
            for e in entries if e.get("office") and e["office"] not in keys]


def dump_offices(offices: Iterable[dict[str, Any]]) -> str:
    """Return the office list as offices.yaml text: every field written, so empty phones stay visible."""
    body = yaml.safe_dump([normalise_office(o) for o in offices], allow_unicode=True, sort_keys=False, width=1000)
    return _HEADER + body
