"""Database models, one module per concern."""
from bot.models.accounts import AuditLog, LoginAttempt, User
from bot.models.conversation import ProcessedEvent, QuestionLog
from bot.models.followers import Follower
from bot.models.inbox import InboxResolution
from bot.models.knowledge import Entry, EntryRevision, KnowledgeVersion
from bot.models.timeutil import utcnow

__all__ = [
    "AuditLog",
    "Entry",
    "EntryRevision",
    "Follower",
    "InboxResolution",
    "KnowledgeVersion",
    "LoginAttempt",
    "ProcessedEvent",
    "QuestionLog",
    "User",
    "utcnow",
]
