"""The simplest possible LINE bot on our stack (Flask + gunicorn + line-bot-sdk v3): it echoes text.

It is the baseline for bench.webhook_load: same signature check, same SDK parse, same reply call
with the same timeout, and nothing else (no database, no matching, no dedupe). Run it with
``gunicorn --config gunicorn.conf.py bench.echo_bot:app``; it reads the bot's LINE settings.
"""
from __future__ import annotations

import os

from flask import Flask, abort, request
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, ReplyMessageRequest, TextMessage
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import MessageEvent, TextMessageContent


def create_app() -> Flask:
    """Create the echo bot."""
    app = Flask(__name__)
    secret = os.environ.get("LINE_CHANNEL_SECRET", "")
    timeout = float(os.environ.get("LINE_API_TIMEOUT", "1.0"))
    configuration = Configuration(host=os.environ.get("LINE_API_ENDPOINT", "https://api.line.me").rstrip("/"),
                                  access_token=os.environ.get("LINE_CHANNEL_ACCESS_TOKEN", ""))
    configuration.retries = False
    api = MessagingApi(ApiClient(configuration))
    parser = WebhookParser(secret)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post("/callback")
    def callback():
        body = request.get_data(as_text=True)
        try:
            events = parser.parse(body, request.headers.get("X-Line-Signature", ""))
        except InvalidSignatureError:
            abort(400)
        except Exception:
            abort(400)
        for event in events:
            if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                try:
                    api.reply_message_with_http_info(
                        ReplyMessageRequest(reply_token=event.reply_token,
                                            messages=[TextMessage(text=event.message.text)]),
                        _request_timeout=timeout)
                except Exception:  # same contract as the bot: a LINE failure is never a 500
                    app.logger.warning("reply failed")
        return {"status": "ok"}

    return app


app = create_app()
