"""Read, validate and write shelters.yaml: the pack's shelters (避難所), disaster topics and nationwide numbers."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

import yaml

from bot.models.shelters import SHELTER_FIELDS
from bot.core.problems import Problem
from bot.core.records import check_record
from bot.core.textrules import CONTROL as _FORBIDDEN
from bot.core.textrules import MAX_SLUG, URL_RE

SHELTERS_FILE = "shelters.yaml"
# 指定緊急避難場所の区分（災害対策基本法施行令第20条の3・内閣府）: the code the pack writes, the words staff see.
KINDS = {
    "flood": "洪水",
    "sediment": "崖崩れ、土石流及び地滑り",
    "storm_surge": "高潮",
    "earthquake": "地震",
    "tsunami": "津波",
    "fire": "大規模な火事",
    "inland_flood": "内水氾濫",
    "volcano": "火山現象",
}
LIMITS = {"key": MAX_SLUG, "name": 100, "address": 200, "note": 1000, "source": 200, "review_note": 2000}
LABELS = {"key": "識別名", "name": "避難所の名前", "address": "住所", "kinds": "災害の種類", "capacity": "収容人数",
          "note": "補足", "source": "出典", "review_note": "確認メモ"}
MAX_CAPACITY = 100_000
MULTILINE = ("note", "review_note")
TOPIC_KEYS = ("evacuation", "shelter", "power", "water", "family")
MAX_TERM = 40
NATIONWIDE_FIELDS = ("key", "name", "number", "text", "url", "url_label", "source", "review_note")
_TOP_KEYS = ("review_note", "shelters", "topics", "not_when", "nationwide")


def check_shelter(raw: Any, file: str, where: str) -> list[Problem]:
    """Return every problem with one shelter mapping; where names it in the messages."""
    problems = check_record(raw, file, where, what="避難所", fields=SHELTER_FIELDS, limits=LIMITS, labels=LABELS,
                            multiline=MULTILINE, unknown={"status": "不明な項目です（status は管理画面で切り替えます）"})
    if not isinstance(raw, dict):
        return problems
    kinds = raw.get("kinds")
    if kinds is not None:
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            problems.append(Problem(file, f"{where}.kinds", "災害の種類は [flood, earthquake] のような一覧で書いてください"))
        else:
            for kind in kinds:
                if kind not in KINDS:
                    choices = "、".join(f"{k}（{v}）" for k, v in KINDS.items())
                    problems.append(Problem(file, f"{where}.kinds", f"災害の種類「{kind[:40]}」はありません。次から選んでください：{choices}"))
    capacity = raw.get("capacity")
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)
                                 or not 1 <= capacity <= MAX_CAPACITY):
        problems.append(Problem(file, f"{where}.capacity", f"収容人数は1〜{MAX_CAPACITY}の整数にしてください（わからなければ空欄のまま）"))
    return problems


def _check_terms(raw: Any, file: str, where: str) -> list[Problem]:
    if not isinstance(raw, list) or not raw:
        return [Problem(file, where, "言葉の一覧（[避難, 逃げる] の形）を書いてください")]
    problems = []
    for term in raw:
        if not isinstance(term, str) or not term.strip():
            problems.append(Problem(file, where, "言葉は空でない文字で書いてください（数字は \"171\" のように引用符で囲みます）"))
        elif len(term) > MAX_TERM or _FORBIDDEN.search(term) or "\n" in term:
            problems.append(Problem(file, where, f"言葉 {term[:40]!r} は改行なしの{MAX_TERM}文字以内にしてください"))
        elif term.count("…") > 1 or term.startswith("…") or term.endswith("…"):
            problems.append(Problem(file, where, f"言葉 {term[:40]!r}：「…」は「電気…つかな」のように、言葉と言葉のあいだに1つだけ書けます"))
    return problems


def _check_topics(raw: Any, file: str) -> list[Problem]:
    if not isinstance(raw, list):
        return [Problem(file, "topics", "話題の一覧（「- key: evacuation」の並び）を書いてください")]
    problems: list[Problem] = []
    seen: set[str] = set()
    for number, topic in enumerate(raw, start=1):
        where = f"topics.{number}件目"
        if not isinstance(topic, dict):
            problems.append(Problem(file, where, "話題は key・label・terms の組で書いてください"))
            continue
        key = topic.get("key")
        if key not in TOPIC_KEYS:
            problems.append(Problem(file, f"{where}.key", f"話題の key は {', '.join(TOPIC_KEYS)} のどれかにしてください"))
        elif key in seen:
            problems.append(Problem(file, f"{where}.key", f"話題 {key} が2回あります"))
        seen.add(str(key))
        if not isinstance(topic.get("label"), str) or not topic["label"].strip():
            problems.append(Problem(file, f"{where}.label", "話題の名前（label）を入力してください"))
        problems.extend(_check_terms(topic.get("terms"), file, f"{where}.terms"))
        for name in sorted(str(k) for k in topic if k not in ("key", "label", "terms")):
            problems.append(Problem(file, f"{where}.{name[:40]}", "不明な項目です"))
    return problems


def _check_nationwide(raw: Any, file: str) -> list[Problem]:
    if not isinstance(raw, list):
        return [Problem(file, "nationwide", "全国共通の番号の一覧（「- key: dengon171」の並び）を書いてください")]
    problems: list[Problem] = []
    for number, item in enumerate(raw, start=1):
        where = f"nationwide.{number}件目"
        if not isinstance(item, dict):
            problems.append(Problem(file, where, "番号は key・name・number・text・source の組で書いてください"))
            continue
        for name in ("key", "name", "number", "text", "source"):
            if not isinstance(item.get(name), str) or not item[name].strip():
                problems.append(Problem(file, f"{where}.{name}", f"{name} を文字で入力してください（番号には出典が必要です）"))
        for name in sorted(str(k) for k in item if k not in NATIONWIDE_FIELDS):
            problems.append(Problem(file, f"{where}.{name[:40]}", "不明な項目です"))
        for name in ("url", "url_label", "review_note"):
            if item.get(name) is not None and not isinstance(item[name], str):
                problems.append(Problem(file, f"{where}.{name}", f"{name} は文字で書いてください"))
        url = item.get("url")
        if isinstance(url, str) and url.strip() and not URL_RE.match(url.strip()):
            problems.append(Problem(file, f"{where}.url", "URLは http:// か https:// で始めてください"))
    return problems


def validate(raw: Any, file: str = SHELTERS_FILE) -> list[Problem]:
    """Return every problem with shelters.yaml: its shelters, topics, look-alike words and nationwide numbers."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return [Problem(file, "-", "shelters・topics・nationwide を持つ「項目名: 値」の形で書いてください")]
    problems: list[Problem] = []
    for name in sorted(str(k) for k in raw if k not in _TOP_KEYS):
        problems.append(Problem(file, name[:40], "不明な項目です"))
    shelters = raw.get("shelters")
    if shelters is not None and not isinstance(shelters, list):
        problems.append(Problem(file, "shelters", "避難所の一覧（「- key: ...」の並び、なければ []）を書いてください"))
    seen: dict[str, int] = {}
    for number, item in enumerate(shelters if isinstance(shelters, list) else [], start=1):
        key = item.get("key") if isinstance(item, dict) else None
        where = f"shelters.{key[:80]}" if isinstance(key, str) and key else f"shelters.{number}件目"
        problems.extend(check_shelter(item, file, where))
        if isinstance(key, str) and key:
            if key in seen:
                problems.append(Problem(file, f"{where}.key", f"識別名 {key[:80]} が2回あります（{seen[key]}件目と{number}件目）"))
            seen.setdefault(key, number)
    if "topics" in raw:
        problems.extend(_check_topics(raw["topics"], file))
    if "not_when" in raw:
        problems.extend(_check_terms(raw["not_when"], file, "not_when"))
    if "nationwide" in raw:
        problems.extend(_check_nationwide(raw["nationwide"], file))
    if isinstance(raw.get("review_note"), (list, dict)):
        problems.append(Problem(file, "review_note", "確認メモは文字で書いてください"))
    return problems


def normalise_shelter(raw: dict[str, Any]) -> dict[str, Any]:
    """Return a shelter with every pack field present: text stripped, kinds a list, capacity an int or None."""
    out: dict[str, Any] = {}
    for name in SHELTER_FIELDS:
        value = raw.get(name)
        if name == "kinds":
            out[name] = [str(k) for k in value or []]
        elif name == "capacity":
            out[name] = value if isinstance(value, int) and not isinstance(value, bool) else None
        else:
            out[name] = "" if value is None else str(value).strip()
    return out


def shelter_hash(data: dict[str, Any]) -> str:
    """Return a stable hash of a shelter's pack content."""
    normal = normalise_shelter(data)
    return hashlib.sha256(json.dumps(normal, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def kinds_text(kinds: Iterable[str]) -> str:
    """Return the kinds of disaster as staff read them: 洪水・地震."""
    return "・".join(KINDS.get(k, k) for k in kinds)


def dump(raw: dict[str, Any] | None, shelters: Iterable[dict[str, Any]]) -> str:
    """Return shelters.yaml text: the shelters given, the topics and numbers of raw (the pack's file) kept."""
    body: dict[str, Any] = {}
    raw = raw or {}
    if raw.get("review_note"):
        body["review_note"] = raw["review_note"]
    body["shelters"] = [{k: v for k, v in normalise_shelter(s).items() if v not in (None, "", [])} for s in shelters]
    for name in ("topics", "not_when", "nationwide"):
        if name in raw:
            body[name] = raw[name]
    header = ("# 避難所の一覧と、災害時モードで「災害の案内」を返す話題の言葉です（kb export で書き出しました）。\n"
              "# 開設・満などの状況は管理画面で切り替えます。このファイルを取り込んでも、状況は変わりません。\n")
    return header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=1000)
