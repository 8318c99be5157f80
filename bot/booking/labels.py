"""The booking's Japanese names (audit actions and the fields its audit rows carry), registered in bot.core.labels."""
from __future__ import annotations

from bot.core import labels

labels.register(actions={
    "booking.create": "施設を予約",
    "booking.cancel": "施設の予約を取消し",
    "booking.status": "施設予約の状態を変更",
    "booking.memo": "施設予約のメモを変更",
    "booking.closure": "施設を休館に",
    "booking.reopen": "施設の休館を取りやめ",
    "booking.import": "施設を取り込み",
    "booking.export": "施設予約をCSVで書き出し",
    "booking.remind": "施設予約の前日のお知らせ",
    "booking.retention": "施設予約の保存期間を変更",
    "booking.purge": "保存期間を過ぎた施設予約の個人情報を消去",
    "user.bookings": "施設予約担当を変更",
}, actors={"resident": "住民（LINE）", "reminder": "前日のお知らせ（自動）"}, fields={
    "booking_slot": "日時",
    "people": "人数",
    "booking_status": "予約の状態",
    "booking_channel": "受付方法",
    "closure_days": "休館の期間",
    "handles_bookings": "施設予約担当",
    "booking_retention_days": "施設予約の保存期間（日）",
}, values={"handles_bookings": {True: "施設予約担当", False: "施設予約担当でない"}})
