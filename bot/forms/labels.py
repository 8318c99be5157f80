"""The forms' and applications' Japanese names, registered in the core label registry."""
from __future__ import annotations

from bot.core import labels

labels.register(
    actions={
        "application.list": "申込みの一覧を表示",
        "application.view": "申込みの内容を表示",
        "application.export": "申込みをCSVで書き出し",
        "application.status": "申込みの状態を変更",
        "application.memo": "申込みのメモを変更",
        "application.delete": "申込みを削除（本人の求め）",
        "application.purge": "申込みを削除（保存期間の経過）",
        "form.paper": "紙の登録者数を変更",
        "form.retention": "申込みの保存期間を変更",
        "form.edit": "フォームの定義を変更",
        "user.applications": "申込み担当の付与・解除",
    },
    actors={"system": "システム（自動）"},  # the purge after the retention period
    fields={"handles_applications": "申込み担当", "application_status": "申込みの状態",
            "paper_registrations": "紙の登録者数", "retention_days": "保存期間（日）", "form": "フォーム",
            "channel": "経路", "since": "受付日（から）", "until": "受付日（まで）", "search": "検索語"},
    values={"handles_applications": {True: "申込み担当", False: "申込み担当でない"},
            "application_status": {"new": "新規", "confirmed": "確認済み", "in_progress": "対応中", "done": "完了",
                                   "cancelled": "取消"}},
)
