"""Database models, one module per concern."""
from bot.models.conversation import ProcessedEvent, QuestionLog
from bot.models.followers import Follower
from bot.models.knowledge import Entry, EntryRevision, KnowledgeVersion
from bot.models.timeutil import utcnow

__all__ = [
    "Entry",
    "EntryRevision",
    "Follower",
    "KnowledgeVersion",
    "ProcessedEvent",
    "QuestionLog",
    "utcnow",
]
