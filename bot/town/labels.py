"""The town settings' Japanese names (fields and audit actions), registered in the core label registry."""
from __future__ import annotations

from bot.core import labels

labels.register(
    actions={
        "town.disaster_on": "災害時モードに切り替え",
        "town.disaster_off": "災害時モードを終了",
        "town.settings": "町の設定を変更",
        "town.settings_reset": "町の設定を初期値に戻す",
    },
    fields={"name": "市町村名", "phone": "代表電話", "hours": "受付時間", "website": "ホームページ",
            "disaster_banner": "災害時の帯", "disaster_greeting": "災害時のあいさつ",
            "power_name": "電力会社の名前", "power_contact": "電力会社の連絡先",
            "water_name": "水道の問い合わせ先の名前", "water_contact": "水道の連絡先",
            "on": "災害時モード", "reason": "理由"},
)
