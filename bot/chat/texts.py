"""What the bot says to a resident about the counter (オンライン窓口). Pure functions."""
from __future__ import annotations

from datetime import datetime

END_WORDS = ("チャットを終える", "チャットを終了", "チャット終了", "チャットをおわる", "チャットを終わる")
EMERGENCY = "命に関わる急ぎのときは、迷わず119番（火事・救急）・110番（事件・事故）へ電話してください。"


def is_end(text: str) -> bool:
    """Tell whether a resident's message asks to end the chat."""
    key = "".join(text.split()).rstrip("。!！")
    return key in END_WORDS


def started(contact: str, hours_text: str, until: str) -> str:
    return (f"オンライン窓口におつなぎしました。{contact}の職員が、このトークで順番にお返事します"
            f"（受付時間：{hours_text}{until}）。ご用件をお書きください。写真も送れます。\n\n"
            f"{EMERGENCY}\n\nチャットを終えるときは「チャットを終える」と送ってください。")


def waiting(opens: datetime | None, hours_text: str) -> str:
    when = (f"次に窓口が開くのは {opens.month}月{opens.day}日 {opens.hour}:{opens.minute:02d} です。"
            if opens else "窓口が開く時間は決まっていません。")
    return (f"ただいまオンライン窓口の受付時間外です（受付時間：{hours_text}）。{when}"
            "ご希望は職員に伝えました。窓口が開いたら、このトークで職員からお返事します。\n\n" + EMERGENCY)


def already(status_open: bool) -> str:
    return ("職員とのチャット中です。このままご用件をお書きください。" if status_open else
            "オンライン窓口へのご希望は受け付け済みです。窓口が開いたら職員からお返事します。")


def ended_by_resident() -> str:
    return "チャットを終えました。ご利用ありがとうございました。これからは、ボットが自動でお答えします。"


def ended_by_staff() -> str:
    return ("職員とのチャットを終了しました。ご利用ありがとうございました。これからは、ボットが自動でお答えします。"
            "また職員と話したいときは「職員と話したい」と送ってください。")


def ended_quietly() -> str:
    return "しばらくやりとりがなかったため、前回の職員とのチャットは終了しました。ボットがお答えします。"


def photo_refused(reason: str) -> str:
    return f"写真を受け取れませんでした（{reason}）。文章でお知らせください。"
