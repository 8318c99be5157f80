"""Done-when for signage in Chromium: one approved notice reaches LINE and a facility's screen, leaves it when its
period ends, and the screen keeps its last content while the server is down and picks up new notices after."""
from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update
from werkzeug.serving import make_server

from bot.extensions import db
from bot.models import Notice, utcnow
from bot.notices import worker
from bot.signage import facilities
from tests.support.console import ADMIN, EDITOR, make_users
from tests.browser.test_notices_browser import log_in
from tests.notices.support import FAST, add_followers

TITLE = "年末年始の窓口のお知らせ"
LATER = "除雪ボランティアを募集しています"


class RestartableServer:
    """The app on one fixed port that a test can really stop (closing open keep-alive connections) and start."""

    def __init__(self, app, prefix: str = "") -> None:
        self.app = app
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}{prefix}"  # the town's base URL (prefix: "/<slug>" or "")
        self._server = None
        self._connections: list[socket.socket] = []

    def start(self) -> None:
        server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        accept = server.get_request

        def get_request():
            conn, addr = accept()
            self._connections.append(conn)
            return conn, addr

        server.get_request = get_request
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        for conn in self._connections:  # a kept-alive connection would otherwise go on being served
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self._connections.clear()
        self._thread.join(5)


@pytest.fixture
def server(loaded_app, town_prefix):
    loaded_app.config.update({**FAST, "NOTICE_TOPICS": "", "NOTICE_APPROVAL_REQUIRED": True,
                              "WTF_CSRF_ENABLED": True, "SIGNAGE_POLL_SECONDS": 1, "SIGNAGE_ROTATE_SECONDS": 30})
    make_users(loaded_app)
    live = RestartableServer(loaded_app, town_prefix)
    live.start()
    yield live
    if live._server is not None:
        try:
            live.stop()
        except OSError:
            pass


@pytest.fixture
def running_worker(loaded_app):
    stop = threading.Event()

    def run():
        with loaded_app.app_context():
            worker.run(stop)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(10)


def _approved_signage_notice(app, title: str) -> None:
    with app.app_context():
        now = utcnow()
        db.session.add(Notice(title=title, body="詳しくは市役所の窓口へ。", status="sent", channels=["signage"],
                              requested_at=now - timedelta(minutes=2), approved_at=now - timedelta(minutes=1),
                              display_until=now + timedelta(days=3), created_by="a@example.jp",
                              approved_by="b@example.jp"))
        db.session.commit()


def test_one_notice_reaches_line_and_the_screen_leaves_on_time_and_survives_an_outage(
        loaded_app, server, running_worker, browser, page, fake_line, tmp_path, shot):
    with loaded_app.app_context():
        followers = add_followers(range(3))
        facility = facilities.create("芦別市役所", "正面玄関の横", by="cli")
        _screen, key = facilities.add_screen(facility, "1階ロビー", by="cli")
        db.session.commit()

    kiosk_context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="ja-JP")
    kiosk = kiosk_context.new_page()
    kiosk.goto(f"{server.url}/signage/{key}")
    expect(kiosk.locator("#stage .title")).to_have_text("現在、お知らせはありません")

    # 1. Compose for LINE and signage, with a period.
    log_in(page, server.url, EDITOR)
    page.goto(f"{server.url}/admin/notices/new")
    page.get_by_role("textbox", name="タイトル").fill(TITLE)
    page.get_by_role("textbox", name="本文", exact=True).fill("12月29日から1月3日まで、市役所の窓口はお休みです。")
    page.get_by_label("サイネージ（施設の画面）").check()
    until = (utcnow() + timedelta(days=14)).astimezone().strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("表示の終了（日本時間）").fill(until)
    page.get_by_role("button", name="下書きを保存").click()
    expect(page.locator(".flash")).to_contain_text("下書きを保存しました")
    detail_url = page.url

    # 2. Request approval, approve as another admin. Nothing shows before the approval.
    page.get_by_role("button", name="承認を依頼する").click()
    expect(page.locator("#notice-status")).to_have_text("承認待ち")
    kiosk.wait_for_timeout(1500)
    expect(kiosk.locator("#stage")).not_to_contain_text(TITLE)
    page.get_by_role("button", name="ログアウト").click()
    log_in(page, server.url, ADMIN)
    page.goto(detail_url)
    page.get_by_role("button", name="承認して送信").click()
    expect(page.locator(".flash")).to_contain_text("承認しました")

    # 3. The screen shows it within 10 s, and LINE received the multicast.
    expect(kiosk.locator("#stage .title")).to_have_text(TITLE, timeout=10_000)
    expect(kiosk.locator("#stage .period")).to_contain_text("掲載期間")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and sorted(fake_line.delivered()) != sorted(followers):
        time.sleep(0.2)
    assert sorted(fake_line.delivered()) == sorted(followers)
    # Readable from three metres: body text at least 40 px on a 1080p screen, either way up; titles larger.
    for width, height, name in ((1920, 1080, "signage-1920x1080"), (1080, 1920, "signage-1080x1920")):
        kiosk.set_viewport_size({"width": width, "height": height})
        body = kiosk.locator("#stage .body").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        title = kiosk.locator("#stage .title").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert body >= 40 and title >= 1.5 * body, (name, body, title)
        shot(kiosk, name)
    page.goto(f"{server.url}/admin/signage/")
    expect(page.locator(".state-live")).to_have_text("表示中")
    shot(page, "signage-screens")

    # 4. The period ends: it leaves the screen without anyone touching it.
    with loaded_app.app_context():
        db.session.execute(update(Notice).where(Notice.title == TITLE)
                           .values(display_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    expect(kiosk.locator("#stage .title")).to_have_text("現在、お知らせはありません", timeout=10_000)

    # 5. Stop the server: the page keeps showing the last content, with a small 「更新待ち」 mark.
    _approved_signage_notice(loaded_app, "図書館の臨時休館")
    expect(kiosk.locator("#stage .title")).to_have_text("図書館の臨時休館", timeout=10_000)
    server.stop()
    expect(kiosk.locator("#stale")).to_be_visible(timeout=15_000)
    expect(kiosk.locator("#stage .title")).to_have_text("図書館の臨時休館")
    kiosk.screenshot(path=str(tmp_path / "signage-offline.png"))

    # 6. Start it again: the page picks up new notices and the mark goes.
    _approved_signage_notice(loaded_app, LATER)
    server.start()
    expect(kiosk.locator("#stage")).to_contain_text(LATER, timeout=10_000)
    expect(kiosk.locator("#stale")).to_be_hidden(timeout=10_000)
    with loaded_app.app_context():
        assert db.session.scalar(select(Notice.status).where(Notice.title == TITLE)) == "sent"
    kiosk_context.close()
