"""What the bot did with a message and why, as staff read it; registered in the core label registry."""
from __future__ import annotations

from bot.core import labels

labels.register(
    # QuestionLog.outcome, as the inbox and the question log show it.
    outcomes={"answer": "回答", "suggest": "候補を表示", "fallback": "回答できず", "down": "👎", "choice": "選択",
              "safety": "緊急の案内", "contact": "職員対応の希望", "disaster": "災害時の案内"},
    # The matcher explains itself to engineers in English ("words: 給食費"); staff read these prefixes.
    reason_prefixes={"words: ": "一致した語：", "title: ": "タイトルに近い：", "question: ": "想定質問に近い："},
)
