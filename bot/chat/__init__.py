"""オンライン窓口: residents and staff talk in LINE while the bot steps aside (issue 22).

A contact request (「職員と話したい」) or the rich menu's 「職員に相談」 starts a chat during the counter's hours; the
resident's messages and photos then go to staff (the safety detector still answers first), staff reply by push
from the console page 窓口, and the chat ends by staff, by the resident (「チャットを終える」) or after a quiet period.
"""
from __future__ import annotations

from flask import Flask

from bot.chat import labels as _labels  # noqa: F401  (registers its Japanese names in bot.core.labels)


def init_app(app: Flask) -> None:
    """Add `flask chat …` (the console page hangs on the console's blueprint)."""
    from bot.chat.cli import chat_cli

    app.cli.add_command(chat_cli)
