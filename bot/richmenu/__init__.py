"""The rich menu: its definition in the pack, its image, publishing it to LINE, and disaster mode."""
from bot.richmenu import labels as _labels  # noqa: F401  (registers its Japanese names in bot.core.labels)
