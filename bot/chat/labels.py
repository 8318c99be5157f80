"""The counter's Japanese names (audit actions and fields), registered in bot.core.labels."""
from __future__ import annotations

from bot.core import labels

labels.register(actions={
    "chat.open": "オンライン窓口のチャットを開始",
    "chat.end": "オンライン窓口のチャットを終了",
    "chat.view": "オンライン窓口のチャットを閲覧",
    "chat.assign": "チャットの担当になる",
    "chat.memo": "チャットの職員メモを保存",
    "chat.resend": "チャットの返信を再送信",
    "chat.settings": "オンライン窓口の設定を変更",
    "chat.switch_open": "オンライン窓口を開ける",
    "chat.switch_closed": "オンライン窓口を閉める",
    "chat.switch_auto": "オンライン窓口を時間どおりに戻す",
    "chat.template": "定型文を保存",
    "chat.template_delete": "定型文を削除",
    "chat.purge": "保存期間を過ぎたチャットを削除",
    "user.chat": "窓口担当の変更",
}, actors={
    "system": "システム（自動）",
    "resident": "住民（LINE）",
}, values={
    "chat_switch": {"auto": "時間どおり", "open": "開ける（時間外も）", "closed": "閉める（時間内も）"},
    "chat_mark_read": {"on": "既読をつける", "off": "既読をつけない"},
    "handles_chat": {True: "窓口担当", False: "窓口担当でない"},
}, fields={
    "chat_hours": "受付時間",
    "chat_days": "受付日",
    "chat_switch": "窓口の状態",
    "chat_quiet_minutes": "自動で終える時間（分）",
    "chat_push_quota": "月の送信上限",
    "chat_mark_read": "既読をつける",
    "chat_retention_days": "保存期間（日）",
    "assigned_to": "担当",
    "handles_chat": "窓口担当",
})
