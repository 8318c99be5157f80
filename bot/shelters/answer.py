"""Where the conversation meets the shelters room: is this a disaster question, and its answer."""
from __future__ import annotations

from bot.line.messages import Message
from bot.town.model import Town
from bot.shelters import reply, topics
from bot.shelters.store import open_shelters
from bot.town.settings import current_town


def disaster_topics(text: str, town: Town | None = None) -> tuple[str, ...]:
    """Return the disaster topics of a message while disaster mode is on; () otherwise (the usual answer)."""
    if not (town or current_town()).disaster:
        return ()
    return topics.current().find(text).topics


def public_shelters() -> list[reply.ShelterView]:
    """Return the open and full shelters as residents and screens may see them."""
    return [reply.ShelterView(name=s.name, address=s.address or "", status=s.status, status_label=s.status_label,
                              updated=s.status_at, note=s.note or "", capacity=s.capacity)
            for s in open_shelters()]


def disaster_answer(found: tuple[str, ...], town: Town) -> Message:
    """Return the disaster answer for the topics found."""
    return reply.answer(found, public_shelters(), town, topics.current().nationwide)
