"""Database models, one module per concern."""
from bot.models.accounts import AuditLog, RoleGrant, User
from bot.models.booking import Booking, BookingClosure, BookingFacility, BookingUnit
from bot.models.categories import Category
from bot.models.chat import Chat, ChatMessage, ChatTemplate
from bot.models.conversation import ProcessedEvent, QuestionLog
from bot.models.followers import Follower
from bot.models.formlinks import FormLinkUse
from bot.models.forms import FormSetting, FormSubmission, FormVersion
from bot.models.inbox import InboxResolution
from bot.models.knowledge import Entry, EntryRevision, KnowledgeVersion
from bot.models.kpi import Kpi, KpiActual
from bot.models.notices import (
    FollowerCount, Notice, NoticeOptOut, OutboxBatch, Subscription, TestRecipient, TopicOffer, WorkerLease,
)
from bot.models.offices import Office, OfficeRevision
from bot.models.operators import Operator, OperatorAudit
from bot.models.ratelimits import RateLimitCount
from bot.models.richmenu import RichMenuDefinition
from bot.models.richmenu_publish import RichMenuPublication
from bot.models.shelters import Shelter
from bot.models.signage import Facility, Screen
from bot.models.timeutil import utcnow
from bot.models.town import TownSetting

__all__ = [
    "AuditLog",
    "Booking",
    "BookingClosure",
    "BookingFacility",
    "BookingUnit",
    "Category",
    "Chat",
    "ChatMessage",
    "ChatTemplate",
    "Entry",
    "EntryRevision",
    "Facility",
    "Follower",
    "FollowerCount",
    "FormLinkUse",
    "FormSetting",
    "FormSubmission",
    "FormVersion",
    "InboxResolution",
    "KnowledgeVersion",
    "Kpi",
    "KpiActual",
    "Notice",
    "NoticeOptOut",
    "Office",
    "Operator",
    "OperatorAudit",
    "OfficeRevision",
    "OutboxBatch",
    "ProcessedEvent",
    "QuestionLog",
    "RateLimitCount",
    "RichMenuDefinition",
    "RichMenuPublication",
    "RoleGrant",
    "Screen",
    "Shelter",
    "Subscription",
    "TestRecipient",
    "TopicOffer",
    "TownSetting",
    "User",
    "WorkerLease",
    "utcnow",
]
