"""The offices' Japanese names (audit actions), registered in the core label registry.

An office's fields are named in bot/offices/pack.py (LABELS) for its own pages; its revision reasons are the
entries' (bot/knowledge/labels.py)."""
from __future__ import annotations

from bot.core import labels

labels.register(actions={"office.create": "担当課を追加", "office.edit": "担当課を編集", "office.import": "担当課を取り込み"})
