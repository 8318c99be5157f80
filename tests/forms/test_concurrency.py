"""Simultaneous submits over real HTTP (a threaded werkzeug server, one thread per request) on both backends.

Issue 19 A1: six submits at once used to make six records. A second application with the same e-mail address is
allowed now (it proves nothing, and is flagged 重複の可能性 for staff), so what the database keeps unique is what
really must be: the receipt number of one confirm step, and one active registration per LINE user and form.
"""
from __future__ import annotations

import threading
from html import unescape

import requests
from sqlalchemy import func, select

from bot.extensions import db
from bot.forms.applications import duplicate_ids
from bot.forms.links import make_link_token
from bot.models import AuditLog, Follower, FormSubmission
from tests.support import events
from tests.support.events import USER
from tests.forms.support import GOOD, URL, hidden, hidden_pairs, receipt
from tests.support.liveserver import LiveServer

N = 6  # within one client's form limits (10 submits, 60 posts in 10 minutes), so no limit is raised here


def _confirmed(base: str, answers: dict, token: str | None = None) -> tuple[requests.Session, str]:
    """Open the form (through a LINE link when given), post the input page; return the session and confirm page."""
    session = requests.Session()
    page = session.get(base + URL + (f"?t={token}" if token else ""), timeout=30)
    assert page.status_code == 200 and page.url == base + URL  # the token went into a cookie
    html = page.text
    data = {**answers, "csrf_token": hidden(html, "csrf_token"), "step": "confirm"}
    if hidden(html, "t"):
        data["t"] = hidden(html, "t")
    confirm = session.post(base + URL, data=data, timeout=30)
    assert confirm.status_code == 200, confirm.text[:500]
    return session, confirm.text


def _submit_all(base: str, confirms: list[tuple[requests.Session, str]]) -> list[requests.Response]:
    """Post every confirm page's 「申し込む」 at the same moment, each from its own thread."""
    barrier = threading.Barrier(len(confirms))
    results: list[requests.Response | BaseException] = [None] * len(confirms)  # type: ignore[list-item]

    def run(i: int) -> None:
        session, html = confirms[i]
        pairs = hidden_pairs(html) + [("step", "submit")]
        barrier.wait()
        try:
            results[i] = session.post(base + URL, data=pairs, timeout=60)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(confirms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert all(isinstance(r, requests.Response) for r in results), results
    return results  # type: ignore[return-value]


def test_the_same_confirm_step_sent_six_times_at_once_is_one_record(loaded_app):
    with LiveServer(loaded_app) as server:
        base = f"http://127.0.0.1:{server.port}"
        session, html = _confirmed(base, GOOD)
        answers = _submit_all(base, [(session, html)] * N)
    assert [r.status_code for r in answers] == [200] * N
    assert len({receipt(r.text) for r in answers}) == 1
    with loaded_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FormSubmission)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "application.create")) == 1


def test_six_links_of_one_line_user_sent_at_once_make_one_registration(loaded_app, webhook):
    webhook([events.follow()])
    with loaded_app.app_context():
        follower = db.session.scalar(select(Follower.id).where(Follower.line_user_id == USER))
        tokens = [make_link_token(follower, "supporters-club") for _ in range(N)]
    with LiveServer(loaded_app) as server:
        base = f"http://127.0.0.1:{server.port}"
        confirms = [_confirmed(base, dict(GOOD, **{"f-city": f"区{i}"}), token) for i, token in enumerate(tokens)]
        assert all(hidden(html, "t") for _, html in confirms)  # each confirm page is linked to the LINE user
        answers = _submit_all(base, confirms)
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [409] * (N - 1), codes
    asked = [r.text for r in answers if r.status_code == 409]
    number = receipt(next(r.text for r in answers if r.status_code == 200))
    # The others are asked whether to update the registration that was just made; nothing else changed.
    assert all(f"すでに登録があります（受付番号 {number}）" in unescape(text) for text in asked)
    with loaded_app.app_context():
        rows = db.session.scalars(select(FormSubmission)).all()
        assert len(rows) == 1 and rows[0].line_user_id == USER and rows[0].receipt_no == number


def test_six_web_applications_with_one_new_address_at_once_are_six_and_all_flagged(loaded_app):
    with LiveServer(loaded_app) as server:
        base = f"http://127.0.0.1:{server.port}"
        confirms = [_confirmed(base, dict(GOOD, **{"f-name": f"同時 {i}"})) for i in range(N)]
        answers = _submit_all(base, confirms)
    assert [r.status_code for r in answers] == [200] * N
    assert all("すでに登録" not in r.text for r in answers)
    with loaded_app.app_context():
        rows = db.session.scalars(select(FormSubmission)).all()
        assert len(rows) == N and len({r.receipt_no for r in rows}) == N
        # Worked out when staff look, so applications made at the same moment are flagged all the same.
        assert duplicate_ids(rows) == {r.id for r in rows}
