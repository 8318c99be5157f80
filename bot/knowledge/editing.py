"""Staff edits to entries: validated saves with optimistic locking, rollback, archive, alternates."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from bot.core import audit
from bot.core.revisions import add_revision, find_revision, latest_revision
from bot.core.version import bump_version
from bot.extensions import db
from bot.knowledge.labels import FIELD_LABELS, STATUS_LABELS  # noqa: F401  (re-exported for the console)
from bot.knowledge.pack import (
    FIELD_ORDER, MAX_QUESTION, TEXT_LIMITS, normalise_entry, validate_entry,
)
from bot.knowledge.categories import checked_name
from bot.knowledge.categories import names as category_names
from bot.matching.normalize import fold
from bot.models import Category, Entry
from bot.core.problems import Invalid, Problem
from bot.core.textrules import SLUG_RE


class EditConflict(Exception):
    """Raised when someone else saved the entry after this editor opened it."""

    def __init__(self, entry: Entry):
        super().__init__(f"{entry.slug} changed since it was opened")
        self.entry = entry
        self.current_version = entry.lock_version
        latest = latest_revision(entry)
        self.changed_by = latest.author if latest else ""
        self.changed_at = latest.created_at if latest else entry.changed_at

    @property
    def message(self) -> str:
        """Say in plain Japanese what happened and that nothing was lost."""
        who = f"{self.changed_by} さんが" if self.changed_by else "別の担当者が"
        return (f"保存できませんでした。あなたが編集している間に、{who}この項目を保存しました。"
                "あなたの入力内容は下のフォームに残っています。最新の内容との違いを確認してから、"
                "もう一度保存してください。")


@dataclass
class SaveResult:
    """The entry after a save, and whether anything changed."""

    entry: Entry
    changed: bool


def office_keys(extra: set[str] | None = None) -> set[str]:
    """Return the office keys entries may name: those stored, plus extra ones arriving with them."""
    from bot.models import Office

    return set(db.session.scalars(select(Office.key))) | (extra or set())


def check_entry(data: dict[str, Any], *, file: str = "form", existing_id: int | None = None,
                known_offices: set[str] | None = None) -> list[Problem]:
    """Return every problem with entry data: the pack's rules, LINE limits and a unique slug."""
    problems = validate_entry(data, file)
    if not isinstance(data, dict):
        return problems
    # Exact repeats only: the pack deliberately keeps kana and spacing variants of one question.
    listed = data.get("questions")
    questions = [" ".join(q.split()) for q in listed if isinstance(q, str)] if isinstance(listed, list) else []
    if len(set(questions)) != len(questions):
        problems.append(Problem(file, "questions", "同じ質問が2回入っています"))
    category = data.get("category")
    if isinstance(category, str) and category:
        known = category_names()
        if known and category not in known:
            problems.append(Problem(file, "category", "カテゴリの一覧にない名前です。一覧から選んでください"))
    office = data.get("office")
    if isinstance(office, str) and office and office not in office_keys(known_offices):
        problems.append(Problem(file, "office", "担当課の一覧にない識別名です。一覧から選んでください"))
    slug = data.get("slug")
    # Only a well-formed slug reaches the database (PostgreSQL refuses a NUL even in a query).
    if isinstance(slug, str) and SLUG_RE.match(slug) and len(slug) <= TEXT_LIMITS["slug"]:
        other = db.session.scalar(select(Entry.id).where(Entry.slug == slug))
        if other is not None and other != existing_id:
            problems.append(Problem(file, "slug", "この識別名はすでに使われています"))
    return problems


def _assign(entry: Entry, data: dict[str, Any]) -> None:
    for name in FIELD_ORDER:
        value = data[name]
        if name in ("updated_on", "review_by"):
            value = date.fromisoformat(value) if value else None
        setattr(entry, name, value)


def write_entry(entry: Entry | None, data: dict[str, Any], actor: str, *, reason: str = "edit",
                expected_version: int | None = None, summary: str = "", bump: bool = True) -> SaveResult:
    """Apply checked data in the current transaction: revision, version bump, audit; no commit."""
    data = normalise_entry(data)
    if entry is not None and expected_version is not None and entry.lock_version != expected_version:
        raise EditConflict(entry)
    creating = entry is None
    before = None if creating else entry.content()
    if creating:
        entry = Entry(slug=data["slug"])
        db.session.add(entry)
    else:
        # The slug ties question logs and LINE buttons to the entry; it never changes after creation.
        data["slug"] = entry.slug
    _assign(entry, data)
    after = entry.content()
    if before == after:
        return SaveResult(entry, changed=False)
    try:
        db.session.flush()
    except StaleDataError:
        # Another worker committed between our read and this write.
        db.session.rollback()
        raise EditConflict(db.session.get(Entry, entry.id)) from None
    add_revision(entry, actor, reason)
    if bump:
        bump_version()
    action = "entry.create" if creating else f"entry.{reason}"
    default = f"「{entry.title}」を{'作成' if creating else '更新'}"
    audit.record(actor, action, "entry", entry.slug, summary or default, before, after)
    return SaveResult(entry, changed=True)


def save_entry(entry: Entry | None, data: dict[str, Any], actor: str, *,
               expected_version: int | None = None) -> SaveResult:
    """Validate and save an entry from the console, refusing a save based on a stale version."""
    data = normalise_entry(data)
    if entry is not None:
        data["slug"] = entry.slug
    problems = check_entry(data, existing_id=entry.id if entry else None)
    if problems:
        raise Invalid(problems)
    try:
        result = write_entry(entry, data, actor, expected_version=expected_version)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def rename_category(category: Category, new: str, actor: str) -> int:
    """Rename a category and move its entries with it (each gets a revision); return how many entries."""
    old = category.name
    new = checked_name(new, [n for n in category_names() if n != old])
    if new == old:
        return 0
    try:
        category.name = new
        moved = 0
        for entry in db.session.scalars(select(Entry).where(Entry.category == old)):
            data = entry.content()
            data["category"] = new
            write_entry(entry, data, actor, reason="category", bump=False,
                        summary=f"「{entry.title}」のカテゴリを「{old}」から「{new}」に変更")
            moved += 1
        bump_version()
        audit.record(actor, "category.rename", "category", new, f"カテゴリ「{old}」を「{new}」に変更（回答{moved}件）",
                     {"name": old}, {"name": new})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return moved


def rollback_entry(entry: Entry, number: int, actor: str) -> SaveResult:
    """Restore the content of revision `number` as a new revision."""
    revision = find_revision(entry, number)
    if revision is None:
        raise LookupError(f"revision {number} of {entry.slug} does not exist")
    try:
        result = write_entry(entry, dict(revision.data), actor, reason="rollback",
                             summary=f"「{entry.title}」を版{number}に戻す")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def set_archived(entry: Entry, archived: bool, actor: str) -> None:
    """Archive an entry (never answered, kept with its history) or restore it."""
    if entry.archived == archived:
        return
    entry.archived = archived
    bump_version()
    action, verb = ("entry.archive", "アーカイブ") if archived else ("entry.restore", "復元")
    audit.record(actor, action, "entry", entry.slug, f"「{entry.title}」を{verb}",
                 {"archived": not archived}, {"archived": archived})
    db.session.commit()


def resolve_review_note(entry: Entry, actor: str) -> bool:
    """Mark an entry's review note as dealt with (a revision and an audit record keep the old text)."""
    if not (entry.review_note or "").strip():
        return False
    data = entry.content()
    data["review_note"] = ""
    try:
        write_entry(entry, data, actor, reason="review_resolved", summary=f"「{entry.title}」の確認メモを対応済みにしました")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return True


def add_alternate_question(entry: Entry, question: str, actor: str, *, commit: bool = True) -> bool:
    """Add a resident's wording to an entry's questions; return False when it was already there."""
    question = " ".join((question or "").split())
    if not question:
        raise Invalid("質問の文を入力してください", "questions")
    if len(question) > MAX_QUESTION:
        raise Invalid(f"想定質問は1件{MAX_QUESTION}文字以内にしてください", "questions")
    if fold(question) in {fold(q) for q in entry.questions or []}:
        return False
    data = entry.content()
    data["questions"] = [*data["questions"], question]
    write_entry(entry, data, actor, reason="alternate",
                summary=f"「{entry.title}」に想定質問「{question[:60]}」を追加")
    if commit:
        db.session.commit()
    return True
