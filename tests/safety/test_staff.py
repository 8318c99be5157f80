"""Issue 18 §3: staff see safety (緊急) and crisis (要配慮) messages; never capped, never recycled, masked, purged."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.admin import stats
from bot.conversation.privacy import user_hash
from bot.core.problems import Invalid
from bot.extensions import db
from bot.inbox.flagged import open_flagged
from bot.inbox.store import PER_USER_DAY, Group, add_as_alternate, find_group, open_groups, open_questions
from bot.models import AuditLog, InboxResolution, QuestionLog, utcnow
from tests.support import events
from tests.support.console import (  # noqa: F401  (fixtures)
    ADMIN, EDITOR, admin_client, console, csrf_token, editor_client, entry, login, make_users,
)
from tests.safety.staff_support import CRISIS, use_care_pack
from tests.notices.test_migration import empty_db  # noqa: F401  (fixture)

UNKNOWN = "ゴミの分別カレンダーはどこでもらえますか"
FIRE = "火事だ"


@pytest.fixture
def staff(console, tmp_path):
    """The console app (CSRF off) whose safety rules flag CRISIS 要配慮."""
    use_care_pack(console, tmp_path)
    return console


def _resident(app, user: str = events.USER) -> str:
    return user_hash(user, app.config["LOG_HASH_KEY"] or app.config["SECRET_KEY"])


def _rows(app) -> list[QuestionLog]:
    with app.app_context():
        rows = db.session.scalars(select(QuestionLog).order_by(QuestionLog.id)).all()
        db.session.expunge_all()
        return rows


def _flagged_section(html: str) -> str:
    return html.split('id="flagged"', 1)[1].split('id="unanswered"', 1)[0]


def _check_form(html: str, text: str) -> dict[str, str]:
    """Return the fields of the 確認済みにする form of the flagged message showing text."""
    article = next(a for a in _flagged_section(html).split("<article")[1:] if f"「{text}」" in a)
    return dict(re.findall(r'name="(group|days|page|last)" type="hidden" value="([^"]*)"', article))


# The rules' flag (urgent / care, a bad value named in Japanese) is checked with the pack's format in
# tests/safety/test_safety.py::test_parse_reports_each_problem_in_japanese and test_every_rule_is_flagged_urgent_or_care.


# --- recorded and shown -----------------------------------------------------------------------------------------

def test_a_crisis_message_through_the_webhook_is_flagged_care_and_shown_first_in_the_inbox(
        staff, webhook, fake_line, editor_client):
    webhook([events.text(UNKNOWN)])
    webhook([events.text(CRISIS + " 電話は090-1234-5678")])
    webhook([events.text(FIRE, user="U" + "2" * 32)])
    assert len(fake_line.calls("/v2/bot/message/reply")) == 3
    crisis, fire = _rows(staff)[1:]
    assert crisis.outcome == "safety" and crisis.safety_flag == "care"
    assert crisis.text == CRISIS + " 電話は［電話］"  # masked as every question is
    assert "0570-064-556" in [n for r in crisis.safety_reply for n in r["numbers"]]
    assert fire.safety_flag == "urgent" and fire.safety_reply[0]["numbers"] == ["119"]
    html = editor_client.get("/admin/inbox").get_data(as_text=True)
    flagged = _flagged_section(html)
    assert html.index('id="flagged"') < html.index(f"「{UNKNOWN}」")  # before the unanswered questions
    assert '<span class="badge flag-care">要配慮</span> 「もう死にたい 電話は［電話］」' in flagged
    assert '<span class="badge flag-urgent">緊急</span> 「火事だ」' in flagged
    # The crisis reply gives several lines (こころの健康相談統一ダイヤル first): staff see every number it gave.
    assert re.search(r"0570-064-556[・0-9#-]*番?をご案内済み", flagged) and "119番をご案内済み" in flagged
    assert "090-1234-5678" not in html
    assert "緊急・要配慮のメッセージ（2件）" in html


def test_a_flagged_message_is_not_an_unanswered_group(staff, webhook):
    webhook([events.text(CRISIS)])
    with staff.app_context():
        assert open_groups() == [] and open_questions()[0] == []
        assert [f.text for f in open_flagged().items] == [CRISIS]


def test_the_command_line_is_flagged_too(staff):
    result = staff.test_cli_runner().invoke(args=["ask", CRISIS])
    assert result.output.startswith("[safety]")
    with staff.app_context():
        row = db.session.scalar(select(QuestionLog))
        assert (row.channel, row.safety_flag) == ("cli", "care")
        assert [f.text for f in open_flagged().items] == [CRISIS]


# --- never hidden ----------------------------------------------------------------------------------------------

def test_the_daily_cap_never_hides_a_flagged_message(staff, webhook, editor_client):
    # The resident first fills their daily allowance of the list with junk, then writes in crisis.
    with staff.app_context():
        db.session.execute(QuestionLog.__table__.insert(), [
            {"created_at": utcnow(), "text": f"あああ{n}", "user_hash": _resident(staff), "channel": "line",
             "outcome": "fallback", "score": 0.0, "latency_ms": 0, "candidates": []} for n in range(PER_USER_DAY + 5)])
        db.session.commit()
    webhook([events.text(CRISIS)])
    with staff.app_context():
        listed, held = open_questions()
        assert held == 5 and len(listed) == PER_USER_DAY
        assert [f.text for f in open_flagged().items] == [CRISIS]
    html = editor_client.get("/admin/inbox").get_data(as_text=True)
    assert 'id="held-back"' in html and "5件は、数えるだけ" in html
    assert f"「{CRISIS}」" in _flagged_section(html)


def test_an_old_unchecked_flagged_message_stays_whatever_the_period(staff, editor_client):
    with staff.app_context():
        db.session.add(QuestionLog(text=FIRE, outcome="safety", safety_flag="urgent", user_hash="old",
                                   created_at=utcnow() - timedelta(days=40)))
        db.session.commit()
    html = editor_client.get("/admin/inbox?days=7").get_data(as_text=True)
    assert f"「{FIRE}」" in _flagged_section(html)


# --- never recycled ---------------------------------------------------------------------------------------------

def test_the_inbox_never_offers_a_flagged_message_for_learning(staff, webhook, editor_client):
    webhook([events.text(CRISIS)])
    html = editor_client.get("/admin/inbox").get_data(as_text=True)
    flagged = _flagged_section(html)
    assert "想定質問に追加" not in flagged and "新しい回答を作る" not in flagged and "対応不要にする" not in flagged
    assert "inbox/alternate" not in flagged and "entries/new" not in flagged
    assert "確認済みにする" in flagged
    # Posting its token to the learning routes finds nothing to learn from.
    token = _check_form(html, CRISIS)["group"]
    for route, data in (("/admin/inbox/alternate", {"entry": "school-lunch-free", "question": CRISIS}),
                        ("/admin/inbox/dismiss", {"reason": "other"})):
        editor_client.post(route, data={"group": token, "confirm": "yes", **data})
    with staff.app_context():
        assert CRISIS not in entry("school-lunch-free").questions
        assert db.session.scalar(select(func.count()).select_from(InboxResolution)) == 0
        assert find_group(90, token) is None


def test_the_service_refuses_a_flagged_wording_whatever_the_group_says(staff, webhook, editor_client):
    webhook([events.text(CRISIS)])
    # The same words once came in as an ordinary fallback (before a rule caught them): that group is shown,
    # but not offered for learning, and the service refuses it if a form is forged.
    with staff.app_context():
        db.session.add(QuestionLog(text=CRISIS, outcome="fallback", user_hash="earlier"))
        db.session.commit()
        group = next(g for g in open_groups() if g.text == CRISIS)
        school = entry("school-lunch-free")
        with pytest.raises(Invalid, match="緊急・要配慮のメッセージは想定質問に追加できません"):
            add_as_alternate(group, school, "給食はいつ", ADMIN)
        unknown = Group(key="x", text=UNKNOWN)
        unknown.variants[UNKNOWN] = 1
        with pytest.raises(Invalid):  # a wording the safety rules catch now, typed into the form
            add_as_alternate(unknown, school, FIRE, ADMIN)
        assert CRISIS not in entry("school-lunch-free").questions and FIRE not in entry("school-lunch-free").questions
        token = group.token
    card = editor_client.get("/admin/inbox").get_data(as_text=True).split('id="unanswered"', 1)[1]
    assert f"「{CRISIS}」" in card and "想定質問への追加や新しい回答の作成には使えません" in card
    assert "想定質問に追加" not in card and "新しい回答を作る" not in card
    response = editor_client.post("/admin/inbox/alternate", data={
        "group": token, "entry": "school-lunch-free", "question": CRISIS, "confirm": "yes"}, follow_redirects=True)
    assert "緊急・要配慮のメッセージは想定質問に追加できません" in response.get_data(as_text=True)
    with staff.app_context():
        assert CRISIS not in entry("school-lunch-free").questions


# --- 確認済み ----------------------------------------------------------------------------------------------------

def test_staff_mark_a_flagged_message_checked_who_and_when_audited_and_it_stays_in_the_checked_view(
        staff, webhook, editor_client):
    webhook([events.text(CRISIS)])
    webhook([events.text(CRISIS)])
    form = _check_form(editor_client.get("/admin/inbox").get_data(as_text=True), CRISIS)
    webhook([events.text(CRISIS)])  # arrives after the clerk looked: it must not be checked unseen
    response = editor_client.post("/admin/inbox/check", data={**form, "note": "保健師に共有"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "要配慮のメッセージ2件を確認済みにしました" in page
    with staff.app_context():
        resolutions = db.session.scalars(select(InboxResolution)).all()
        assert [(r.action, r.actor, r.reason) for r in resolutions] == [("checked", EDITOR, "保健師に共有")] * 2
        assert all(r.created_at is not None for r in resolutions)
        audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "inbox.check"))
        assert audit.actor == EDITOR and audit.after["count"] == 2 and audit.after["flag"] == "care"
        assert CRISIS not in str(audit.after) + audit.summary  # the message itself stays out of the audit log
        still = open_flagged().items
        assert len(still) == 1 and still[0].times == 1  # the third one waits for its own look
    checked = editor_client.get("/admin/inbox?view=checked").get_data(as_text=True)
    assert f"「{CRISIS}」" in checked and EDITOR in checked and "保健師に共有" in checked and "要配慮" in checked
    audit_page = ""
    admin = staff.test_client()
    login(admin, ADMIN)
    audit_page = admin.get("/admin/audit").get_data(as_text=True)
    assert "受信箱：緊急・要配慮のメッセージを確認済みにする" in audit_page


def test_a_bad_check_is_refused_in_japanese_and_changes_nothing(staff, webhook, editor_client):
    webhook([events.text(CRISIS)])
    form = _check_form(editor_client.get("/admin/inbox").get_data(as_text=True), CRISIS)
    cases = [({**form, "last": ""}, "確認済みにできませんでした"),
             ({**form, "group": "0" * 16}, "すでに確認済みか、見つかりません"),
             ({**form, "last": "abc"}, "すでに確認済みか、見つかりません"),
             ({**form, "last": "9" * 20}, "すでに確認済みか、見つかりません"),
             ({**form, "note": "あ" * 301}, "確認済みにできませんでした")]
    for data, message in cases:
        page = editor_client.post("/admin/inbox/check", data=data, follow_redirects=True).get_data(as_text=True)
        assert message in page, data
    with staff.app_context():
        assert db.session.scalar(select(func.count()).select_from(InboxResolution)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "inbox.check")) == 0


def test_checking_needs_the_csrf_token(loaded_app, tmp_path, webhook):
    use_care_pack(loaded_app, tmp_path)
    loaded_app.config["WTF_CSRF_ENABLED"] = True
    make_users(loaded_app)
    webhook([events.text(CRISIS)])
    client = loaded_app.test_client()
    assert login(client, EDITOR, csrf_token=csrf_token(client)).status_code == 302
    form = _check_form(client.get("/admin/inbox").get_data(as_text=True), CRISIS)
    assert client.post("/admin/inbox/check", data=form).status_code == 400
    assert client.post("/admin/inbox/check", data={**form, "csrf_token": "forged"}).status_code == 400
    with loaded_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InboxResolution)) == 0
    token = csrf_token(client, "/admin/inbox")
    assert client.post("/admin/inbox/check", data={**form, "csrf_token": token}).status_code == 302
    with loaded_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InboxResolution)) == 1


def test_script_in_a_flagged_message_stays_text(staff, editor_client):
    evil = '<script>alert("x")</script>火事だ'
    with staff.app_context():
        db.session.add(QuestionLog(text=evil, outcome="safety", safety_flag="urgent", user_hash="x",
                                   safety_reply=[{"slug": "s", "title": "<b>t</b>", "numbers": ["<i>1</i>"]}]))
        db.session.commit()
    for page in ("/admin/inbox", "/admin/", "/admin/inbox?view=checked"):
        html = editor_client.get(page).get_data(as_text=True)
        assert "<script>alert" not in html and "<b>t</b>" not in html and "<i>1</i>" not in html, page


# --- privacy: masked and purged -----------------------------------------------------------------------------------

def test_a_flagged_message_and_its_check_are_purged_with_the_question_log(staff, webhook, editor_client):
    webhook([events.text(CRISIS + " mail: taro@example.jp")])
    form = _check_form(editor_client.get("/admin/inbox").get_data(as_text=True), CRISIS + " mail: ［メール］")
    editor_client.post("/admin/inbox/check", data={**form, "note": "確認"})
    webhook([events.text(FIRE)])
    with staff.app_context():
        rows = db.session.scalars(select(QuestionLog).order_by(QuestionLog.id)).all()
        assert "taro@example.jp" not in rows[0].text and rows[0].safety_flag == "care"
        rows[0].created_at = utcnow() - timedelta(days=181)
        db.session.commit()
    result = staff.test_cli_runner().invoke(args=["logs", "purge", "--days", "180"])
    assert "deleted 1 question log rows" in result.output
    with staff.app_context():
        assert [r.text for r in db.session.scalars(select(QuestionLog))] == [FIRE]
        assert db.session.scalar(select(func.count()).select_from(InboxResolution)) == 0  # the check went too
    assert "taro" not in editor_client.get("/admin/inbox?view=checked").get_data(as_text=True)


# --- the overview -------------------------------------------------------------------------------------------------

JST = timezone(timedelta(hours=9))


def _at(app, when: datetime, flag: str, channel: str = "line", outcome: str = "safety") -> None:
    with app.app_context():
        db.session.add(QuestionLog(text=f"{flag} {when:%m%d%H%M}", outcome=outcome, safety_flag=flag,
                                   channel=channel, created_at=when.astimezone(timezone.utc)))
        db.session.commit()


def test_the_overview_counts_safety_and_crisis_replies_per_week_in_japan_time(staff):
    now = datetime(2026, 12, 9, 12, 0, tzinfo=JST)  # a Wednesday
    _at(staff, datetime(2026, 12, 7, 0, 30, tzinfo=JST), "care")  # Monday 00:30 in Japan: still Sunday in UTC
    _at(staff, datetime(2026, 12, 6, 23, 30, tzinfo=JST), "urgent")  # Sunday night: the week before
    _at(staff, datetime(2026, 12, 8, 9, 0, tzinfo=JST), "urgent")
    _at(staff, datetime(2026, 12, 8, 9, 5, tzinfo=JST), "urgent", channel="simulator")  # staff trying: not counted
    _at(staff, datetime(2026, 10, 19, 0, 0, tzinfo=JST), "care")  # the 8th week back begins: Monday 10/19
    _at(staff, datetime(2026, 10, 18, 23, 59, tzinfo=JST), "care")  # the 9th: outside
    with staff.app_context():
        weeks = stats.safety_weeks(now=now)
        assert len(weeks) == 8 and weeks[0].start.isoformat() == "2026-12-07" and weeks[-1].start.isoformat() == "2026-10-19"
        assert [(w.urgent, w.care) for w in weeks] == [(1, 1), (1, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 1)]
        assert (weeks[0].urgent, weeks[0].care) == (1, 1)
        everyone = stats.safety_weeks(now=now, who="all")
        assert (everyone[0].urgent, everyone[0].care) == (2, 1)


def test_the_overview_page_shows_the_weekly_counts_and_the_recent_flagged_messages(staff, webhook, editor_client):
    webhook([events.text(CRISIS)])
    webhook([events.text(FIRE)])
    html = editor_client.get("/admin/").get_data(as_text=True)
    section = html.split('id="safety"', 1)[1].split("</section>", 1)[0]
    assert "緊急・要配慮のメッセージ" in section and "（今週）</td><td>1件</td><td>1件</td>" in section
    assert '<span class="badge flag-urgent">緊急</span> 「火事だ」' in section
    assert '<span class="badge flag-care">要配慮</span> 「もう死にたい」' in section
    assert section.count("未確認") == 2 and "119番をご案内済み" in section
    assert 'href="/admin/inbox#flagged"' in section
    card = html.split('id="unchecked-flagged"', 1)[1].split("</section>", 1)[0]
    assert "未確認の緊急・要配慮" in card and ">2件</a>" in card


# --- the migration ------------------------------------------------------------------------------------------------

def test_safety_replies_logged_before_the_migration_are_flagged_urgent(empty_db, fake_line):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from bot import create_app
    from bot.core.tenancy import use_town
    from bot.models.tenancy import DEFAULT_TOWN_ID
    from tests.conftest import base_config

    app = create_app(base_config(empty_db, fake_line))
    with app.app_context():
        upgrade(revision="0010_richmenu_pub")
        insert = ("INSERT INTO question_log (created_at, text, user_hash, channel, outcome, score, latency_ms, "
                  "candidates) VALUES ('2026-12-01 10:00:00+00:00', :text, '', 'line', :outcome, 0, 0, '[]')")
        db.session.execute(text(insert), {"text": "火事だ", "outcome": "safety"})
        db.session.execute(text(insert), {"text": "給食費", "outcome": "answer"})
        db.session.commit()
        upgrade()
        assert db.session.execute(text("SELECT text, safety_flag FROM question_log ORDER BY id")).all() == [
            ("火事だ", "urgent"), ("給食費", None)]
        with use_town(DEFAULT_TOWN_ID):  # an app of its own: no fixture puts it in the default town
            assert [f.text for f in open_flagged().items] == ["火事だ"]
        db.session.commit()
        downgrade(revision="0010_richmenu_pub")
        assert db.session.execute(text("SELECT count(*) FROM question_log")).scalar() == 2
        db.session.remove()
        db.engine.dispose()
