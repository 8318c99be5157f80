"""The shape of a form defined in the pack (knowledge/forms/*.yaml): check, normalise, hash, write; pure."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from bot.forms.fields import CHOICE_TYPES, FIELD_TYPES
from bot.core.problems import Problem
from bot.core.textrules import MAX_SLUG, SLUG_RE

FORMS_DIR = "forms"
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TOP_TEXTS = ("slug", "title", "line_button", "intro", "purpose", "privacy_notice", "thanks", "review_note")
REQUIRED_TEXTS = ("slug", "title", "purpose", "privacy_notice", "thanks")
FIELD_KEYS = ("key", "type", "label", "help", "required", "max_length", "choices")
KPI_KEYS = ("label", "baseline", "target", "source")
ORDER = (*TOP_TEXTS[:5], "privacy_notice", "fields", "thanks", "kpi", "review_note")
TEXT_LIMITS = {"slug": MAX_SLUG, "title": 100, "line_button": 20, "intro": 2000, "purpose": 2000, "privacy_notice": 4000, "thanks": 2000,
               "review_note": 2000, "label": 100, "help": 500, "choice": 100, "kpi_label": 100, "year": 40,
               "source": 200}
MAX_FIELDS = 40
MAX_CHOICES = 60
MAX_LENGTH_LIMIT = 10_000


def _text_problem(file: str, where: str, value: Any, limit_name: str, required: bool) -> list[Problem]:
    if value is None or value == "":
        return [Problem(file, where, "必須です")] if required else []
    if not isinstance(value, str):
        return [Problem(file, where, "文字列で書いてください")]
    if len(value) > TEXT_LIMITS[limit_name]:
        return [Problem(file, where, f"{TEXT_LIMITS[limit_name]}文字以内にしてください（いま{len(value)}文字）")]
    return []


def validate(raw: Any, file: str) -> list[Problem]:
    """Return every problem with one raw form definition."""
    if not isinstance(raw, dict):
        return [Problem(file, "-", "フォームの定義（項目名: 値 の組）を1つ書いてください")]
    problems: list[Problem] = []
    for name in sorted(str(k) for k in raw if k not in ORDER):
        problems.append(Problem(file, name[:40], "知らない項目です"))
    for name in TOP_TEXTS:
        problems += _text_problem(file, name, raw.get(name), name, name in REQUIRED_TEXTS)
    slug = raw.get("slug")
    if isinstance(slug, str) and slug and not SLUG_RE.match(slug):
        problems.append(Problem(file, "slug", "英小文字・数字・ハイフンで書いてください（例：supporters-club）"))
    elif isinstance(slug, str) and slug and Path(file).stem != slug:
        problems.append(Problem(file, "slug", f"ファイル名は {slug}.yaml にしてください"))
    problems += _validate_fields(raw.get("fields"), file)
    if raw.get("kpi") is not None:
        problems += _validate_kpi(raw["kpi"], file)
    return problems


def _validate_fields(fields: Any, file: str) -> list[Problem]:
    if not isinstance(fields, list) or not fields:
        return [Problem(file, "fields", "入力項目を1つ以上、リストで書いてください")]
    if len(fields) > MAX_FIELDS:
        return [Problem(file, "fields", f"入力項目は{MAX_FIELDS}個までです")]
    problems: list[Problem] = []
    seen: set[str] = set()
    for number, field in enumerate(fields, 1):
        where = f"fields[{number}]"
        if not isinstance(field, dict):
            problems.append(Problem(file, where, "key・type・label を持つ項目にしてください"))
            continue
        for name in sorted(str(k) for k in field if k not in FIELD_KEYS):
            problems.append(Problem(file, f"{where}.{name[:40]}", "知らない項目です"))
        key = field.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            problems.append(Problem(file, f"{where}.key", "英小文字で始まる英数字と _ で書いてください（例：name）"))
        elif key in seen:
            problems.append(Problem(file, f"{where}.key", f"{key} が2回出てきます"))
        else:
            seen.add(key)
            where = f"fields.{key}"
        kind = field.get("type")
        if kind not in FIELD_TYPES:
            problems.append(Problem(file, f"{where}.type", "次のどれかにしてください：" + "、".join(FIELD_TYPES)))
        problems += _text_problem(file, f"{where}.label", field.get("label"), "label", True)
        problems += _text_problem(file, f"{where}.help", field.get("help"), "help", False)
        if "required" in field and not isinstance(field["required"], bool):
            problems.append(Problem(file, f"{where}.required", "true か false にしてください"))
        limit = field.get("max_length")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or not 1 <= limit <= MAX_LENGTH_LIMIT):
            problems.append(Problem(file, f"{where}.max_length", f"1〜{MAX_LENGTH_LIMIT}の整数にしてください"))
        problems += _validate_choices(field.get("choices"), kind, file, where)
    return problems


def _validate_choices(choices: Any, kind: Any, file: str, where: str) -> list[Problem]:
    if kind not in CHOICE_TYPES:
        return [Problem(file, f"{where}.choices", "選択肢は select と multi_select だけに書けます")] if choices else []
    if not isinstance(choices, list) or not choices:
        return [Problem(file, f"{where}.choices", "選択肢を1つ以上、リストで書いてください")]
    if len(choices) > MAX_CHOICES:
        return [Problem(file, f"{where}.choices", f"選択肢は{MAX_CHOICES}個までです")]
    problems: list[Problem] = []
    for choice in choices:
        if not isinstance(choice, str) or not choice.strip():
            problems.append(Problem(file, f"{where}.choices", "選択肢は空でない文字列にしてください"))
        elif len(choice) > TEXT_LIMITS["choice"]:
            problems.append(Problem(file, f"{where}.choices", f"選択肢は{TEXT_LIMITS['choice']}文字以内にしてください"))
    texts = [c for c in choices if isinstance(c, str)]
    if len(set(texts)) != len(texts):
        problems.append(Problem(file, f"{where}.choices", "同じ選択肢が2回出てきます"))
    return problems


def _validate_kpi(kpi: Any, file: str) -> list[Problem]:
    if not isinstance(kpi, dict):
        return [Problem(file, "kpi", "label・baseline・target を持つ項目にしてください")]
    problems: list[Problem] = [Problem(file, f"kpi.{k}"[:50], "知らない項目です") for k in sorted(map(str, kpi))
                               if k not in KPI_KEYS]
    problems += _text_problem(file, "kpi.label", kpi.get("label"), "kpi_label", True)
    problems += _text_problem(file, "kpi.source", kpi.get("source"), "source", False)
    for name in ("baseline", "target"):
        point = kpi.get(name)
        if not isinstance(point, dict) or isinstance(point.get("value"), bool) \
                or not isinstance(point.get("value"), int) or point["value"] < 0:
            problems.append(Problem(file, f"kpi.{name}", "value（0以上の整数）と year（例：令和4年度）を書いてください"))
            continue
        problems += _text_problem(file, f"kpi.{name}.year", point.get("year"), "year", True)
    return problems


def normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """Return a validated definition with every top-level text present and fields in a fixed shape."""
    out: dict[str, Any] = {name: str(raw.get(name) or "").strip() for name in TOP_TEXTS}
    out["fields"] = [{
        "key": f["key"], "type": f["type"], "label": f["label"].strip(), "help": str(f.get("help") or "").strip(),
        "required": bool(f.get("required", False)), "max_length": f.get("max_length"),
        "choices": [str(c).strip() for c in f.get("choices") or []],
    } for f in raw["fields"]]
    kpi = raw.get("kpi")
    out["kpi"] = None if not kpi else {
        "label": kpi["label"], "source": str(kpi.get("source") or ""),
        "baseline": {"value": kpi["baseline"]["value"], "year": kpi["baseline"]["year"]},
        "target": {"value": kpi["target"]["value"], "year": kpi["target"]["year"]},
    }
    return out


def content_hash(definition: dict[str, Any]) -> str:
    """Return a stable hash of a normalised definition: a new hash is a new version."""
    return hashlib.sha256(json.dumps(definition, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def read_forms(root: Path) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Read and check every knowledge/forms/*.yaml under a pack directory."""
    directory = root / FORMS_DIR
    forms: list[dict[str, Any]] = []
    problems: list[Problem] = []
    if not directory.is_dir():
        return forms, problems
    seen: set[str] = set()
    for path in sorted(directory.glob("*.y*ml")):
        file = f"{FORMS_DIR}/{path.name}"
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            problems.append(Problem(file, "-", "UTF-8 のテキストではありません"))
            continue
        except (yaml.YAMLError, ValueError) as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{mark.line + 1}行目" if mark else "どこか"
            problems.append(Problem(file, "-", f"YAML として読めません（{where}）"))
            continue
        found = validate(raw, file)
        problems += found
        if found:
            continue
        if raw["slug"] in seen:
            problems.append(Problem(file, "slug", f"{raw['slug']} のフォームが2つあります"))
            continue
        seen.add(raw["slug"])
        forms.append(normalise(raw))
    return forms, problems


def dump(definition: dict[str, Any]) -> str:
    """Return a definition as YAML in the pack's order, leaving out empty values."""
    def fields() -> list[dict[str, Any]]:
        return [{k: v for k, v in f.items() if v not in ("", None, []) and not (k == "required" and v is False)}
                for f in definition["fields"]]

    ordered = {name: (fields() if name == "fields" else definition.get(name)) for name in ORDER}
    ordered = {k: v for k, v in ordered.items() if v not in ("", None)}
    return yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=1000)


def write_forms(root: Path, definitions: list[dict[str, Any]]) -> None:
    """Write each definition to root/forms/<slug>.yaml."""
    if not definitions:
        return
    directory = root / FORMS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    for definition in definitions:
        (directory / f"{definition['slug']}.yaml").write_text(dump(definition), encoding="utf-8")
