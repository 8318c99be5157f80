"""The unanswered inbox: grouping, adding a wording to an entry, new entries, dismissal, overview."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.conversation import Incoming, respond
from bot.extensions import db
from bot.inbox import group_questions, open_groups
from bot.models import InboxResolution, QuestionLog, utcnow
from tests.admin_support import console, editor_client, entry  # noqa: F401  (fixtures)

UNKNOWN = "ゴミの分別カレンダーはどこでもらえますか"


def _ask(app, text: str):
    with app.app_context():
        return respond(Incoming("text", text=text, channel="simulator"))


def _log(app, text: str, outcome: str = "fallback", feedback=None, days_ago: int = 0, slug=None):
    with app.app_context():
        db.session.add(QuestionLog(text=text, outcome=outcome, feedback=feedback, entry_slug=slug,
                                   created_at=utcnow() - timedelta(days=days_ago)))
        db.session.commit()


def test_similar_questions_are_grouped_with_counts_and_dates(console):
    assert _ask(console, UNKNOWN).outcome == "fallback"
    _ask(console, "ゴミの分別カレンダーはどこでもらえますか？")
    _ask(console, "ごみの分別カレンダーはどこでもらえる")
    _log(console, "市営プールの営業時間", days_ago=3)
    _log(console, "給食費ってタダ", outcome="answer", feedback="down", slug="school-lunch-free")
    _log(console, "給食費ってタダ", outcome="answer", feedback="up", slug="school-lunch-free")
    with console.app_context():
        groups = open_groups()
        assert [g.count for g in groups] == [3, 1, 1]
        assert groups[0].first_seen <= groups[0].last_seen
        texts = {g.text for g in groups}
        assert "市営プールの営業時間" in texts and "給食費ってタダ" in texts
        assert groups[-1].outcomes or groups[0].outcomes["fallback"] == 3


def test_grouping_keeps_different_questions_apart():
    rows = [QuestionLog(id=n, text=t, outcome="fallback", created_at=utcnow(), candidates=[])
            for n, t in enumerate(["除雪はいつ来ますか", "除雪はいつ来ますか？", "図書館の開館時間", "ふるさと納税の返礼品"])]
    assert sorted(g.count for g in group_questions(rows)) == [1, 1, 2]


def test_add_as_alternate_question_answers_it_from_now_on(console, editor_client):
    assert _ask(console, UNKNOWN).outcome == "fallback"
    page = editor_client.get("/admin/inbox").get_data(as_text=True)
    assert UNKNOWN in page
    with console.app_context():
        group = open_groups()[0]
        target = entry("school-lunch-free")
    response = editor_client.post("/admin/inbox/alternate", data={
        "ids": ",".join(map(str, group.ids)), "entry": target.slug, "question": UNKNOWN})
    assert response.status_code == 302
    reply = _ask(console, UNKNOWN)
    assert reply.outcome == "answer" and reply.entry_slug == "school-lunch-free"
    with console.app_context():
        assert UNKNOWN in entry("school-lunch-free").questions
        assert entry("school-lunch-free").revisions[-1].reason == "alternate"
        assert db.session.scalar(select(func.count()).select_from(InboxResolution)) == 1
        assert open_groups() == []


def test_dismiss_needs_a_reason_and_closes_the_group(console, editor_client):
    _ask(console, UNKNOWN)
    with console.app_context():
        ids = ",".join(map(str, open_groups()[0].ids))
    editor_client.post("/admin/inbox/dismiss", data={"ids": ids, "reason": "nonsense"})
    with console.app_context():
        assert len(open_groups()) == 1
    editor_client.post("/admin/inbox/dismiss", data={"ids": ids, "reason": "out_of_scope", "note": "県の管轄"})
    with console.app_context():
        assert open_groups() == []
        resolution = db.session.scalar(select(InboxResolution))
        assert resolution.action == "dismissed" and "県の管轄" in resolution.reason


def test_new_entry_from_the_inbox_is_prefilled_and_closes_the_group(console, editor_client):
    _ask(console, UNKNOWN)
    with console.app_context():
        ids = ",".join(map(str, open_groups()[0].ids))
    form = editor_client.get("/admin/entries/new", query_string={"question": UNKNOWN, "ids": ids}).get_data(as_text=True)
    assert UNKNOWN in form and f'value="{ids}"' in form
    questions = "\n".join([UNKNOWN] + [f"ゴミ出しの質問{n}" for n in range(5)])
    response = editor_client.post("/admin/entries/new", data={
        "slug": "garbage-calendar", "title": "ゴミの分別カレンダー", "category": "くらし", "status": "published",
        "answer": "市役所で配布しています。", "questions": questions, "source": "テスト", "inbox_ids": ids})
    assert response.status_code == 302
    with console.app_context():
        assert open_groups() == []
    assert _ask(console, UNKNOWN).entry_slug == "garbage-calendar"


def test_forged_ids_cannot_close_answered_questions(console, editor_client):
    _log(console, "給食費ってタダ", outcome="answer", slug="school-lunch-free")
    with console.app_context():
        answered = db.session.scalar(select(QuestionLog.id))
    editor_client.post("/admin/inbox/dismiss", data={"ids": str(answered), "reason": "other"})
    with console.app_context():
        assert db.session.scalar(select(func.count()).select_from(InboxResolution)) == 0


def test_overview_shows_rates_feedback_review_and_most_asked(console, editor_client):
    for _ in range(3):
        _log(console, "給食費", outcome="answer", slug="school-lunch-free", feedback="up")
    _log(console, UNKNOWN)
    _log(console, "古い質問", days_ago=20)
    html = editor_client.get("/admin/").get_data(as_text=True)
    assert "今週の未回答の質問" in html
    assert "75%" in html  # 3 of 4 in the last 7 days
    assert "60%" in html  # 3 of 5 in 30 days
    assert "学校給食費の無償化" in html and "3回" in html
    assert "見直しが必要な回答" in html
