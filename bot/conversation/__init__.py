"""Turn one incoming event into the bot's reply: answer, suggest, fallback or small talk."""
from bot.conversation import labels as _labels  # noqa: F401  (registers its Japanese names in bot.core.labels)
from bot.conversation.incoming import Incoming, Reply
from bot.conversation.service import Prepared, prepare, respond, respond_to_event

__all__ = ["Incoming", "Prepared", "Reply", "prepare", "respond", "respond_to_event"]
