"""The unanswered inbox: grouping, adding a wording to an entry, new entries, dismissal, overview."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from bot.conversation import Incoming, respond
from bot.extensions import db
from bot.inbox.store import group_questions, open_groups
from bot.models import InboxResolution, QuestionLog, utcnow
from tests.support.console import console, editor_client, entry  # noqa: F401  (fixtures)

UNKNOWN = "ゴミの分別カレンダーはどこでもらえますか"


def _ask(app, text: str):
    with app.app_context():
        return respond(Incoming("text", text=text, channel="simulator"))


def _log(app, text: str, outcome: str = "fallback", feedback=None, days_ago: int = 0, slug=None, user="",
         channel="line"):
    with app.app_context():
        db.session.add(QuestionLog(text=text, outcome=outcome, feedback=feedback, entry_slug=slug, user_hash=user,
                                   channel=channel, created_at=utcnow() - timedelta(days=days_ago)))
        db.session.commit()


def _bulk(app, rows: list[dict]) -> None:
    """Insert many logged questions in one statement."""
    now = utcnow()
    with app.app_context():
        db.session.execute(QuestionLog.__table__.insert(), [
            {"created_at": now, "user_hash": "", "channel": "line", "outcome": "fallback", "score": 0.0,
             "latency_ms": 0, "candidates": [], **row} for row in rows])
        db.session.commit()


def _token(app, text: str, days: int = 90) -> str:
    with app.app_context():
        return next(g.token for g in open_groups(days) if g.text == text)


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
    rows = [SimpleNamespace(text=t, asker=f"u{n}", times=1, first_id=n, last_id=n, down=0, fallback=1)
            for n, t in enumerate(["除雪はいつ来ますか", "除雪はいつ来ますか？", "図書館の開館時間", "ふるさと納税の返礼品"])]
    assert sorted(g.count for g in group_questions(rows)) == [1, 1, 2]


def test_add_as_alternate_question_answers_it_from_now_on(console, editor_client):
    assert _ask(console, UNKNOWN).outcome == "fallback"
    page = editor_client.get("/admin/inbox").get_data(as_text=True)
    assert UNKNOWN in page
    token = _token(console, UNKNOWN)
    response = editor_client.post("/admin/inbox/alternate", data={
        "group": token, "entry": "school-lunch-free", "question": UNKNOWN, "confirm": "yes"})
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
    token = _token(console, UNKNOWN)
    editor_client.post("/admin/inbox/dismiss", data={"group": token, "reason": "nonsense"})
    with console.app_context():
        assert len(open_groups()) == 1
    editor_client.post("/admin/inbox/dismiss", data={"group": token, "reason": "out_of_scope", "note": "県の管轄"})
    with console.app_context():
        assert open_groups() == []
        resolution = db.session.scalar(select(InboxResolution))
        assert resolution.action == "dismissed" and "県の管轄" in resolution.reason


def test_new_entry_from_the_inbox_is_prefilled_and_closes_the_group(console, editor_client):
    _ask(console, UNKNOWN)
    token = _token(console, UNKNOWN)
    form = editor_client.get("/admin/entries/new", query_string={"question": UNKNOWN, "group": token, "days": "90"}
                             ).get_data(as_text=True)
    assert UNKNOWN in form and f'value="{token}"' in form
    questions = "\n".join([UNKNOWN] + [f"ゴミ出しの質問{n}" for n in range(5)])
    response = editor_client.post("/admin/entries/new", data={
        "slug": "garbage-calendar", "title": "ゴミの分別カレンダー", "category": "環境・まちづくり", "status": "published",
        "answer": "市役所で配布しています。", "questions": questions, "source": "テスト",
        "inbox_group": token, "inbox_days": "90"})
    assert response.status_code == 302
    with console.app_context():
        assert open_groups() == []
    assert _ask(console, UNKNOWN).entry_slug == "garbage-calendar"


def test_forged_groups_cannot_close_answered_questions(console, editor_client):
    _log(console, "給食費ってタダ", outcome="answer", slug="school-lunch-free")
    with console.app_context():
        answered = db.session.scalar(select(QuestionLog.id))
    for forged in (str(answered), "0" * 16, "'; DROP TABLE x"):
        editor_client.post("/admin/inbox/dismiss", data={"group": forged, "ids": str(answered), "reason": "other"})
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


WATER = "水道料金はいくらですか"


def test_one_resident_cannot_bury_another_residents_question(console, editor_client):
    genuine = "除雪の申し込みはどこでできますか"
    _log(console, genuine, user="resident")
    # Before the fix the inbox kept only the newest 3,000 rows: this genuine, older question vanished.
    _bulk(console, [{"text": f"あ{n}い{n * 7 % 13}う{n % 97}えお", "user_hash": "spammer"} for n in range(3200)])
    response = editor_client.get("/admin/inbox")
    html = response.get_data(as_text=True)
    assert genuine in html
    assert "3180件" in html  # held back beyond 20 a day, counted, not listed
    assert len(response.data) < 200_000
    with console.app_context():
        assert open_groups()[0].text == genuine  # one asker each: the light sender comes first


def test_a_residents_repeats_count_once(console):
    for _ in range(5):
        _log(console, "図書館は何時まで", user="same")
    _log(console, "図書館は何時まで", user="other")
    with console.app_context():
        (group,) = open_groups()
        assert (group.count, group.times) == (2, 6)


def test_ten_thousand_questions_keep_the_page_size_bounded(console, editor_client):
    words = ["除雪", "図書館", "バス", "税金", "保育園", "ごみ", "水道", "病院", "公園", "選挙", "住民票", "温泉"]
    rows = [{"text": f"{words[n % 12]}の{n}について{words[n * 5 % 12]}で{n % 89}", "user_hash": f"u{n}"}
            for n in range(8000)]
    rows += [{"text": "ふるさと納税の返礼品は何ですか", "user_hash": f"v{n}"} for n in range(2000)]
    _bulk(console, rows)
    response = editor_client.get("/admin/inbox")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ふるさと納税の返礼品は何ですか" in html and "2000人" in html
    assert "次のページ" in html
    # The ids of 2,000 messages are not in the form: the page must not grow with the inbox.
    assert len(response.data) < 250_000, len(response.data)


def test_inbox_preselects_no_target_and_offers_candidates(console, editor_client):
    assert _ask(console, WATER).outcome in ("fallback", "suggest")
    html = editor_client.get("/admin/inbox").get_data(as_text=True)
    card = html[html.index(f"「{WATER}」"):]
    assert 'value="postpartum-care"' in card  # the matcher's best guess is offered ...
    others = card.split("<select", 1)[1].split("</select>")[0]
    assert "checked" not in card and "selected" not in others  # ... but nothing is chosen in advance
    assert "該当なし" in card
    token = _token(console, WATER)
    # Pressing the button without choosing teaches nothing.
    response = editor_client.post("/admin/inbox/alternate", data={"group": token, "question": WATER})
    assert response.status_code == 302
    with console.app_context():
        assert WATER not in entry("postpartum-care").questions


def test_adding_a_wording_to_an_entry_that_fits_it_badly_needs_a_second_confirmation(console, editor_client):
    _ask(console, WATER)
    token = _token(console, WATER)
    data = {"group": token, "entry": "postpartum-care", "question": WATER, "days": "30"}
    page = editor_client.post("/admin/inbox/alternate", data=data)
    assert page.status_code == 200 and "本当にこの回答に追加しますか" in page.get_data(as_text=True)
    with console.app_context():
        assert WATER not in entry("postpartum-care").questions
    confirmed = editor_client.post("/admin/inbox/alternate", data={**data, "confirm": "yes"})
    assert confirmed.status_code == 302 and "days=30" in confirmed.headers["Location"]
    with console.app_context():
        assert WATER in entry("postpartum-care").questions


def test_a_wording_that_fits_is_added_without_asking_again(console, editor_client):
    question = "給食はただになりますか"
    _log(console, question, outcome="suggest", user="r1")
    token = _token(console, question)
    response = editor_client.post("/admin/inbox/alternate", data={
        "group": token, "entry": "school-lunch-free", "question": question})
    assert response.status_code == 302
    with console.app_context():
        assert question in entry("school-lunch-free").questions


def test_a_disliked_answer_card_names_the_answer_and_offers_every_way_out(console, editor_client):
    _log(console, "給食費ってタダ", outcome="answer", feedback="down", slug="school-lunch-free", user="r1")
    html = editor_client.get("/admin/inbox?days=30").get_data(as_text=True)
    with console.app_context():
        target = entry("school-lunch-free")
    card = html[html.index("「給食費ってタダ」"):]
    assert "👎が付いた回答" in card and f"「{target.title}」" in card
    assert f'href="/admin/entries/{target.id}"' in card  # fix that answer
    assert "別の回答に追加" in card and "新しい回答を作る" in card and "対応不要にする" in card


def test_the_period_filter_survives_every_action(console, editor_client):
    _log(console, "市営プールの営業時間", user="r1")
    token = _token(console, "市営プールの営業時間", 30)
    for path, data in [("/admin/inbox/alternate", {"group": token, "question": "x"}),  # no target chosen
                       ("/admin/inbox/alternate", {"group": "0" * 16, "entry": "school-lunch-free", "question": "x"}),
                       ("/admin/inbox/dismiss", {"group": token, "reason": "bogus"}),
                       ("/admin/inbox/dismiss", {"group": token, "reason": "out_of_scope"})]:
        response = editor_client.post(path, data={**data, "days": "30"})
        assert response.status_code == 302 and "days=30" in response.headers["Location"], path
    new = editor_client.get("/admin/inbox?days=30").get_data(as_text=True)
    assert 'value="30" selected' in new


# -- issue 19 B6: a wish to talk to staff is called back, not answered with an FAQ -----------------------------

def test_a_handover_request_offers_called_back_not_faq_suggestions_and_records_who_and_when(console, editor_client):
    from bot.models import AuditLog
    from tests.support.console import EDITOR

    _log(console, "人と話したい", outcome="contact", user="a" * 16)
    _log(console, "人と話したい", outcome="contact", user="b" * 16)
    _log(console, UNKNOWN)
    page = editor_client.get("/admin/inbox").get_data(as_text=True)
    cards = {c.split("</h2>", 1)[0]: c for c in page.split('<article class="card inbox-group')[1:]}
    handover = next(c for h, c in cards.items() if "「人と話したい」" in h)
    question = next(c for h, c in cards.items() if UNKNOWN in h)
    assert "対応済み（折り返し済み）にする" in handover and 'action="/admin/inbox/handled"' in handover
    assert "想定質問に追加" not in handover and "追加先の回答" not in handover and "新しい回答を作る" not in handover
    assert "想定質問に追加" in question and "対応済み（折り返し済み）" not in question

    token = _token(console, "人と話したい")
    response = editor_client.post("/admin/inbox/handled", data={"group": token, "note": "12/7 電話で折り返し"})
    assert response.status_code == 302
    with console.app_context():
        assert [g.text for g in open_groups()] == [UNKNOWN]
        rows = list(db.session.scalars(select(InboxResolution)))
        assert len(rows) == 2 and {(r.action, r.actor) for r in rows} == {("handled", EDITOR)}
        audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "inbox.handled"))
        assert audit.actor == EDITOR and audit.after == {"question": "人と話したい", "count": 2, "note": "12/7 電話で折り返し"}
    page = editor_client.get("/admin/inbox").get_data(as_text=True)
    log = page.split('id="handled-log"', 1)[1].split("</section>", 1)[0]
    assert "「人と話したい」2件" in log and EDITOR in log and "12/7 電話で折り返し" in log
    # A second post finds nothing left to close, and says so.
    again = editor_client.post("/admin/inbox/handled", data={"group": token}, follow_redirects=True)
    assert "すでに対応済み" in again.get_data(as_text=True)
    # An FAQ question cannot be closed as called back.
    editor_client.post("/admin/inbox/handled", data={"group": _token(console, UNKNOWN)})
    with console.app_context():
        assert [g.text for g in open_groups()] == [UNKNOWN]
