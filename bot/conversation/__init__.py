"""Turn one incoming event into the bot's reply: answer, suggest, fallback or small talk."""
from bot.conversation.incoming import Incoming, Reply
from bot.conversation.service import Prepared, prepare, respond, respond_to_event

__all__ = ["Incoming", "Prepared", "Reply", "prepare", "respond", "respond_to_event"]
