"""One limiter for every door, counted in the database: shared by app instances, kept across restarts, atomic."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from bot import create_app
from bot.core import ratelimit
from bot.extensions import db
from bot.models import AuditLog, RateLimitCount
from tests.support.console import EDITOR, login, make_users
from tests.conftest import base_config
from tests.forms.support import URL
from tests.notices.support import FAST, PUSH, add_test_recipient


def _instance(app, fake_line, **config):
    """Return another app object on the same database: another worker, another server, or the app restarted."""
    other = create_app({**base_config(app.config["SQLALCHEMY_DATABASE_URI"], fake_line), **config})
    return other


def _close(app) -> None:
    app.extensions["line_sender"].close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _post(app, addr: str = "192.0.2.10") -> int:
    # No CSRF token: the limiter answers before the token is checked (429), otherwise the page says 400.
    return app.test_client().post(URL, data={"step": "confirm"}, environ_base={"REMOTE_ADDR": addr}).status_code


def test_two_app_instances_share_the_form_limit_and_a_restart_keeps_it(loaded_app, fake_line):
    first = _instance(loaded_app, fake_line, FORM_POSTS_PER_WINDOW=5)
    second = _instance(loaded_app, fake_line, FORM_POSTS_PER_WINDOW=5)
    statuses = [_post(first if n % 2 else second) for n in range(5)]
    assert statuses == [400] * 5
    # Each instance saw only two or three posts; together the client reached the limit.
    assert _post(first) == 429 and _post(second) == 429
    page = second.test_client().post(URL, data={"step": "confirm"}, environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert "しばらくお待ちください" in page.get_data(as_text=True) and "10分ほどたってから" in page.get_data(as_text=True)
    assert _post(first, "192.0.2.11") == 400  # another client has its own count
    _close(first)
    _close(second)
    restarted = _instance(loaded_app, fake_line, FORM_POSTS_PER_WINDOW=5)
    assert _post(restarted) == 429
    _close(restarted)


def test_keys_hold_no_address_in_clear(app):
    with app.app_context():
        limit = ratelimit.Limit("door", 3, 60)
        assert limit.hit("203.0.113.99") and limit.hit("hanako@example.jp")
        keys = list(db.session.scalars(select(RateLimitCount.key)))
    assert len(keys) == 2 and all(k.startswith("door:") and len(k) == len("door:") + 64 for k in keys)
    assert not any("203.0.113" in k or "hanako" in k for k in keys)


def test_concurrent_hits_never_pass_the_limit(app):
    limit = ratelimit.Limit("burst", 7, 600)
    results: list[bool] = []
    barrier = threading.Barrier(16)

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            for _ in range(3):
                results.append(limit.hit("198.51.100.1"))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 48 and results.count(True) == 7
    with app.app_context():
        assert db.session.scalar(select(func.sum(RateLimitCount.count))) == 7  # refused hits are not counted
        assert ratelimit.remaining(limit, "198.51.100.1") == 0


def test_the_window_slides_and_old_windows_are_deleted(app):
    limit = ratelimit.Limit("slide", 4, 100)
    with app.app_context():
        assert all(limit.hit("c", now=1_000_050.0) for _ in range(4))
        assert not limit.hit("c", now=1_000_099.0)
        # Just past the window's edge most of the last window still counts: no fresh burst of four.
        assert limit.hit("c", now=1_000_101.0) is False
        assert limit.hit("c", now=1_000_160.0)  # 40 % of the last window's 4 still counts (2): 2 places, 1 used
        assert ratelimit.remaining(limit, "c", now=1_000_160.0) == 1
        # Two windows later the old rows are gone: the table does not grow without bound.
        assert limit.hit("other", now=1_000_400.0)
        starts = set(db.session.scalars(select(RateLimitCount.window_start)))
    assert starts == {1_000_400}


@pytest.fixture
def console(loaded_app):
    settings = {**FAST, "NOTICE_TOPICS": "", "NOTICE_APPROVAL_REQUIRED": True, "WTF_CSRF_ENABLED": False,
                "NOTICE_TEST_SENDS_PER_HOUR": 3}
    loaded_app.config.update(settings)
    loaded_app.config["SETTINGS_FOR_TEST"] = settings
    make_users(loaded_app)
    return loaded_app


def _editor(app):
    client = app.test_client()
    assert login(client, EDITOR).status_code == 302
    return client


def test_simultaneous_test_sends_from_two_workers_stop_at_the_hourly_limit(console, fake_line):
    recipient = add_test_recipient(console)
    other = _instance(console, fake_line, **console.config["SETTINGS_FOR_TEST"])
    editor = _editor(console)
    notice = editor.post("/admin/notices/new", data={"title": "説明会", "body": "開きます。", "audience": "all",
                                                      "timing": "now"})
    notice_id = int(notice.headers["Location"].rsplit("/", 1)[1])
    clients = [_editor(console if n % 2 else other) for n in range(8)]
    pages: list[str] = []
    barrier = threading.Barrier(len(clients))

    def send(client) -> None:
        barrier.wait()
        pages.append(client.post(f"/admin/notices/{notice_id}/test", data={"recipient": recipient},
                                 follow_redirects=True).get_data(as_text=True))

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(pages) == 8
    assert sum("にテスト送信しました" in p for p in pages) == 3
    assert sum("テスト送信は1時間に3回までです" in p for p in pages) == 5
    assert len(fake_line.calls(PUSH)) == 3
    with console.app_context():
        assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "notice.test_send")) == 3
    _close(other)


def test_login_throttling_is_shared_by_two_instances_and_kept_across_a_restart(console, fake_line):
    # Login counts its failures on this same limiter (bot/staff/throttle.py): five wrong passwords for one
    # account from one client, spread over two workers, pause that pair in both and after a restart.
    config = {**console.config["SETTINGS_FOR_TEST"]}
    first, second = _instance(console, fake_line, **config), _instance(console, fake_line, **config)
    statuses = [login((first if n % 2 else second).test_client(), EDITOR, "wrong guess",
                      ).status_code for n in range(5)]
    assert statuses == [401] * 5
    refused = first.test_client().post("/admin/login", data={"email": EDITOR, "password": "wrong guess"})
    assert refused.status_code == 429 and "しばらくログインできません" in refused.get_data(as_text=True)
    _close(first)
    _close(second)
    restarted = _instance(console, fake_line, **config)
    assert login(restarted.test_client(), EDITOR).status_code == 429  # even the right password waits
    _close(restarted)


def test_take_counts_several_limits_together_or_none(app):
    narrow, wide = ratelimit.Limit("narrow", 2, 600), ratelimit.Limit("wide", 3, 600)
    with app.app_context():
        first = ratelimit.take([(narrow, "a"), (wide, "c")], now=1_000_000.0)
        assert first and first.full == ()
        second = ratelimit.take([(narrow, "a"), (wide, "c")], now=1_000_001.0)
        assert second and second.full == (narrow,)  # it took narrow's last place
        # narrow refuses for "a": wide is not counted either, so "b" still finds one place in it.
        refused = ratelimit.take([(narrow, "a"), (wide, "c")], now=1_000_002.0)
        assert not refused and refused.refused == narrow and refused.counted == ()
        assert ratelimit.remaining(wide, "c", now=1_000_002.0) == 1
        last = ratelimit.take([(narrow, "b"), (wide, "c")], now=1_000_003.0)
        assert last and last.full == (wide,)


def test_give_back_uncounts_what_was_taken(app):
    limit = ratelimit.Limit("failures", 2, 600)
    with app.app_context():
        for _ in range(5):  # work that went well gives its place back: it never fills the door
            ratelimit.give_back(ratelimit.take([(limit, "c")], now=1_000_000.0))
        assert ratelimit.remaining(limit, "c", now=1_000_000.0) == 2
        taken = ratelimit.take([(limit, "c")], now=1_000_590.0)
        # Given back after its window's edge: the hit is uncounted where it was counted, not in the new window.
        ratelimit.give_back(taken)
        assert ratelimit.remaining(limit, "c", now=1_000_610.0) == 2
        assert db.session.scalar(select(func.sum(RateLimitCount.count))) == 0


def test_a_finer_step_ends_a_pause_one_window_after_the_hits(app):
    # Four hits late in a 100-second window: with one step per window the weighted share would free places
    # after as little as 20 seconds; with 10-second steps the hits count whole until they leave the window.
    coarse, fine = ratelimit.Limit("coarse", 4, 100), ratelimit.Limit("fine", 4, 100, step=10)
    with app.app_context():
        for limit in (coarse, fine):
            assert all(limit.hit("c", now=1_000_095.0) for _ in range(4))
        assert coarse.hit("c", now=1_000_125.0)
        assert not fine.hit("c", now=1_000_189.0)
        assert ratelimit.remaining(fine, "c", now=1_000_189.0) == 0
        assert fine.hit("c", now=1_000_200.0)  # the step the hits were in (90-100) has left the window
        assert ratelimit.remaining(fine, "c", now=1_000_200.0) == 3


def test_concurrent_takes_over_overlapping_keys_never_pass_a_limit_or_deadlock(app):
    # Like logins: each take holds an account's and an address's budget, and the threads share both in
    # crossing patterns (two accounts from two addresses). Keys are taken in one order, so PostgreSQL's row locks
    # never wait in a cycle; whatever the interleaving, no budget holds more than its limit.
    account, address = ratelimit.Limit("t_account", 9, 600), ratelimit.Limit("t_address", 7, 600)
    outcomes: list[tuple[str, str, bool]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(16)

    def worker(n: int) -> None:
        email, ip = f"user{n % 2}", f"10.0.0.{n // 2 % 2}"
        with app.app_context():
            barrier.wait()
            try:
                for _ in range(4):
                    outcomes.append((email, ip, bool(ratelimit.take([(account, email), (address, ip)]))))
            except BaseException as exc:  # a deadlock would surface here as an error from the database
                errors.append(exc)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and len(outcomes) == 64
    taken = [(email, ip) for email, ip, ok in outcomes if ok]
    with app.app_context():
        for email in ("user0", "user1"):
            counted = sum(1 for e, _ in taken if e == email)
            assert counted <= 9 and counted == 9 - ratelimit.remaining(account, email)
        for ip in ("10.0.0.0", "10.0.0.1"):
            counted = sum(1 for _, i in taken if i == ip)
            assert counted <= 7 and counted == 7 - ratelimit.remaining(address, ip)
    assert len(taken) == 14  # both addresses full (7 + 7); neither account could reach 9 through them
