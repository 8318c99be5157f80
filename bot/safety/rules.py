"""Read and check the pack's safety.yaml; every problem is reported in Japanese for staff."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.matching.normalize import fold
from bot.safety.matcher import DEFAULT_WITHIN, Pair, Rule
from bot.textrules import CONTROL as _FORBIDDEN

SAFETY_FILE = "safety.yaml"
MAX_RULES = 50
MAX_WORDS = 300
MAX_WORD = 40
MAX_REPLY = 1000
MAX_BYTES = 256 * 1024
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# 119, 110, #8000, #7119 or a town's 0124-22-2111: digits, one leading #, hyphens between groups.
_NUMBER_RE = re.compile(r"^(?:#\d{4}|\d{3}|\d{2,5}(?:-\d{1,4}){1,2})$")
_FIELDS = {"slug", "title", "numbers", "town", "reply", "terms", "pairs", "exclude", "unless", "source",
           "review_note", "updated_on", "flag"}
FLAGS = ("urgent", "care")  # 緊急, 要配慮 (crisis, violence at home, child abuse)
_WORD_LISTS = ("terms", "exclude", "unless")


class SafetyFileError(Exception):
    """Raised when safety.yaml cannot be used; carries (where, reason) pairs in Japanese."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("\n".join(f"{where}: {reason}" for where, reason in problems))
        self.problems = problems


def parse(text: str) -> list[Rule]:
    """Return the rules of a safety.yaml text, or raise SafetyFileError listing every problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}行目" if mark else "-"
        raise SafetyFileError([(where, "YAML として読み取れません（字下げ・コロン・引用符を確かめてください）")]) from None
    except ValueError:
        raise SafetyFileError([("-", "読み取れない値があります（日付などを確かめてください）")]) from None
    problems: list[tuple[str, str]] = []
    rules: list[Rule] = []
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        raise SafetyFileError([("-", "「rules:」の下にルールを並べてください")])
    if set(raw) - {"rules"}:
        problems.append(("-", f"知らない項目があります：{', '.join(sorted(map(str, set(raw) - {'rules'})))[:80]}"))
    if len(raw["rules"]) > MAX_RULES:
        raise SafetyFileError([("rules", f"ルールは{MAX_RULES}個までです")])
    seen: set[str] = set()
    for number, item in enumerate(raw["rules"], 1):
        where = f"{number}番目のルール"
        if isinstance(item, dict) and isinstance(item.get("slug"), str):
            where += f"（{item['slug'][:40]}）"
        found, rule = _rule(item)
        problems.extend((f"{where}・{field}", reason) for field, reason in found)
        if rule is not None:
            if rule.slug in seen:
                problems.append((where, f"slug「{rule.slug}」が重複しています"))
            seen.add(rule.slug)
            rules.append(rule)
    if not problems and not rules:
        problems.append(("rules", "ルールが1つもありません"))
    if problems:
        raise SafetyFileError(problems)
    return rules


def read_file(path: str | Path) -> list[Rule]:
    """Return the rules in a safety.yaml file, or raise SafetyFileError."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError:
        raise SafetyFileError([(path.name, "ファイルを読めません")]) from None
    if len(data) > MAX_BYTES:
        raise SafetyFileError([(path.name, f"ファイルが大きすぎます（{MAX_BYTES // 1024}KBまで）")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SafetyFileError([(path.name, "UTF-8 のテキストではありません")]) from None
    return parse(text)


def _words(value: Any, field: str, problems: list[tuple[str, str]]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        problems.append((field, "言葉の一覧（[言葉, 言葉]）で書いてください"))
        return ()
    words = tuple(str(v).strip() for v in value if str(v).strip())
    if len(words) > MAX_WORDS:
        problems.append((field, f"言葉は{MAX_WORDS}個までです"))
    for word in words:
        if len(word) > MAX_WORD:
            problems.append((field, f"「{word[:20]}…」が長すぎます（{MAX_WORD}文字まで）"))
        elif _FORBIDDEN.search(word):
            problems.append((field, "見えない制御文字が入っています"))
        elif not fold(word):
            problems.append((field, f"「{word}」は記号だけで、比べる文字がありません"))
    return words


def _text(item: dict, field: str, problems: list[tuple[str, str]], limit: int, required: bool = True) -> str:
    value = item.get(field)
    if value is None or value == "":
        if required:
            problems.append((field, "必ず書いてください"))
        return ""
    if not isinstance(value, str):
        problems.append((field, "文字で書いてください"))
        return ""
    if len(value) > limit:
        problems.append((field, f"{limit}文字までです"))
    if _FORBIDDEN.search(value):
        problems.append((field, "見えない制御文字が入っています"))
    return value.strip()


def _pairs(value: Any, problems: list[tuple[str, str]]) -> tuple[Pair, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(("pairs", "subjects と events の組の一覧で書いてください"))
        return ()
    pairs = []
    for n, raw in enumerate(value, 1):
        field = f"pairs {n}番目"
        if not isinstance(raw, dict) or set(raw) - {"subjects", "events", "within"}:
            problems.append((field, "subjects・events・within だけを書いてください"))
            continue
        subjects = _words(raw.get("subjects"), f"{field}・subjects", problems)
        events = _words(raw.get("events"), f"{field}・events", problems)
        if not subjects or not events:
            problems.append((field, "subjects と events の両方に言葉が必要です"))
        within = raw.get("within", DEFAULT_WITHIN)
        if not isinstance(within, int) or isinstance(within, bool) or not 1 <= within <= 50:
            problems.append((f"{field}・within", "1から50までの数で書いてください"))
            within = DEFAULT_WITHIN
        pairs.append(Pair(subjects, events, within))
    return tuple(pairs)


def _rule(item: Any) -> tuple[list[tuple[str, str]], Rule | None]:
    if not isinstance(item, dict):
        return [("-", "項目（slug: …）の集まりで書いてください")], None
    problems: list[tuple[str, str]] = []
    unknown = sorted(str(k) for k in set(item) - _FIELDS)
    if unknown:
        problems.append(("-", f"知らない項目があります：{', '.join(unknown)[:80]}"))
    slug = _text(item, "slug", problems, 80)
    if slug and not _SLUG_RE.match(slug):
        problems.append(("slug", "英小文字・数字・ハイフンで書いてください"))
    title = _text(item, "title", problems, 40)
    reply = _text(item, "reply", problems, MAX_REPLY)
    _text(item, "source", problems, 200)
    _text(item, "review_note", problems, 2000, required=False)
    if item.get("updated_on") not in (None, "") and not isinstance(item["updated_on"], date):
        problems.append(("updated_on", "日付（例：2026-12-01）で書いてください"))
    numbers = item.get("numbers")
    if isinstance(numbers, list):
        # 119 without quotes reads as a number; #8000 without them is a YAML comment, hence the hint below.
        numbers = [str(n) if isinstance(n, int) and not isinstance(n, bool) else n for n in numbers]
    if not isinstance(numbers, list) or not numbers or not all(isinstance(n, str) for n in numbers):
        problems.append(("numbers", "電話番号を引用符付きの一覧で書いてください（例：[\"119\"]、[\"#8000\", \"119\"]）"))
        numbers = []
    for n in numbers:
        if not _NUMBER_RE.match(n):
            problems.append(("numbers", f"「{n[:20]}」は電話番号として使えません（例：119、#8000、0124-22-2111）"))
        elif n not in reply:
            problems.append(("reply", f"返信の文に番号「{n}」を書いてください"))
    town = item.get("town", False)
    if not isinstance(town, bool):
        problems.append(("town", "true か false で書いてください"))
    flag = item.get("flag", "urgent")
    if flag not in FLAGS:
        problems.append(("flag", "urgent（緊急）か care（要配慮）で書いてください"))
    words = {name: _words(item.get(name), name, problems) for name in _WORD_LISTS}
    pairs = _pairs(item.get("pairs"), problems)
    if not words["terms"] and not pairs:
        problems.append(("terms", "terms か pairs のどちらかに言葉が必要です"))
    if problems:
        return problems, None
    return [], Rule(slug=slug, title=title, numbers=tuple(numbers), reply=reply, town=town, terms=words["terms"],
                    pairs=pairs, exclude=words["exclude"], unless=words["unless"], flag=flag)
