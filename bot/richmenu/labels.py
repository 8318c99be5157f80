"""The rich menu's Japanese names (audit actions and publish fields), registered in the core label registry."""
from __future__ import annotations

from bot.core import labels

labels.register(
    actions={
        "richmenu.edit": "リッチメニューを編集",
        "richmenu.import": "リッチメニューを取り込み",
        "richmenu.image_upload": "リッチメニューの画像を登録",
        "richmenu.image_clear": "リッチメニューの画像を削除",
        "richmenu.publish": "リッチメニューをLINEに公開",
        "richmenu.confirm": "リッチメニューの変更内容を確認",
    },
    fields={"menu_id": "LINEのメニューID", "default": "友だち全員に表示"},
)
