"""The town itself: its name, switchboard, opening hours, website and disaster mode."""
from bot.town import labels as _labels  # noqa: F401  (registers its Japanese names in bot.core.labels)
