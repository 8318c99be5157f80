"""What residents do about notices in the chat: settings, toggles, 「配信停止」, and the offer under answers."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

from bot.line import flex, messages, postback
from bot.line.limits import MAX_ALT_TEXT, clip, label
from bot.line.messages import Chip, Message
from bot.models import Follower
from bot.notices import subscriptions, topics
from bot.notices.subscriptions import Choices

if TYPE_CHECKING:
    from bot.followers import FollowerState

ACTIONS = ("nset", "sub", "unsub", "gen", "nstop")
OFFER_LABEL = "このテーマのお知らせを受け取る"
GENERAL = "全員向けのお知らせ"


def handle_text(kind: str, user_id: str | None) -> list[Message]:
    """Answer 「お知らせ設定」 or 「配信停止」 (recognised by bot.conversation.commands)."""
    if not user_id:
        return [_only_in_line()]
    row = subscriptions.follower(user_id)
    if kind == "stop":
        subscriptions.stop_all(row)
        return [messages.text(
            "すべてのお知らせの配信を停止しました。\n"
            "質問にはこれまでどおりお答えします。再開するときは「お知らせ設定」と送ってください。",
            [Chip("お知らせ設定", postback.encode("nset"), "お知らせ設定")])]
    return [settings_bubble(subscriptions.choices(row), "お知らせ設定")]


def handle_postback(params: dict[str, str], user_id: str | None) -> list[Message]:
    """Act on a settings button: subscribe, unsubscribe, everyone-notices on/off, stop all, or show settings."""
    if not user_id:
        return [_only_in_line()]
    row = subscriptions.follower(user_id)
    action = params.get("a")
    if action == "nstop":
        return handle_text("stop", user_id)
    topic = topics.find(params.get("t", ""))
    if action in ("sub", "unsub") and topic is None:
        return [settings_bubble(subscriptions.choices(row), "そのテーマは今は選べません。ほかのテーマを選んでください。")]
    if action == "sub":
        subscriptions.subscribe(row, topic.slug, source="answer" if params.get("o") else "settings")
        note = f"「{topic.name}」のお知らせをお届けします。"
    elif action == "unsub":
        subscriptions.unsubscribe(row, topic.slug)
        note = f"「{topic.name}」のお知らせを停止しました。"
    elif action == "gen":
        on = params.get("v") == "1"
        subscriptions.set_general(row, on)
        note = f"{GENERAL}を{'受け取ります' if on else '停止しました'}。"
    else:
        note = "お知らせ設定"
    return [settings_bubble(subscriptions.choices(row), note)]


def offer_chip(user_id: str | None, category: str, follower: Follower | FollowerState | None = None) -> Chip | None:
    """Return 「このテーマのお知らせを受け取る」 once per topic per resident, or None."""
    if not user_id:
        return None
    topic = topics.for_category(category)
    if topic is None:
        return None
    row = follower or subscriptions.follower(user_id)
    if row.status != "active" or not subscriptions.offer_once(row, topic.slug):
        return None
    return offer(topic)


def offer(topic: topics.Topic) -> Chip:
    """Return the quick reply that subscribes to a topic's notices from under an answer."""
    return Chip(OFFER_LABEL, postback.encode("sub", t=topic.slug, o=1), f"「{topic.name}」のお知らせを受け取る")


def summary(choices: Choices) -> str:
    """Say in one line what the resident receives now."""
    names = topics.names(list(choices.topics)) + ([GENERAL] if choices.general else [])
    if not names:
        return "いまはお知らせを受け取っていません。"
    return "いま受け取っているお知らせ：" + "、".join(names)


def settings_bubble(choices: Choices, note: str) -> Message:
    """Show every topic as a toggle button, what the resident receives now, and a stop-all button."""
    rows = []
    for topic in topics.all_topics():
        on = topic.slug in choices.topics
        rows.append(_toggle(topic.name, on, postback.encode("unsub" if on else "sub", t=topic.slug)))
    rows.append(_toggle(GENERAL, choices.general, postback.encode("gen", v="0" if choices.general else "1")))
    bubble = flex.bubble(
        header=flex.box("vertical", [
            flex.text("お知らせ設定", "md", weight="bold"),
            flex.text(note, "sm", wrap=True),
        ]),
        body=flex.box("vertical", [
            flex.text(summary(choices), "xs", color="#666666", wrap=True),
            flex.text("ボタンを押すと、受け取る・受け取らないが切り替わります。", "xs", color="#999999", wrap=True),
            *rows,
        ], spacing="sm"),
        footer=flex.box("vertical", [flex.button(flex.postback_action(
            "すべて停止（配信停止）", postback.encode("nstop"), "配信停止"), "link")]),
    )
    return flex.message(clip(f"{note}\n{summary(choices)}", MAX_ALT_TEXT), bubble)


def _toggle(name: str, on: bool, data: str) -> flex.Node:
    caption = ("✅ " if on else "⬜ ") + name
    return flex.button(flex.postback_action(label(caption), data, f"{name}：{'停止' if on else '受け取る'}"),
                       "primary" if on else "secondary")


def _only_in_line() -> Message:
    return messages.text(f"お知らせの設定は、LINE の{current_app.config['TOWN_NAME']}アカウントでご利用いただけます。")
