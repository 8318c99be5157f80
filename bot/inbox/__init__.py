"""The inbox: what the bot could not answer, grouped for staff, and the safety messages staff must see."""

from bot.inbox import labels as _labels  # noqa: F401,E402  (registers the inbox's Japanese names)
