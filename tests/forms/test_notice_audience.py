"""応援団員（LINE希望） as a notice audience: members who chose LINE, tied to a LINE user, active and not withdrawn."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import Follower, Notice, NoticeOptOut
from bot.notices import audience, schedule
from bot.notices.delivery import Deliverer
from bot.notices.delivery import notice_message
from tests.forms.staff_support import make_version, submit
from tests.notices.support import FAST, MULTICAST, add_followers, scheduled_notice, uid


@pytest.fixture
def napp(app):
    app.config.update(FAST)
    with app.app_context():
        yield app


def _members() -> list[str]:
    ids = add_followers(range(1, 8))
    version = make_version()
    submit(version, "S-LINE-0001", line_user_id=ids[0], contact_via="LINE")                    # in
    submit(version, "S-LINE-0002", line_user_id=ids[1], contact_via="LINE")                    # in
    submit(version, "S-MAIL-0003", line_user_id=ids[2], contact_via="メール")                  # chose e-mail
    submit(version, "S-WDRN-0004", line_user_id=ids[3], contact_via="LINE", status="cancelled",
           withdrawn=datetime.now(timezone.utc))                                               # withdrew
    submit(version, "S-WEB-0005", contact_via="LINE")                                          # no LINE user
    submit(version, "S-GONE-0006", line_user_id=ids[4], contact_via="LINE")                    # unfollows below
    submit(version, "S-STOP-0007", line_user_id=ids[5], contact_via="LINE")                    # opted out below
    gone = db.session.scalar(select(Follower).where(Follower.line_user_id == ids[4]))
    gone.status = "unfollowed"
    stopped = db.session.scalar(select(Follower).where(Follower.line_user_id == ids[5]))
    db.session.add(NoticeOptOut(follower_id=stopped.id, created_at=datetime.now(timezone.utc)))
    db.session.commit()
    return ids


def test_a_notice_to_supporters_reaches_only_members_who_chose_line(napp, fake_line):
    ids = _members()
    assert audience.user_ids([audience.SUPPORTERS]) == sorted([ids[0], ids[1]])
    notice = scheduled_notice((audience.SUPPORTERS,), title="応援団員のみなさまへ")
    schedule.release_due()
    Deliverer().drain(max_wait=10)
    sent = [u for call in fake_line.calls(MULTICAST) for u in call.body["to"]]
    assert sorted(sent) == sorted([ids[0], ids[1]])
    assert uid(7) not in sent  # a follower who never registered
    db.session.refresh(notice)
    assert notice.status == "sent"
    # The bubble offers the full stop, not leaving a topic called "@supporters".
    bubble = str(notice_message(notice))
    assert "@supporters" not in bubble and "お知らせの配信を停止" in bubble


def test_compose_offers_the_supporters_audience(app, fake_line):
    from tests.support.console import ADMIN, login, make_users

    app.config.update(FAST)
    app.config["WTF_CSRF_ENABLED"] = False
    make_users(app)
    with app.app_context():
        _members()
    client = app.test_client()
    assert login(client, ADMIN).status_code == 302
    page = client.get("/admin/notices/new").get_data(as_text=True)
    assert "応援団員（LINE希望）" in page
    response = client.post("/admin/notices/new", data={"title": "応援団だより", "body": "新しい特産品のご案内です。",
                                                       "audience": "supporters", "timing": "now"})
    assert response.status_code == 302
    with app.app_context():
        notice = db.session.scalars(select(Notice)).one()
        assert notice.topics == [audience.SUPPORTERS]
        assert audience.count(notice.topics) == 2
    detail = client.get(response.location).get_data(as_text=True)
    assert "応援団員（LINE希望）" in detail and "2人" in detail
    preview = client.post("/admin/notices/preview", json={"audience": "supporters", "title": "t", "body": "b"})
    assert preview.get_json()["count"] == 2
