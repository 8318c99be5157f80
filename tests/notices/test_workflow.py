"""Composing, approving, scheduling and quiet hours, on the services and the command line."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.core.problems import Invalid
from bot.extensions import db
from bot.models import Notice, OutboxBatch
from bot.notices import compose, report, schedule, test_recipients, workflow
from bot.notices.delivery import Deliverer
from bot.notices.settings import parse_quiet_hours
from tests.notices.support import FAST, MULTICAST, PUSH, add_followers, scheduled_notice

TOKYO = ZoneInfo("Asia/Tokyo")


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=TOKYO).astimezone(timezone.utc)


@pytest.fixture
def napp(app):
    app.config.update(FAST)
    with app.app_context():
        yield app


def _batches() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxBatch))


# -- quiet hours and schedule ---------------------------------------------------------------

def test_quiet_hours_window_across_midnight():
    quiet = parse_quiet_hours("21:00-08:00")
    from datetime import time
    assert quiet.contains(time(21, 0)) and quiet.contains(time(23, 59)) and quiet.contains(time(7, 59))
    assert not quiet.contains(time(8, 0)) and not quiet.contains(time(20, 59))
    assert parse_quiet_hours("") is None
    with pytest.raises(ValueError):
        parse_quiet_hours("nine to five")


def test_quiet_hours_postpone_the_send_to_the_morning(napp, fake_line):
    napp.config["NOTICE_QUIET_HOURS"] = "21:00-08:00"
    users = add_followers(range(5), topics=("kosodate",))
    evening = jst(2025, 12, 1, 22, 30)
    notice = scheduled_notice(send_at=evening)
    assert schedule.planned_release(notice, now=jst(2025, 12, 1, 12, 0)) == jst(2025, 12, 2, 8, 0)

    assert schedule.release_due(now=evening) == []
    assert schedule.release_due(now=jst(2025, 12, 2, 7, 59)) == []
    Deliverer().drain(max_wait=1)
    assert fake_line.calls(MULTICAST) == [] and _batches() == 0

    assert schedule.release_due(now=jst(2025, 12, 2, 8, 0)) == [notice.id]
    Deliverer().drain(max_wait=5)
    assert sorted(fake_line.delivered()) == sorted(users)


def test_send_now_during_quiet_hours_waits_for_morning(napp, fake_line):
    napp.config["NOTICE_QUIET_HOURS"] = "21:00-08:00"
    add_followers(range(2), topics=("kosodate",))
    notice = scheduled_notice(send_at=None)
    now = jst(2025, 12, 1, 23, 0)
    assert schedule.planned_release(notice, now=now) == jst(2025, 12, 2, 8, 0)
    assert schedule.release_due(now=now) == []
    assert schedule.release_due(now=jst(2025, 12, 2, 9, 0)) == [notice.id]


def test_scheduled_notice_waits_for_its_time(napp, fake_line):
    add_followers(range(2), topics=("kosodate",))
    notice = scheduled_notice(send_at=jst(2025, 12, 1, 10, 0))
    assert schedule.release_due(now=jst(2025, 12, 1, 9, 59)) == []
    assert schedule.release_due(now=jst(2025, 12, 1, 10, 0)) == [notice.id]
    assert schedule.release_due(now=jst(2025, 12, 1, 10, 1)) == []  # queued once only


def test_local_times_without_offset_are_tokyo(napp):
    assert schedule.parse_local("2026-12-01T09:00") == datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)
    assert schedule.parse_local("2026-12-01T09:00+00:00") == datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


# -- approval ---------------------------------------------------------------------------------

def test_a_notice_needing_approval_is_not_sent_until_a_second_person_approves(napp, fake_line):
    napp.config["NOTICE_APPROVAL_REQUIRED"] = True
    users = add_followers(range(4), topics=("kosodate",))
    notice = scheduled_notice()
    assert notice.status == "pending_approval"
    assert schedule.release_due() == []
    Deliverer().drain(max_wait=1)
    assert fake_line.requests == [] and _batches() == 0

    with pytest.raises(Invalid, match="二人確認"):
        workflow.approve(notice, by="author@example.jp", revision=notice.revision)
    assert notice.status == "pending_approval"

    workflow.approve(notice, by="admin@example.jp", revision=notice.revision)
    assert (notice.status, notice.approved_by) == ("scheduled", "admin@example.jp")
    schedule.release_due()
    Deliverer().drain(max_wait=5)
    assert sorted(fake_line.delivered()) == sorted(users)


def test_drafts_and_cancelled_notices_are_never_sent(napp, fake_line):
    add_followers(range(3), topics=("kosodate",))
    draft = workflow.create(workflow.Draft("下書き", "まだ送らない", topics=("kosodate",)), by="a")
    cancelled = scheduled_notice()
    workflow.cancel(cancelled, by="a")
    assert schedule.release_due() == []
    assert draft.status == "draft" and fake_line.requests == []
    with pytest.raises(Invalid):
        workflow.cancel(cancelled, by="a")


# -- compose ----------------------------------------------------------------------------------

def test_content_is_checked_against_line_limits(napp):
    long_title = "あ" * 101
    found = compose.problems(compose.Content(long_title, "", url="javascript:alert(1)", entry_slug="nope"), [])
    assert set(found) == {"title", "body", "url", "entry_slug"}
    with pytest.raises(Invalid) as caught:
        workflow.create(workflow.Draft("件名", "本文", topics=("no-such-topic",)), by="a")
    assert list(caught.value.errors) == ["topics"]
    emoji_body = "😀" * 1001  # 2 UTF-16 code units each: over 2000 as LINE counts
    assert "body" in compose.problems(compose.Content("件名", emoji_body))


def test_linked_entry_becomes_the_kuwashiku_button(loaded_app, fake_line):
    loaded_app.config.update(FAST)
    with loaded_app.app_context():
        add_followers(range(2), topics=("kosodate",))
        scheduled_notice(entry_slug="childbirth-gifts")
        schedule.release_due()
        Deliverer().drain(max_wait=5)
    message = fake_line.calls(MULTICAST)[0].body["messages"][0]
    first = message["contents"]["footer"]["contents"][0]["action"]
    assert first == {"type": "postback", "label": "くわしく", "data": "a=ans&s=childbirth-gifts",
                     "displayText": "くわしく"}
    assert "出産応援ギフト" in json.dumps(message, ensure_ascii=False)


def test_test_send_pushes_to_the_staff_account_only(napp, fake_line):
    add_followers(range(3), topics=("kosodate",))
    notice = workflow.create(workflow.Draft("件名", "本文", topics=("kosodate",)), by="a")
    staff = "U" + "f" * 32
    recipient = test_recipients.add("広報係", staff, by="admin@example.jp")
    result = workflow.test_send(notice, recipient, by="a")
    assert result.ok
    calls = fake_line.calls(PUSH)
    assert len(calls) == 1 and calls[0].body["to"] == staff and calls[0].retry_key
    assert fake_line.calls(MULTICAST) == [] and notice.status == "draft" and notice.test_sent_to == "広報係"
    with pytest.raises(Invalid) as caught:
        test_recipients.add("誰か", "not-a-user-id", by="admin@example.jp")
    assert list(caught.value.errors) == ["line_user_id"]


# -- reports ----------------------------------------------------------------------------------

def test_follower_count_over_time(napp):
    add_followers(range(7))
    add_followers(range(100, 102), status="unfollowed")
    report.record_follower_count(now=jst(2025, 12, 1, 12, 0))
    add_followers(range(200, 203))
    history = report.follower_history(days=30, now=jst(2025, 12, 3, 12, 0))
    assert history[0] == {"day": "2025-12-01", "active": 7, "unfollowed": 2, "blocked": 0}
    assert history[-1] == {"day": "2025-12-03", "active": 10, "unfollowed": 2, "blocked": 0}


# -- command line ---------------------------------------------------------------------------------

def test_cli_create_send_due_and_report(napp, runner, fake_line):
    users = add_followers(range(3), topics=("kosodate",))
    add_followers(range(10, 12), topics=("iju",))
    result = runner.invoke(args=["notices", "create", "--title", "給食費無償化", "--text", "4月から無料です",
                                 "--topic", "子育て・教育", "--url", "https://example.jp/"])
    assert result.exit_code == 0, result.output
    notice_id = int(result.stdout.strip())
    result = runner.invoke(args=["notices", "send-due", "--wait", "5"])
    assert result.exit_code == 0 and "queued 1 notice" in result.output
    assert sorted(fake_line.delivered()) == sorted(users)
    result = runner.invoke(args=["notices", "report", str(notice_id), "--json"])
    data = json.loads(result.output)
    assert (data["recipients"], data["delivered"], data["failed"], data["pending"]) == (3, 3, 0, 0)


def test_cli_without_topic_goes_to_all_followers_and_respects_at(napp, runner, fake_line):
    users = add_followers(range(4))
    result = runner.invoke(args=["notices", "create", "--title", "件名", "--text", "本文",
                                 "--at", "2999-01-01T09:00"])
    assert result.exit_code == 0, result.output
    runner.invoke(args=["notices", "send-due", "--wait", "1"])
    assert fake_line.requests == []
    notice = db.session.get(Notice, int(result.stdout.strip()))
    assert notice.topics == [] and notice.status == "scheduled"
    notice.send_at = None
    db.session.commit()
    runner.invoke(args=["notices", "send-due", "--wait", "5"])
    assert sorted(fake_line.delivered()) == sorted(users)


def test_cli_approval_rule(napp, runner, fake_line):
    napp.config["NOTICE_APPROVAL_REQUIRED"] = True
    add_followers(range(2), topics=("kosodate",))
    result = runner.invoke(args=["notices", "create", "--title", "件名", "--text", "本文", "--topic", "kosodate",
                                 "--by", "alice"])
    notice_id = result.stdout.strip()
    assert "waits for approval" in result.stderr
    runner.invoke(args=["notices", "send-due", "--wait", "1"])
    assert fake_line.requests == []
    refused = runner.invoke(args=["notices", "approve", notice_id, "--by", "alice"])
    assert refused.exit_code != 0 and "二人確認" in refused.output
    assert runner.invoke(args=["notices", "approve", notice_id, "--by", "bob"]).exit_code == 0
    runner.invoke(args=["notices", "send-due", "--wait", "5"])
    assert len(fake_line.delivered()) == 2


def test_cli_create_approve_and_cancel_are_audited_like_the_console(napp, runner, fake_line):
    """The workflow writes the audit row, so a notice made and approved on the command line leaves one too."""
    from bot.models import AuditLog
    napp.config["NOTICE_APPROVAL_REQUIRED"] = True
    result = runner.invoke(args=["notices", "create", "--title", "件名", "--text", "本文", "--by", "alice"])
    notice_id = result.stdout.strip()
    assert runner.invoke(args=["notices", "approve", notice_id, "--by", "bob"]).exit_code == 0
    assert runner.invoke(args=["notices", "cancel", notice_id, "--by", "carol"]).exit_code == 0
    rows = db.session.execute(select(AuditLog.actor, AuditLog.action, AuditLog.target_id)
                              .where(AuditLog.target_type == "notice").order_by(AuditLog.id)).all()
    assert rows == [("alice", "notice.create", notice_id), ("alice", "notice.request", notice_id),
                    ("bob", "notice.approve", notice_id), ("carol", "notice.cancel", notice_id)]


def test_cli_rejects_unknown_topics_and_bad_times(napp, runner):
    bad_topic = runner.invoke(args=["notices", "create", "--title", "t", "--text", "b", "--topic", "nope"])
    assert bad_topic.exit_code != 0 and "unknown topic" in bad_topic.output
    bad_time = runner.invoke(args=["notices", "create", "--title", "t", "--text", "b", "--at", "tomorrow"])
    assert bad_time.exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
    topics = runner.invoke(args=["notices", "topics"])
    assert "kosodate\t子育て・教育" in topics.output


def test_cli_test_send_goes_only_to_a_registered_recipient(napp, runner, fake_line):
    notice = workflow.create(workflow.Draft("件名", "本文"), by="a")
    stranger, staff = "U" + "a" * 32, "U" + "b" * 32
    refused = runner.invoke(args=["notices", "test-send", str(notice.id), "--to", stranger])
    assert refused.exit_code != 0 and "not a registered test recipient" in refused.output
    test_recipients.add("広報係", staff, by="admin@example.jp")
    sent = runner.invoke(args=["notices", "test-send", str(notice.id), "--to", "広報係"])
    assert sent.exit_code == 0, sent.output
    assert [c.body["to"] for c in fake_line.calls(PUSH)] == [staff]
