"""The notices' Japanese names (audit actions, channels and display times), registered in the core label registry."""
from __future__ import annotations

from bot.core import labels

labels.register(
    actions={
        "notice.create": "お知らせを作成",
        "notice.edit": "お知らせを編集",
        "notice.request": "お知らせの承認を依頼",
        "notice.approve": "お知らせを承認",
        "notice.send_back": "お知らせを差し戻し",
        "notice.withdraw": "お知らせの承認依頼を取り下げ",
        "notice.cancel": "お知らせを取り消し",
        "notice.unpublish": "お知らせの掲載を取り下げ",
        "notice.test_send": "お知らせをテスト送信",
        "notice.test_recipient.add": "テスト送信先を登録",
        "notice.test_recipient.remove": "テスト送信先を削除",
    },
    fields={"channels": "配信先", "facilities": "サイネージの施設", "display_from": "表示の開始",
            "display_until": "表示の終了"},
    values={"channels": {"line": "LINE", "signage": "サイネージ", "web": "公開ページ"}},
)
