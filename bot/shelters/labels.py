"""The shelters' Japanese names (audit actions), registered in the core label registry."""
from __future__ import annotations

from bot.core import labels

labels.register(actions={
    "shelter.create": "避難所を追加",
    "shelter.edit": "避難所を編集",
    "shelter.import": "避難所を取り込み",
    "shelter.status": "避難所の開設状況を変更",
})
