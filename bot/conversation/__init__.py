"""Turn one incoming event into the bot's reply: answer, suggest, fallback or small talk."""
from bot.conversation.incoming import Incoming, Reply
from bot.conversation.service import respond

__all__ = ["Incoming", "Reply", "respond"]
