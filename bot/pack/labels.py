"""The pack's Japanese names (the import's audit action and actor), registered in the core label registry."""
from __future__ import annotations

from bot.core import labels

labels.register(actions={"import": "ファイルから取り込み"}, actors={"kb import": "パックの取り込み（コマンドライン）"})
