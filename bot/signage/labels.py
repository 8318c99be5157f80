"""The signage's Japanese names (audit actions), registered in the core label registry."""
from __future__ import annotations

from bot.core import labels

labels.register(actions={
    "signage.facility.add": "サイネージの施設を登録",
    "signage.facility.edit": "サイネージの施設を変更",
    "signage.facility.delete": "サイネージの施設を削除",
    "signage.screen.add": "サイネージの画面を追加",
    "signage.screen.rekey": "サイネージの画面のURLを再発行",
    "signage.screen.retire": "サイネージの画面を廃止",
})
