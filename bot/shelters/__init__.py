"""Shelters (避難所) and disaster answers: the pack's list, statuses staff set in the console, and what
residents get in 災害時モード when they ask about evacuation, shelters, outages or their family."""
from bot.shelters import labels as _labels  # noqa: F401  (registers its Japanese names in bot.core.labels)
