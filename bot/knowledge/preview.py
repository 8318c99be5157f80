"""What residents would see: the reply bubble for unsaved form data, and "try it" answers."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


from sqlalchemy import select

from bot.conversation import replies
from bot.extensions import db
from bot.knowledge.index import EntryView, Snapshot, build_snapshot, knowledge
from bot.knowledge.pack import TEXT_LIMITS
from bot.core.version import current_version
from bot.line.messages import answer_bubble
from bot.town.model import Town
from bot.matching import Candidate
from bot.models import Entry, Office
from bot.offices import OfficeView
from bot.core.textrules import SLUG_RE
from bot.town.settings import current_town


def town() -> Town:
    """Return the town's contact details from settings."""
    return current_town()


@dataclass(frozen=True)
class _Draft:
    slug: str
    title: str
    answer: str
    url: str
    contact: str
    source: str


def bubble_for(data: dict[str, Any]) -> dict[str, Any]:
    """Return the LINE message JSON the entry's answer would be sent as (with feedback buttons)."""
    draft = _Draft(**{k: str(data.get(k) or "") for k in ("slug", "title", "answer", "url", "contact", "source")})
    if not (len(draft.slug) <= TEXT_LIMITS["slug"] and SLUG_RE.match(draft.slug)):
        # The form reports a bad slug next to its field; the preview still shows the bubble, whose buttons carry
        # the slug in postback data that LINE limits to 300 characters.
        draft = _Draft("preview", draft.title, draft.answer, draft.url, draft.contact, draft.source)
    if not draft.title.strip() and not draft.answer.strip():
        draft = _Draft(draft.slug, "（タイトル）", "（回答）", draft.url, draft.contact, draft.source)
    # log_id 0 shows the 👍/👎 buttons residents get; the preview never sends them anywhere.
    return answer_bubble(draft, town(), 0, office=_office(str(data.get("office") or "")))


def _office(key: str) -> OfficeView | None:
    """Return the office a draft names as residents would see it, or None."""
    if not key or len(key) > TEXT_LIMITS["office"] or not SLUG_RE.match(key):
        return None
    office = db.session.scalar(select(Office).where(Office.key == key))
    if office is None:
        return None
    return OfficeView(key=office.key, name=office.name, phone=office.phone, hours=office.hours, email=office.email,
                      url=office.url, place=office.place)


@dataclass
class Trial:
    """What the bot would do with a question, and why."""

    question: str
    outcome: str
    candidates: list[tuple[Candidate, EntryView | None]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    drafts_included: bool = False


def try_question(question: str, include_drafts: bool = False) -> Trial:
    """Run a question through the matcher the residents' messages go through, without logging it."""
    kb: Snapshot = build_snapshot(current_version(), include_drafts=True) if include_drafts else knowledge()
    decision = kb.matcher.decide(question)
    ranked = kb.matcher.rank(question, 5)
    t = town()
    top = kb.entries.get(decision.top.id) if decision.top else None
    if decision.outcome == "answer" and top is not None:
        message = replies.answer(top, kb, t, None)
    elif decision.outcome == "suggest":
        message = replies.suggest([c.id for c in decision.candidates], kb, None)
    else:
        message = replies.fallback(kb, t)
    return Trial(
        question=question, outcome=decision.outcome,
        candidates=[(c, kb.entries.get(c.id)) for c in ranked],
        messages=[message], drafts_included=include_drafts,
    )


def entry_score(question: str, entry: Entry) -> tuple[float | None, float]:
    """Return the matcher's score of an entry for a wording (None if unranked) and the suggest cut-off."""
    kb = knowledge() if entry.is_answerable else build_snapshot(current_version(), include_drafts=True)
    ranked = kb.matcher.rank(question, len(kb.entries))
    score = next((c.score for c in ranked if c.id == entry.slug), None)
    return score, kb.matcher.thresholds.suggest


def suggest_cutoff() -> float:
    """Return the score below which the matcher would not even suggest an entry."""
    return knowledge().matcher.thresholds.suggest


def current_candidates(question: str, k: int = 3) -> list[tuple[str, float]]:
    """Return the entries the matcher ranks best for a wording now, with scores."""
    return [(c.id, c.score) for c in knowledge().matcher.rank(question, k)]
