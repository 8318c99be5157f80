"""The managed list of answer categories: names, order, near-duplicate checks, pack sync.

A rename moves entries too, so it lives with the entry edits (`bot.knowledge.editing.rename_category`)."""
from __future__ import annotations

from itertools import combinations

from rapidfuzz import fuzz
from sqlalchemy import func, select

from bot.core import audit
from bot.core.problems import Invalid
from bot.extensions import db
from bot.core.version import bump_version
from bot.matching.normalize import fold, nfkc
from bot.models import Category, Entry

MAX_NAME = 40
# fold() drops punctuation and spacing, so 子育て･教育 / 子育て・教育 / 子育て 教育 are equal before this
# applies; the ratio then catches one-character slips between otherwise long names (子育て・教育 / 子育て・教養 is 83).
NEAR = 85


def names() -> list[str]:
    """Return the categories in menu order."""
    return list(db.session.scalars(select(Category.name).order_by(Category.position, Category.id)))


def with_entry_counts() -> list[tuple[Category, int]]:
    """Return the categories in menu order, each with how many entries use it."""
    return [(c, n) for c, n in db.session.execute(
        select(Category, func.count(Entry.id)).outerjoin(Entry, Entry.category == Category.name)
        .group_by(Category.id).order_by(Category.position, Category.id)).all()]


def near_duplicates(values: list[str]) -> list[tuple[str, str, str]]:
    """Return pairs of names that are equal after NFKC or nearly equal, with the reason in Japanese."""
    pairs = []
    for a, b in combinations(values, 2):
        if nfkc(a) == nfkc(b):
            pairs.append((a, b, "文字の幅（全角・半角）などが違うだけで同じ名前です"))
        elif fold(a) == fold(b) or fuzz.ratio(fold(a), fold(b)) >= NEAR:
            pairs.append((a, b, "ほとんど同じ名前です"))
    return pairs


def checked_name(name: str, others: list[str]) -> str:
    """Return a category name with its spacing tidied; raise Invalid when it breaks a rule."""
    name = " ".join((name or "").split())
    if not name:
        raise Invalid("名前を入力してください。")
    if len(name) > MAX_NAME:
        raise Invalid(f"名前は{MAX_NAME}文字以内にしてください。")
    for other in others:
        if near_duplicates([name, other]):
            raise Invalid(f"「{other}」とほとんど同じ名前です。メニューが2つに分かれてしまうため、同じカテゴリを使ってください。")
    return name


def add(name: str, actor: str) -> Category:
    """Append a category at the end of the menu."""
    name = checked_name(name, names())
    position = (db.session.scalar(select(func.max(Category.position))) or 0) + 1
    category = Category(name=name, position=position)
    db.session.add(category)
    audit.record(actor, "category.create", "category", name, f"カテゴリ「{name}」を追加", None, {"name": name})
    db.session.commit()
    return category


def move(category: Category, step: int, actor: str) -> bool:
    """Move a category one place up (-1) or down (+1) in the menu; return whether it moved."""
    ordered = list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))
    at = ordered.index(category)
    to = at + (1 if step > 0 else -1)
    if not 0 <= to < len(ordered):
        return False
    before = [c.name for c in ordered]
    ordered[at], ordered[to] = ordered[to], ordered[at]
    for number, item in enumerate(ordered, start=1):
        item.position = number
    bump_version()
    audit.record(actor, "category.reorder", "category", category.name, f"カテゴリ「{category.name}」の順番を変更",
                 {"order": before}, {"order": [c.name for c in ordered]})
    db.session.commit()
    return True


def sync(wanted: list[str]) -> bool:
    """Make the pack's list the managed one: add missing names and take its order (kept names stay after).

    Return whether the list or its order changed: the menu order is part of what the bot serves."""
    existing = {c.name: c for c in db.session.scalars(select(Category))}
    before = {name: c.position for name, c in existing.items()}
    added = False
    for number, name in enumerate(wanted, start=1):
        category = existing.get(name)
        if category is None:
            db.session.add(Category(name=name, position=number))
            added = True
        else:
            category.position = number
    for offset, category in enumerate(c for n, c in sorted(existing.items()) if n not in wanted):
        category.position = len(wanted) + 1 + offset
    return added or any(c.position != before[name] for name, c in existing.items())
