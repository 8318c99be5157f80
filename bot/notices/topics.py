"""Notice topics: set in settings, or one per category of the knowledge pack."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from bot.knowledge.index import Snapshot, knowledge


@dataclass(frozen=True)
class Topic:
    """Something residents can subscribe to, covering one or more entry categories."""

    slug: str
    name: str
    categories: tuple[str, ...]


def parse_topics(value: str) -> list[Topic]:
    """Parse "slug=Name:category|category, ..."; Name defaults to slug, categories to Name."""
    topics: list[Topic] = []
    for item in (value or "").replace("、", ",").split(","):
        item = item.strip()
        if not item:
            continue
        slug, _, rest = item.partition("=")
        name, _, cats = (rest or slug).partition(":")
        categories = tuple(c.strip() for c in cats.split("|") if c.strip()) or (name.strip(),)
        topics.append(Topic(slug.strip(), name.strip() or slug.strip(), categories))
    return topics


def all_topics(kb: Snapshot | None = None) -> list[Topic]:
    """Return the topics residents can choose from, in a stable order (from kb's categories if given)."""
    configured = parse_topics(current_app.config.get("NOTICE_TOPICS", ""))
    if configured:
        return configured
    # Another town runs the bot with its own pack: its categories are its topics. The knowledge
    # snapshot already holds them, so the answer path asks the database nothing more.
    return [Topic(c, c, (c,)) for c in (kb or knowledge()).categories()]


def find(slug_or_name: str) -> Topic | None:
    """Return the topic with this slug or name."""
    key = (slug_or_name or "").strip()
    return next((t for t in all_topics() if key in (t.slug, t.name)), None)


def for_category(category: str, kb: Snapshot | None = None) -> Topic | None:
    """Return the topic an entry category belongs to."""
    return next((t for t in all_topics(kb) if category in t.categories), None)


def names(slugs: list[str]) -> list[str]:
    """Return display names for topic slugs, keeping unknown slugs as they are."""
    by_slug = {t.slug: t.name for t in all_topics()} | {"@supporters": "応援団員（LINE希望）"}
    return [by_slug.get(s, s) for s in slugs]
