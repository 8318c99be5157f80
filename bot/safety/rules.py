"""Read and check the pack's safety.yaml (concepts, rules, numbers, languages); every problem is in Japanese."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.matching.normalize import fold
from bot.safety.detector import BUILTIN, CARE, URGENT, Concept, Detector, Language, Rule
from bot.core.problems import Invalid, Problem
from bot.core.textrules import CONTROL as _FORBIDDEN

SAFETY_FILE = "safety.yaml"
MAX_RULES = 50
# Concepts: 200 until the seventh tuning round, which needed about twenty more kinds (docs/benchmarks.md). The limit
# guards against a runaway file, not against speed: a message's cost follows its words (one automaton over every
# written form, one cache entry per Sudachi unit), not the number of concept names.
MAX_CONCEPTS = 256
MAX_WORDS = 400
MAX_WORD = 40
MAX_REPLY = 1000
MAX_BYTES = 512 * 1024
_KEY_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
# 119, 110, #8000, 189, 0570-064-556 or a town's 0124-22-2111: digits, one leading #, hyphens between groups.
_NUMBER_RE = re.compile(r"^(?:#\d{4}|\d{3}|\d{2,5}(?:-\d{1,4}){1,2})$")
_TOP = {"numbers", "contacts", "concepts", "defaults", "rules", "languages"}
_RULE_FIELDS = {"slug", "title", "flag", "numbers", "town", "contacts", "reply", "phrases", "when", "not", "but", "alone",
                "replaces", "source", "review_note", "updated_on"}
_NUMBER_FIELDS = {"number", "name", "label", "source", "review_note", "updated_on"}
_CONTACT_FIELDS = {"name", "phone", "review_note"}
_LANG_FIELDS = {"name", "title", "call", "concepts", "rules", "not", "but", "replies", "review_note"}

Problems = list[tuple[str, str]]
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the file is long, the pure-Python parser slow


def _invalid(problems: Problems) -> Invalid:
    """The one error for a safety.yaml that cannot be used: every (where, reason) as a Problem of the file."""
    return Invalid(Problem(SAFETY_FILE, where, reason) for where, reason in problems)


@dataclass(frozen=True)
class Number:
    """A nationwide number and where it comes from."""

    number: str
    name: str
    label: str
    source: str
    review_note: str


@dataclass(frozen=True)
class Safety:
    """Everything safety.yaml holds, checked."""

    numbers: dict[str, Number]
    contacts: dict[str, dict[str, str]]
    concepts: list[Concept]
    rules: list[Rule]
    languages: list[Language]

    def detector(self) -> Detector:
        """Compile the lexicons (one Sudachi pass per word)."""
        return Detector(self.concepts, self.rules, self.languages)


def parse(text: str) -> Safety:
    """Return the checked contents of a safety.yaml text, or raise Invalid listing every problem."""
    try:
        raw = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}行目" if mark else "-"
        raise _invalid([(where, "YAML として読み取れません（字下げ・コロン・引用符を確かめてください）")]) from None
    except ValueError:
        raise _invalid([("-", "読み取れない値があります（日付などを確かめてください）")]) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        raise _invalid([("-", "「rules:」の下にルールを並べてください")])
    problems: Problems = []
    unknown = sorted(str(k) for k in set(raw) - _TOP)
    if unknown:
        problems.append(("-", f"知らない項目があります：{', '.join(unknown)[:80]}"))
    numbers = _numbers(raw.get("numbers"), problems)
    contacts = _contacts(raw.get("contacts"), problems)
    concepts = _concepts(raw.get("concepts"), problems)
    keys = {c.key for c in concepts} | set(BUILTIN)
    defaults = raw.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - {"not", "but"}:
        problems.append(("defaults", "not と but だけを書いてください"))
        defaults = {}
    default_not = _keys(defaults.get("not"), "defaults・not", keys, problems)
    default_but = _keys(defaults.get("but"), "defaults・but", keys, problems)
    if len(raw["rules"]) > MAX_RULES:
        raise _invalid([("rules", f"ルールは{MAX_RULES}個までです")])
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, item in enumerate(raw["rules"], 1):
        where = f"{n}番目のルール"
        if isinstance(item, dict) and isinstance(item.get("slug"), str):
            where += f"（{item['slug'][:40]}）"
        found: Problems = []
        rule = _rule(item, keys, numbers, contacts, default_not, default_but, found)
        problems.extend((f"{where}・{f}" if f != "-" else where, reason) for f, reason in found)
        if rule is not None:
            if rule.slug in seen:
                problems.append((where, f"slug「{rule.slug}」が重複しています"))
            seen.add(rule.slug)
            rules.append(rule)
    for rule in rules:
        for other in rule.replaces:
            if other not in seen:
                problems.append((f"ルール（{rule.slug}）・replaces", f"「{other}」というルールはありません"))
    if not problems and not rules:
        problems.append(("rules", "ルールが1つもありません"))
    languages = _languages(raw.get("languages"), {r.slug: r for r in rules}, problems)
    if problems:
        raise _invalid(problems)
    rules = [_with_contacts(r, contacts) for r in rules]
    return Safety(numbers, contacts, concepts, rules, languages)


def read_file(path: str | Path) -> Safety:
    """Return the checked contents of a safety.yaml file, or raise Invalid."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError:
        raise Invalid("ファイルを読めません", file=path.name) from None
    if len(data) > MAX_BYTES:
        raise Invalid(f"ファイルが大きすぎます（{MAX_BYTES // 1024}KBまで）", file=path.name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("UTF-8 のテキストではありません", file=path.name) from None
    return parse(text)


def _words(value: Any, field: str, problems: Problems, limit: int = MAX_WORDS) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        problems.append((field, "言葉の一覧（[言葉, 言葉]）で書いてください"))
        return ()
    words = tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
    if len(words) > limit:
        problems.append((field, f"言葉は{limit}個までです"))
    for word in words:
        if len(word) > MAX_WORD:
            problems.append((field, f"「{word[:20]}…」が長すぎます（{MAX_WORD}文字まで）"))
        elif _FORBIDDEN.search(word):
            problems.append((field, "見えない制御文字が入っています"))
        elif not fold(word):
            problems.append((field, f"「{word}」は記号だけで、比べる文字がありません"))
    return words


def _text(item: dict, field: str, problems: Problems, limit: int, required: bool = True) -> str:
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


def _number_list(value: Any) -> list[str] | None:
    if not isinstance(value, list) or not value:
        return None
    # 119 without quotes reads as a number; #8000 without them is a YAML comment, hence the hint at the caller.
    out = [str(n) if isinstance(n, int) and not isinstance(n, bool) else n for n in value]
    return out if all(isinstance(n, str) for n in out) else None


def _numbers(value: Any, problems: Problems) -> dict[str, Number]:
    if not isinstance(value, list) or not value:
        problems.append(("numbers", "全国共通の番号を「- number: …」の一覧で書いてください"))
        return {}
    out: dict[str, Number] = {}
    for n, item in enumerate(value, 1):
        where = f"numbers {n}番目"
        if not isinstance(item, dict):
            problems.append((where, "number・name・source・review_note の項目で書いてください"))
            continue
        unknown = sorted(str(k) for k in set(item) - _NUMBER_FIELDS)
        if unknown:
            problems.append((where, f"知らない項目があります：{', '.join(unknown)[:80]}"))
        number = item.get("number")
        number = str(number) if isinstance(number, int) and not isinstance(number, bool) else number
        if not isinstance(number, str) or not _NUMBER_RE.match(number):
            shown = f"「{str(number)[:20]}」は電話番号として使えません。" if number not in (None, "") else ""
            problems.append((f"{where}・number",
                             f"{shown}電話番号を引用符付きで書いてください（例：\"119\"、\"#8000\"、\"0570-064-556\"）"))
            continue
        where = f"numbers（{number}）"
        found: Problems = []
        name = _text(item, "name", found, 60)
        label = _text(item, "label", found, 20, required=False)
        # Every nationwide number names the official page it comes from, and what staff must check.
        source = _text(item, "source", found, 300)
        note = _text(item, "review_note", found, 2000)
        problems.extend((f"{where}・{f}", r) for f, r in found)
        if number in out:
            problems.append((where, "同じ番号が2回書かれています"))
        out[number] = Number(number, name, label, source, note)
    return out


def _contacts(value: Any, problems: Problems) -> dict[str, dict[str, str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(("contacts", "連絡先の名前（例：gas:）ごとに name と phone を書いてください"))
        return {}
    out = {}
    for key, item in value.items():
        where = f"contacts（{key}）"
        if not isinstance(item, dict) or set(item) - _CONTACT_FIELDS:
            problems.append((where, "name・phone・review_note だけを書いてください"))
            continue
        found: Problems = []
        name = _text(item, "name", found, 60, required=False)
        phone = item.get("phone")
        phone = "" if phone is None else str(phone).strip()
        _text(item, "review_note", found, 2000)
        if phone and not _NUMBER_RE.match(phone):
            found.append(("phone", f"「{phone[:20]}」は電話番号として使えません（例：0124-22-2111）"))
        if phone and not name:
            found.append(("name", "電話番号を書いたときは、連絡先の名前も書いてください"))
        problems.extend((f"{where}・{f}", r) for f, r in found)
        out[str(key)] = {"name": name, "phone": phone}
    return out


def _concepts(value: Any, problems: Problems) -> list[Concept]:
    if not isinstance(value, dict) or not value:
        problems.append(("concepts", "概念（例：child:）ごとに label と words を書いてください"))
        return []
    if len(value) > MAX_CONCEPTS:
        problems.append(("concepts", f"概念は{MAX_CONCEPTS}個までです"))
    out = []
    for key, item in value.items():
        where = f"concepts（{key}）"
        if not isinstance(key, str) or not _KEY_RE.match(key):
            problems.append((where, "概念の名前は英小文字・数字・ハイフンで書いてください"))
            continue
        if not isinstance(item, dict) or set(item) - {"label", "words", "exact"}:
            problems.append((where, "label・words・exact だけを書いてください"))
            continue
        if not isinstance(item.get("exact", False), bool):
            problems.append((f"{where}・exact", "true か false で書いてください"))
        found: Problems = []
        label = _text(item, "label", found, 60)
        words = _words(item.get("words"), "words", found)
        if not words:
            found.append(("words", "言葉を1つ以上書いてください"))
        problems.extend((f"{where}・{f}", r) for f, r in found)
        out.append(Concept(key, label, words, item.get("exact") is True))
    return out


def _keys(value: Any, field: str, keys: set[str], problems: Problems) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append((field, "概念の名前の一覧（[名前, 名前]）で書いてください"))
        return ()
    for v in value:
        for k in v.split("|"):
            if k not in keys:
                problems.append((field, f"「{k}」という概念は concepts にありません"))
    return tuple(value)


def _rule(item: Any, keys: set[str], numbers: dict[str, Number], contacts: dict[str, dict[str, str]],
          default_not: tuple[str, ...], default_but: tuple[str, ...], problems: Problems) -> Rule | None:
    if not isinstance(item, dict):
        problems.append(("-", "項目（slug: …）の集まりで書いてください"))
        return None
    unknown = sorted(str(k) for k in set(item) - _RULE_FIELDS)
    if unknown:
        problems.append(("-", f"知らない項目があります：{', '.join(unknown)[:80]}"))
    slug = _text(item, "slug", problems, 80)
    if slug and not _KEY_RE.match(slug):
        problems.append(("slug", "英小文字・数字・ハイフンで書いてください"))
    title = _text(item, "title", problems, 40)
    reply = _text(item, "reply", problems, MAX_REPLY)
    _text(item, "review_note", problems, 2000, required=False)
    if item.get("updated_on") not in (None, "") and not isinstance(item["updated_on"], date):
        problems.append(("updated_on", "日付（例：2026-12-01）で書いてください"))
    flag = item.get("flag")
    if flag not in (URGENT, CARE):
        problems.append(("flag", "urgent（緊急）か care（要配慮）で書いてください"))
    listed = _number_list(item.get("numbers"))
    if listed is None:
        problems.append(("numbers", "電話番号を引用符付きの一覧で書いてください（例：[\"119\"]、[\"#8000\", \"119\"]）"))
        listed = []
    for n in listed:
        if not _NUMBER_RE.match(n):
            problems.append(("numbers", f"「{n[:20]}」は電話番号として使えません（例：119、#8000、0124-22-2111）"))
        elif n not in numbers:
            problems.append(("numbers", f"番号「{n}」を numbers: に出典（source）と一緒に書いてください"))
        elif n not in reply:
            problems.append(("reply", f"返信の文に番号「{n}」を書いてください"))
    town = item.get("town", False)
    if not isinstance(town, bool):
        problems.append(("town", "true か false で書いてください"))
    alone = item.get("alone", False)
    if not isinstance(alone, bool):
        problems.append(("alone", "true か false で書いてください"))
    phrases = _words(item.get("phrases"), "phrases", problems)
    when: list[tuple[str, ...]] = []
    raw_when = item.get("when")
    if raw_when is not None and not isinstance(raw_when, list):
        problems.append(("when", "概念の組の一覧（- [child, fever]）で書いてください"))
        raw_when = []
    for n, combo in enumerate(raw_when or [], 1):
        got = _keys(combo if isinstance(combo, list) else [combo], f"when {n}番目", keys, problems)
        if got:
            when.append(got)
    if not phrases and not when:
        problems.append(("when", "when（概念の組）か phrases（決まった言い方）のどちらかが必要です"))
    blocked = _keys(item["not"], "not", keys, problems) if "not" in item else default_not
    lifted = _keys(item["but"], "but", keys, problems) if "but" in item else default_but
    replaces = item.get("replaces") or []
    if not isinstance(replaces, list) or not all(isinstance(r, str) for r in replaces):
        problems.append(("replaces", "ルールの slug の一覧で書いてください"))
        replaces = []
    wanted = item.get("contacts") or []
    if not isinstance(wanted, list) or not all(isinstance(c, str) for c in wanted):
        problems.append(("contacts", "contacts: に書いた連絡先の名前の一覧で書いてください"))
        wanted = []
    labels = [(n, numbers[n].label) for n in listed if n in numbers and numbers[n].label]
    for key in wanted:
        if key not in contacts:
            problems.append(("contacts", f"「{key}」という連絡先は contacts: にありません"))
    if problems:
        return None
    return Rule(slug=slug, title=title, flag=flag, numbers=tuple(dict.fromkeys(listed)), reply=reply, town=town,
                phrases=phrases, when=tuple(when), blocked_by=blocked, lifted_by=lifted, replaces=tuple(replaces),
                labels=tuple(labels), contacts=tuple(wanted), alone=alone)


def _with_contacts(rule: Rule, contacts: dict[str, dict[str, str]]) -> Rule:
    """Add the contacts staff have filled in (a gas company's phone) to the rule's reply and buttons."""
    reply, numbers, labels = rule.reply, list(rule.numbers), list(rule.labels)
    for key in rule.contacts:
        contact = contacts.get(key) or {}
        if contact.get("phone"):
            # Only once staff have filled it in: the bot never makes up a gas company's number.
            reply += f"\n{contact['name']}：電話 {contact['phone']}"
            numbers.append(contact["phone"])
            labels.append((contact["phone"], f"{contact['name'][:15]}に電話"))
    return replace(rule, reply=reply, numbers=tuple(dict.fromkeys(numbers)), labels=tuple(labels))


def _languages(value: Any, rules: dict[str, Rule], problems: Problems) -> list[Language]:
    if value is None:
        return []
    if not isinstance(value, dict):
        problems.append(("languages", "言語コード（例：en:）ごとに書いてください"))
        return []
    out = []
    for code, item in value.items():
        where = f"languages（{code}）"
        if not isinstance(item, dict):
            problems.append((where, "name・title・call・concepts・rules・replies を書いてください"))
            continue
        unknown = sorted(str(k) for k in set(item) - _LANG_FIELDS)
        if unknown:
            problems.append((where, f"知らない項目があります：{', '.join(unknown)[:80]}"))
        found: Problems = []
        name = _text(item, "name", found, 40)
        title = _text(item, "title", found, 40)
        call = _text(item, "call", found, 20)
        if call and "{number}" not in call:
            found.append(("call", "ボタンの文に {number} を入れてください（例：Call {number}）"))
        concepts = {}
        raw_concepts = item.get("concepts")
        if not isinstance(raw_concepts, dict) or not raw_concepts:
            found.append(("concepts", "概念ごとに言葉の一覧を書いてください"))
            raw_concepts = {}
        for key, words in raw_concepts.items():
            concepts[str(key)] = _words(words, f"concepts・{key}", found)
        lang_rules = {}
        raw_rules = item.get("rules")
        if not isinstance(raw_rules, dict) or not raw_rules:
            found.append(("rules", "ルールの slug ごとに概念の組を書いてください"))
            raw_rules = {}
        replies = item.get("replies") if isinstance(item.get("replies"), dict) else {}
        for slug, combos in raw_rules.items():
            if slug not in rules:
                found.append((f"rules・{slug}", f"「{slug}」というルールはありません"))
                continue
            got = []
            for combo in combos if isinstance(combos, list) else [combos]:
                combo = combo if isinstance(combo, list) else [combo]
                for k in (k for item in combo for k in str(item).split("|")):
                    if k not in concepts and k not in BUILTIN:
                        found.append((f"rules・{slug}", f"「{k}」という概念はこの言語の concepts にありません"))
                got.append(tuple(str(k) for k in combo))
            lang_rules[slug] = tuple(got)
            text = replies.get(slug)
            if not isinstance(text, str) or not text.strip():
                found.append((f"replies・{slug}", "この言語の返信の文を書いてください"))
                continue
            if len(text) > MAX_REPLY:
                found.append((f"replies・{slug}", f"{MAX_REPLY}文字までです"))
            for n in rules[slug].numbers:
                if n not in text:
                    found.append((f"replies・{slug}", f"返信の文に番号「{n}」を書いてください"))
        blocked = _words(item.get("not"), "not", found)
        lifted = _words(item.get("but"), "but", found)
        problems.extend((f"{where}・{f}", r) for f, r in found)
        out.append(Language(str(code), name, title, call, concepts, lang_rules, blocked, lifted,
                            {k: str(v).strip() for k, v in replies.items() if isinstance(v, str)}))
    return out

