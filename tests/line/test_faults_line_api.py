"""Faults on the LINE side: slow beyond the timeout, down, rate limited. The webhook stays in budget."""
from __future__ import annotations

import socket
import time

import pytest
from sqlalchemy import func, select

from bot.extensions import db
from bot.line.client import LineGateway
from bot.line.sender import ReplySender
from bot.models import ProcessedEvent
from tests.support import events
from tests.conftest import TOKEN

REPLY = "/v2/bot/message/reply"
BUDGET = 2.0  # LINE's wait for the webhook's 2xx
QUESTIONS = ["給食費ってタダ？", "産後ケアを使いたい", "母子手帳アプリ", "コンビニで住民票", "応援団に登録したい"]


def _five_questions() -> list[dict]:
    # LINE batches events from busy channels into one body: the budget is per body, not per event.
    return [events.text(q, user="U" + f"{i:032d}") for i, q in enumerate(QUESTIONS)]


@pytest.fixture(params=["background", "inline"])
def sender(request, loaded_app):
    """Send replies from the sender's threads (the default), or inline as when its queue is full."""
    if request.param == "inline":
        loaded_app.extensions["line_sender"] = ReplySender(loaded_app.extensions["line_gateway"], threads=0)
    return loaded_app.extensions["line_sender"]


def _warm(webhook, fake_line) -> None:
    # Time the webhook, not the first request's one-off index build (gunicorn's warm-up does it in production).
    assert webhook([events.text("給食費")]).status_code == 200
    fake_line.reset()


def _timed(webhook, batch) -> tuple[int, float]:
    started = time.perf_counter()
    status = webhook(batch, drain=False).status_code
    return status, time.perf_counter() - started


def _recorded(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ProcessedEvent))


def test_line_slower_than_the_timeout_on_a_batched_body_stays_in_budget(loaded_app, sender, webhook, fake_line,
                                                                       caplog):
    _warm(webhook, fake_line)
    fake_line.inject(REPLY, status=200, delay=3.0, times=5)
    status, elapsed = _timed(webhook, _five_questions())
    assert status == 200
    if sender.background:
        # The webhook does not wait for LINE at all; the sender's threads each give up after the timeout.
        assert elapsed < 0.5, elapsed
        assert sender.drain(5)
        assert len(fake_line.calls(REPLY)) == 5
    else:
        # Five sequential 0.5 s timeouts would take 2.5 s; the per-request budget stops at 1.5 s.
        assert elapsed < BUDGET - 0.2, elapsed
        assert "webhook budget is spent" in caplog.text
    assert _recorded(loaded_app) == 6  # every question is still saved for the staff inbox


def test_line_down_connection_refused_answers_fast(loaded_app, sender, webhook, fake_line, caplog):
    _warm(webhook, fake_line)
    with socket.socket() as s:  # a port nothing listens on: connection refused
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    sender.gateway = LineGateway(TOKEN, f"http://127.0.0.1:{closed}", 0.5)
    status, elapsed = _timed(webhook, _five_questions())
    assert status == 200
    assert elapsed < 1.0, elapsed
    assert sender.drain(5)
    assert "LINE reply got no answer" in caplog.text
    assert _recorded(loaded_app) == 6


def test_line_rate_limit_is_not_retried(loaded_app, sender, webhook, fake_line, caplog):
    _warm(webhook, fake_line)
    fake_line.inject(REPLY, status=429, times=5, headers={"Retry-After": "30", "x-line-request-id": "req-429"},
                     body={"message": "The API rate limit has been exceeded."})
    status, elapsed = _timed(webhook, _five_questions())
    assert status == 200
    assert elapsed < 1.0, elapsed
    assert sender.drain(5)
    # One call per event: a retry would burn the rate limit (and, inline, the webhook's budget).
    assert len(fake_line.calls(REPLY)) == 5
    assert "req-429" in caplog.text


def test_a_healthy_line_is_still_called_for_every_event_of_a_slow_body(loaded_app, sender, webhook, fake_line):
    # The budget only cuts calls after LINE stopped answering; slow handling alone never drops replies.
    loaded_app.config["WEBHOOK_BUDGET_SECONDS"] = 0.0
    assert webhook(_five_questions()).status_code == 200
    assert len(fake_line.calls(REPLY)) == 5


def test_a_reply_whose_connection_never_opened_is_sent_again_once(loaded_app, sender, webhook, fake_line, caplog):
    """A dropped handshake means LINE never saw the reply: one more try on a new connection is safe."""
    import logging
    from urllib.parse import urlsplit

    from tests.support.tcpgate import StalledPort

    caplog.set_level(logging.INFO, "bot.line.sender")
    _warm(webhook, fake_line)
    url = urlsplit(fake_line.url)
    gate = StalledPort((url.hostname, url.port))
    gate.assert_stalled()

    class OpenOnFailure(logging.Handler):
        # Runs in the sending thread, between the failed try and the next one: LINE is reachable again.
        def emit(self, record: logging.LogRecord) -> None:
            if "got no answer" in record.getMessage():
                gate.open()

    handler = OpenOnFailure()
    logging.getLogger("bot.line.client").addHandler(handler)
    try:
        sender.gateway = LineGateway(TOKEN, f"http://127.0.0.1:{gate.port}", 0.5)
        event = events.text("給食費ってタダ？")
        assert webhook([event]).status_code == 200
    finally:
        logging.getLogger("bot.line.client").removeHandler(handler)
        gate.close()
    assert "ConnectTimeoutError" in caplog.text and "retrying the reply" in caplog.text
    assert [call.body["replyToken"] for call in fake_line.calls(REPLY)] == [event["replyToken"]]
