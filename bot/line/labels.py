"""The LINE room's Japanese names (audit actions), registered in the core label registry."""
from __future__ import annotations

from bot.core import labels

labels.register(
    actions={"town.bot_user_id": "ボットのユーザーIDを記録（LINEからの最初の通知で）"},
    actors={"system": "システム（自動）"},
    fields={"bot_user_id": "ボットのユーザーID"},
)
