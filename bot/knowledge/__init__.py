"""The knowledge pack: YAML files on disk and entries in the database."""
from bot.knowledge import labels as _labels  # noqa: F401  (registers the entries' Japanese names)
