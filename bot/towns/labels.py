"""The towns' Japanese names (audit actions), registered in the core label registry."""
from __future__ import annotations

from bot.core import labels

labels.register(
    actions={
        "town.create": "町を作成（運用者）",
        "town.suspend": "町を停止（運用者）",
        "town.resume": "町を再開（運用者）",
        "town.channel": "LINEチャネルの資格情報を変更（運用者）",
        "town.first_admin": "町の最初の管理者を作成（運用者）",
        "towns.reencrypt": "LINEの資格情報を新しい鍵で暗号化し直し（運用者）",
        "operator.create": "運用者を作成",
        "operator.login": "運用者のログイン",
        "operator.logout": "運用者のログアウト",
        "operator.lockout": "運用者のログインを一時停止",
    },
    fields={"line_channel": "LINEチャネル", "changed": "変更した項目"},
)
