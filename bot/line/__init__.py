"""Everything that knows the LINE wire format: webhook, client, message builders, each town's channel."""
from bot.line import labels as _labels  # noqa: F401  (registers the room's Japanese names)
