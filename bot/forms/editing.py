"""Admins edit a form's definition as YAML in the console; saving a change makes a new version."""
from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import func, select

from bot.core import audit
from bot.core.problems import Invalid
from bot.extensions import db
from bot.forms.schema import FORMS_DIR, content_hash, dump, normalise, validate
from bot.forms.store import latest_version
from bot.models import FormVersion


def to_yaml(definition: dict[str, Any]) -> str:
    """Return a definition as the same YAML the pack holds (knowledge/forms/<slug>.yaml)."""
    return dump(definition)


def parse(text: str, slug: str) -> dict[str, Any]:
    """Return the normalised definition the YAML text describes, or raise Invalid listing every problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}行目" if mark is not None else "どこか"
        raise Invalid(f"YAMLとして読めません（{where}。字下げやコロンを確かめてください）") from None
    if isinstance(raw, dict) and raw.get("slug") != slug:
        raise Invalid(f"slug（フォームの識別名）は変更できません（{slug} のままにしてください）")
    # The same rules as `flask kb check`: the console cannot save what the pack would refuse.
    problems = validate(raw, f"{FORMS_DIR}/{slug}.yaml")
    if problems:
        raise Invalid(problems)
    return normalise(raw)


def save(slug: str, text: str, actor: str) -> FormVersion | None:
    """Save an edited definition as the form's next version; None when nothing changed."""
    definition = parse(text, slug)
    current = latest_version(slug)
    digest = content_hash(definition)
    if current is not None and current.content_hash == digest:
        return None
    number = (db.session.scalar(select(func.max(FormVersion.version)).where(FormVersion.slug == slug)) or 0) + 1
    version = FormVersion(slug=slug, version=number, title=definition["title"][:200], definition=definition,
                          content_hash=digest, created_by=actor)
    db.session.add(version)
    db.session.flush()
    audit.record(actor, "form.edit", "form", slug, f"「{version.title}」の定義を変更（第{number}版）",
                 {"version": number - 1}, {"version": number})
    db.session.commit()
    return version
