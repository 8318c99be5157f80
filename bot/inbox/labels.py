"""The inbox's audit actions and fields, as staff read them; registered in the core label registry."""
from __future__ import annotations

from bot.core import labels

labels.register(
    actions={
        "inbox.alternate": "受信箱：想定質問に追加",
        "inbox.dismiss": "受信箱：対応不要にする",
        "inbox.handled": "受信箱：職員対応の希望を対応済み（折り返し済み）にする",
        "inbox.new_entry": "受信箱：新しい回答を作成",
        "inbox.check": "受信箱：緊急・要配慮のメッセージを確認済みにする",
    },
    fields={"question": "質問", "count": "件数", "reason": "理由", "ids": "質問の番号"},
)
