"""Send many safety phrasings through one app's signed webhook, each from its own resident."""
from __future__ import annotations

import json

from sqlalchemy import select

from bot.extensions import db
from bot.models import QuestionLog
from tests.support import events

REPLY = "/v2/bot/message/reply"


def reply_uris(fake_line) -> list[str]:
    """Return every URI (call buttons, links) in the first reply the fake LINE API received."""
    flat = json.dumps(fake_line.calls(REPLY)[0].body["messages"], ensure_ascii=False)
    return [part.split('"')[0] for part in flat.split('"uri": "')[1:]]


def ask_each(app, webhook, fake_line, texts: list[str]) -> list[tuple[list[str], str]]:
    """Send each text through the signed webhook from its own resident (nothing carries over from one message to the
    next); return each reply's URIs and the outcome its question log records. One app for a whole list: building one
    per message cost most of these tests' time."""
    answers = []
    for n, text in enumerate(texts):
        fake_line.reset()
        assert webhook([events.text(text, user=f"U{n:032x}")]).status_code == 200, text
        with app.app_context():
            outcome = db.session.scalar(select(QuestionLog.outcome).order_by(QuestionLog.id.desc()).limit(1))
        answers.append((reply_uris(fake_line), outcome))
    return answers
