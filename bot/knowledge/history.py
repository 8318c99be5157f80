"""An entry's revisions as the console shows them: the core diffs (bot/core/revisions.py) in the entries' field order."""
from __future__ import annotations

from functools import partial

from bot.core import revisions
from bot.knowledge.pack import FIELD_ORDER

field_diffs = partial(revisions.field_diffs, order=FIELD_ORDER)
revision_diffs = partial(revisions.revision_diffs, order=FIELD_ORDER)
