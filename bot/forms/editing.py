"""Admins edit a form's definition as YAML in the console; saving a change makes a new version."""
from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml
from sqlalchemy import func, select

from bot import audit
from bot.extensions import db
from bot.models import FormVersion


class DefinitionError(ValueError):
    """A definition that cannot be saved; the messages are in Japanese, one per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def to_yaml(definition: dict[str, Any]) -> str:
    """Return a definition as YAML staff can read and edit (Japanese as it is, keys in their order)."""
    return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False, width=100)


def content_hash(definition: dict[str, Any]) -> str:
    """Return the hash that tells one definition's content from another's."""
    return hashlib.sha256(json.dumps(definition, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _basic_problems(data: Any, slug: str) -> list[str]:
    if not isinstance(data, dict):
        return ["定義の全体は「項目名: 値」の形（YAMLのマッピング）にしてください"]
    problems = []
    if str(data.get("slug", slug)) != slug:
        problems.append(f"slug（フォームの識別名）は変更できません（{slug} のままにしてください）")
    if not str(data.get("title") or "").strip():
        problems.append("title（フォームの名前）を入力してください")
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        problems.append("fields（入力項目）を1つ以上、リストで書いてください")
        return problems
    keys = [f.get("key") for f in raw_fields if isinstance(f, dict)]
    if len(keys) != len(raw_fields) or not all(isinstance(k, str) and k for k in keys):
        problems.append("fields の各項目に key（項目の識別名）を書いてください")
    elif len(set(keys)) != len(keys):
        problems.append("fields の key が重複しています")
    return problems


def parse(text: str, slug: str) -> dict[str, Any]:
    """Return the definition the YAML text describes, or raise DefinitionError listing every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}行目" if mark is not None else "どこか"
        raise DefinitionError([f"YAMLとして読めません（{where}。字下げやコロンを確かめてください）"]) from None
    problems = _basic_problems(data, slug)
    if not problems:
        problems = _pack_problems(data)
    if problems:
        raise DefinitionError(problems)
    data.setdefault("slug", slug)
    return data


def _pack_problems(data: dict[str, Any]) -> list[str]:
    """Return what the pack's own form validator finds (the same rules as `kb check`)."""
    try:
        from bot.forms import definition as pack_definition  # built beside this module for the public pages
    except ImportError:
        return []
    check = getattr(pack_definition, "problems", None) or getattr(pack_definition, "validate", None)
    if check is None:
        return []
    found = check(data)
    return [getattr(p, "message", str(p)) for p in (found or [])]


def save(slug: str, text: str, actor: str) -> FormVersion | None:
    """Save an edited definition as the form's next version; None when nothing changed."""
    current = db.session.scalars(select(FormVersion).where(FormVersion.slug == slug).order_by(
        FormVersion.version.desc()).limit(1)).first()
    definition = parse(text, slug)
    digest = content_hash(definition)
    if current is not None and current.content_hash == digest:
        return None
    number = (db.session.scalar(select(func.max(FormVersion.version)).where(FormVersion.slug == slug)) or 0) + 1
    version = FormVersion(slug=slug, version=number, title=str(definition["title"])[:200], definition=definition,
                          content_hash=digest, created_by=actor)
    db.session.add(version)
    db.session.flush()
    audit.record(actor, "form.edit", "form", slug, f"「{version.title}」の定義を変更（第{number}版）",
                 {"version": number - 1}, {"version": number})
    db.session.commit()
    return version
