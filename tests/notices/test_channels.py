"""Channels and display period on a notice: validation, one approval for all, no LINE batches without LINE."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.problems import Invalid
from bot.extensions import db
from bot.models import Facility, Notice, OutboxBatch, utcnow
from bot.notices import public, schedule, workflow
from bot.notices.delivery import Deliverer
from tests.notices.support import FAST, MULTICAST, add_followers

AUTHOR, APPROVER = "author@example.jp", "approver@example.jp"


@pytest.fixture
def napp(app):
    app.config.update(FAST)
    with app.app_context():
        yield app


def _draft(**kw) -> workflow.Draft:
    kw.setdefault("title", "図書館の臨時休館")
    kw.setdefault("body", "12月28日から1月4日まで休館します。")
    return workflow.Draft(**kw)


def _published(channels=("web",), approve=True, **kw) -> Notice:
    notice = workflow.create(_draft(channels=channels, **kw), by=AUTHOR)
    notice = workflow.request_send(notice, by=AUTHOR)
    if approve and notice.status == "pending_approval":
        notice = workflow.approve(notice, by=APPROVER, revision=notice.revision)
    return notice


def _batches() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxBatch))


def _problems(**kw) -> dict[str, str]:
    with pytest.raises(Invalid) as caught:
        workflow.create(_draft(**kw), by=AUTHOR)
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0, "nothing is stored"
    return {name: " ".join(reasons) for name, reasons in caught.value.errors.items()}


def test_channel_and_period_validation_in_japanese(napp):
    now = utcnow()
    assert "一つ以上" in _problems(channels=())["channels"]
    assert "知らない配信先" in _problems(channels=("fax",))["channels"]
    assert "終了日時を入力" in _problems(channels=("signage",))["display_until"]
    assert "開始日時より後" in _problems(channels=("web",), display_from=now + timedelta(days=2),
                                        display_until=now + timedelta(days=1))["display_until"]
    assert "過ぎています" in _problems(channels=("web",), display_until=now - timedelta(minutes=1))["display_until"]
    assert "登録されていない施設" in _problems(channels=("signage",), facility_ids=(999,),
                                             display_until=now + timedelta(days=1))["facilities"]
    assert "サイネージを選んだとき" in _problems(channels=("web",), facility_ids=(1,))["facilities"]
    assert "表示期間" in _problems(channels=("line",), display_until=now + timedelta(days=1))["display"]
    assert "LINE で送るときだけ" in _problems(channels=("web",), send_at=now + timedelta(hours=1))["send_at"]


def test_valid_channels_are_stored_once_each(napp):
    hall = Facility(name="芦別市民会館", place="北1条東1丁目")
    db.session.add(hall)
    db.session.commit()
    until = utcnow() + timedelta(days=3)
    notice = workflow.create(_draft(channels=("line", "signage", "signage"), facility_ids=(hall.id, hall.id),
                                    display_until=until), by=AUTHOR)
    db.session.expire_all()
    notice = db.session.get(Notice, notice.id)
    assert notice.channels == ["line", "signage"] and notice.signage_facility_ids == [hall.id]
    assert schedule.as_utc(notice.display_until) == until


def test_one_approval_covers_every_channel(napp):
    napp.config["NOTICE_APPROVAL_REQUIRED"] = True
    add_followers(range(3))
    until = utcnow() + timedelta(days=1)
    notice = _published(channels=("line", "signage", "web"), approve=False, display_until=until)
    assert notice.status == "pending_approval"
    assert public.displayed(None, None, "web") == [] and public.displayed(None, None, "signage") == []
    workflow.approve(notice, by=APPROVER, revision=notice.revision)
    assert [n.id for n in public.displayed(None, None, "web")] == [notice.id]
    assert [n.id for n in public.displayed(None, None, "signage")] == [notice.id]
    assert schedule.release_due() == [notice.id]
    assert _batches() == 1


def test_a_web_only_notice_creates_no_line_batches(napp, fake_line):
    add_followers(range(5))
    notice = _published(channels=("web", "signage"), display_until=utcnow() + timedelta(days=1))
    assert schedule.release_due() == [notice.id]
    Deliverer().drain(max_wait=1)
    db.session.refresh(notice)
    assert _batches() == 0 and fake_line.calls(MULTICAST) == []
    assert notice.status == "sent" and notice.recipients == 0
    assert [n.id for n in public.displayed(None, None, "web")] == [notice.id], "still shown after release"


def test_the_display_window_before_inside_and_after(napp):
    start = utcnow() + timedelta(days=1)
    end = start + timedelta(days=2)
    notice = _published(channels=("web",), display_from=start, display_until=end)
    assert public.displayed(None, start - timedelta(seconds=1), "web") == []
    assert public.display_state(notice, start - timedelta(seconds=1)) == "upcoming"
    assert [n.id for n in public.displayed(None, start, "web")] == [notice.id]
    assert public.display_state(notice, start) == "live"
    assert [n.id for n in public.displayed(None, end - timedelta(seconds=1), "web")] == [notice.id]
    assert public.displayed(None, end, "web") == []
    assert public.display_state(notice, end) == "ended"


def test_default_start_is_the_approval(napp):
    napp.config["NOTICE_APPROVAL_REQUIRED"] = True
    notice = _published(channels=("web",), approve=False)
    workflow.approve(notice, by=APPROVER, revision=notice.revision)
    approved = schedule.as_utc(notice.approved_at)
    assert public.displayed(None, approved - timedelta(seconds=1), "web") == []
    assert [n.id for n in public.displayed(None, approved, "web")] == [notice.id]


def test_never_a_draft_pending_cancelled_ended_or_line_only(napp):
    napp.config["NOTICE_APPROVAL_REQUIRED"] = True
    soon = utcnow() + timedelta(days=1)
    workflow.create(_draft(title="下書き", channels=("web", "signage"), display_until=soon), by=AUTHOR)
    _published(title="承認待ち", channels=("web", "signage"), approve=False, display_until=soon)
    cancelled = _published(title="取消し", channels=("web", "signage"), approve=False, display_until=soon)
    workflow.cancel(cancelled, by=AUTHOR)
    ended = _published(title="終了", channels=("web", "signage"), display_until=utcnow() + timedelta(seconds=30))
    _published(title="LINEだけ", channels=("line",))
    live = _published(title="公開中", channels=("web", "signage"), display_until=soon)
    later = utcnow() + timedelta(minutes=1)
    assert [n.title for n in public.displayed(None, later, "web")] == ["公開中"]
    assert [n.title for n in public.displayed(None, later, "signage")] == ["公開中"]
    assert public.display_state(ended, later) == "ended" and live.status == "scheduled"


def test_signage_facility_filter_and_newest_first(napp):
    hall, library = Facility(name="市民会館"), Facility(name="図書館")
    db.session.add_all([hall, library])
    db.session.commit()
    now = utcnow()
    until = now + timedelta(days=1)
    everywhere = _published(title="全画面", channels=("signage",), display_from=now - timedelta(hours=2),
                            display_until=until)
    only_hall = _published(title="会館だけ", channels=("signage",), facility_ids=(hall.id,),
                           display_from=now - timedelta(hours=1), display_until=until)
    assert [n.id for n in public.displayed(None, now, "signage", hall.id)] == [only_hall.id, everywhere.id]
    assert [n.id for n in public.displayed(None, now, "signage", library.id)] == [everywhere.id]
    assert [n.id for n in public.displayed(None, now, "signage")] == [only_hall.id, everywhere.id]
    assert public.displayed(None, now, "web") == []
    with pytest.raises(ValueError):
        public.displayed(None, now, "line")


def test_taking_down_a_sent_notice_ends_its_display_but_keeps_it_sent(napp, fake_line):
    add_followers(range(2))
    notice = _published(channels=("line", "web"), display_until=utcnow() + timedelta(days=1))
    schedule.release_due()
    Deliverer().drain(max_wait=1)
    db.session.refresh(notice)
    assert notice.status == "sent" and public.displayed(None, None, "web")
    workflow.cancel(notice, by=APPROVER)
    assert notice.status == "sent" and notice.unpublished_by == APPROVER
    assert public.displayed(None, None, "web") == [] and public.display_state(notice) == "ended"
    with pytest.raises(Invalid):
        workflow.cancel(notice, by=APPROVER)


def test_a_sent_line_only_notice_still_cannot_be_cancelled(napp):
    add_followers(range(2))
    notice = _published(channels=("line",))
    schedule.release_due()
    Deliverer().drain(max_wait=1)
    db.session.refresh(notice)
    with pytest.raises(Invalid, match="取り消せません"):
        workflow.cancel(notice, by=APPROVER)


def test_editing_the_channels_raises_the_revision(napp):
    notice = workflow.create(_draft(channels=("line",)), by=AUTHOR)
    first = notice.revision
    workflow.update(notice, _draft(channels=("line", "web")), by=AUTHOR)
    assert notice.revision == first + 1 and notice.channels == ["line", "web"]
