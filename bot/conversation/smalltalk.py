"""What the bot says to greetings, farewells, thanks and complaints, fitted to the time of day in Japan. Pure functions."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.conversation.commands import GREETINGS, PARTINGS

# Japan has kept one offset all year since 1951: no time-zone database needed.
JST = timezone(timedelta(hours=9), "JST")

_TIME_GREETING = {"morning": "おはようございます", "day": "こんにちは", "evening": "こんばんは"}


def clock() -> datetime:
    """Return the time now in Japan."""
    return datetime.now(JST)


def part_of_day(now: datetime) -> str:
    """Return morning (4–10 h), day (11–17 h) or evening in Japan time."""
    hour = now.astimezone(JST).hour
    if 4 <= hour < 11:
        return "morning"
    return "day" if 11 <= hour < 18 else "evening"


def opens_conversation(kind: str) -> bool:
    """Return whether the reply should offer the topics, as a greeting starts a conversation."""
    return kind in GREETINGS


def reply_text(kind: str, town_name: str, now: datetime) -> str:
    """Return the reply to a greeting, farewell or thanks, said at `now`."""
    part = part_of_day(now)
    invite = f"{town_name}のご案内ボットです。知りたいことを、そのまま文章で送ってください。"
    if kind == "intro":
        return f"はじめまして！{invite}"
    if kind == "regards":
        return f"こちらこそ、よろしくお願いします。{invite}"
    if kind in GREETINGS:
        # Answered with the greeting of the hour: 「おはよう」 at three in the afternoon gets 「こんにちは！」.
        return f"{_TIME_GREETING[part]}！{invite}"
    if kind == "complaint":
        return ("うまくお答えできず、ごめんなさい。知りたいことを短い言葉で送り直していただくか、「メニュー」から話題を選んでください。"
                "職員に伝えたいときは「人と話したい」と送ってください。")
    if kind == "night":
        return "おやすみなさい。ご利用ありがとうございました。またいつでも聞いてください。"
    if kind in PARTINGS:
        later = "どうぞよい夜をお過ごしください。" if part == "evening" else "またいつでも聞いてください。"
        return f"ご利用ありがとうございました。{later}"
    return "どういたしまして！ほかにも気になることがあれば、いつでも聞いてください。"
