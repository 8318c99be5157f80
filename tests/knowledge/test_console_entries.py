"""Editing entries: saves reach the bot at once, validation, conflicts, history, rollback, archive."""
from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from bot.conversation import Incoming, respond
from bot.extensions import db
from bot.core.version import current_version
from bot.models import AuditLog, Entry, EntryRevision
from tests.support.console import (  # noqa: F401  (fixtures)
    ADMIN, EDITOR, admin_client, console, editor_client, entry, form_of, login,
)

SLUG = "school-lunch-free"
QUESTION = "給食費ってタダになるの？"


def _ask(app, text: str):
    with app.app_context():
        return respond(Incoming("text", text=text, channel="simulator"))


def _flat(reply) -> str:
    return json.dumps(reply.messages, ensure_ascii=False)


def test_saved_answer_reaches_the_bot_immediately_with_revision_version_and_audit(console, editor_client):
    with console.app_context():
        e = entry(SLUG)
        version, revisions = current_version(), len(e.revisions)
        post = form_of(e, answer="給食費は無料です。新しい回答。")
    response = editor_client.post(f"/admin/entries/{e.id}", data=post)
    assert response.status_code == 302
    assert "新しい回答" in _flat(_ask(console, QUESTION))
    with console.app_context():
        e = entry(SLUG)
        assert current_version() == version + 1
        assert len(e.revisions) == revisions + 1
        assert e.revisions[-1].author == EDITOR and e.revisions[-1].reason == "edit"
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "entry.edit"))
        assert row.actor == EDITOR and row.target_id == SLUG
        assert "新しい回答" in row.after["answer"] and "新しい回答" not in row.before["answer"]


def test_invalid_input_is_refused_in_japanese_and_nothing_changes(console, editor_client):
    with console.app_context():
        e = entry(SLUG)
        before = e.content()
        post = form_of(e, url="ftp://example.invalid", questions="一つだけ", title="あ" * 41, answer="")
    response = editor_client.post(f"/admin/entries/{e.id}", data=post)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "http:// か https:// で始まるURL" in html
    assert "想定質問を6件以上" in html
    assert "40文字以内" in html
    assert "回答" in html and "入力してください" in html
    assert 'aria-invalid="true"' in html
    with console.app_context():
        assert entry(SLUG).content() == before


def test_second_concurrent_save_is_refused_and_keeps_the_text(console, admin_client, editor_client):
    with console.app_context():
        e = entry(SLUG)
        opened = form_of(e)  # both staff open the form at the same version
    first = admin_client.post(f"/admin/entries/{e.id}", data={**opened, "answer": "管理者の回答"})
    assert first.status_code == 302
    second = editor_client.post(f"/admin/entries/{e.id}", data={**opened, "answer": "編集者の大事な文章"})
    html = second.get_data(as_text=True)
    assert second.status_code == 200
    assert "保存できませんでした" in html and ADMIN in html
    assert "編集者の大事な文章" in html  # their text stays in the form
    assert 'name="overwrite_version"' in html
    with console.app_context():
        assert entry(SLUG).answer == "管理者の回答"
        current = entry(SLUG).lock_version
    # Resubmitting the old version is refused again; overwriting after seeing the conflict works.
    again = editor_client.post(f"/admin/entries/{e.id}", data={**opened, "answer": "編集者の大事な文章"})
    assert "保存できませんでした" in again.get_data(as_text=True)
    final = editor_client.post(f"/admin/entries/{e.id}",
                               data={**opened, "answer": "編集者の大事な文章", "overwrite_version": str(current)})
    assert final.status_code == 302
    with console.app_context():
        answers = [r.data["answer"] for r in entry(SLUG).revisions]
        assert answers[-2:] == ["管理者の回答", "編集者の大事な文章"]  # nothing lost


def test_history_shows_a_diff_and_rollback_restores_an_earlier_answer(console, editor_client):
    with console.app_context():
        e = entry(SLUG)
        original = e.answer
        first_number = e.revisions[-1].number
    editor_client.post(f"/admin/entries/{e.id}", data=form_of(e, answer="間違えた回答"))
    history = editor_client.get(f"/admin/entries/{e.id}/history").get_data(as_text=True)
    assert "間違えた回答" in history and 'class="del"' in history and 'class="ins"' in history
    assert "間違えた回答" in _flat(_ask(console, QUESTION))
    response = editor_client.post(f"/admin/entries/{e.id}/rollback/{first_number}")
    assert response.status_code == 302
    with console.app_context():
        e = entry(SLUG)
        assert e.answer == original
        assert e.revisions[-1].reason == "rollback"
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "entry.rollback")) == 1
    assert original.splitlines()[0] in _flat(_ask(console, QUESTION))
    assert editor_client.post(f"/admin/entries/{e.id}/rollback/999").status_code == 404


def test_drafts_are_never_answered_and_archive_can_be_restored(console, editor_client):
    with console.app_context():
        e = entry(SLUG)
    assert _ask(console, QUESTION).entry_slug == SLUG
    editor_client.post(f"/admin/entries/{e.id}", data=form_of(e, status="draft"))
    assert _ask(console, QUESTION).entry_slug != SLUG
    with console.app_context():
        e = entry(SLUG)
    editor_client.post(f"/admin/entries/{e.id}", data=form_of(e, status="published"))
    assert _ask(console, QUESTION).entry_slug == SLUG
    editor_client.post(f"/admin/entries/{e.id}/archive")
    assert _ask(console, QUESTION).entry_slug != SLUG
    with console.app_context():
        assert entry(SLUG).archived and db.session.get(Entry, e.id) is not None
    assert "アーカイブ" in editor_client.get("/admin/entries?status=archived").get_data(as_text=True)
    editor_client.post(f"/admin/entries/{e.id}/restore")
    assert _ask(console, QUESTION).entry_slug == SLUG


def test_new_entry_is_created_as_a_draft_and_slug_must_be_unique(console, editor_client):
    questions = "\n".join(f"芦別の星空について{n}" for n in range(6))
    post = {"slug": "star-sky", "title": "星空", "category": "移住・応援団", "status": "draft", "answer": "星がきれいです。",
            "questions": questions, "source": "テスト"}
    response = editor_client.post("/admin/entries/new", data=post)
    assert response.status_code == 302
    with console.app_context():
        created = entry("star-sky")
        assert created.status == "draft" and len(created.revisions) == 1
    again = editor_client.post("/admin/entries/new", data=post)
    assert "すでに使われています" in again.get_data(as_text=True)


def test_slug_cannot_be_changed_by_an_edit(console, editor_client):
    with console.app_context():
        e = entry(SLUG)
    editor_client.post(f"/admin/entries/{e.id}", data=form_of(e, slug="hijacked", answer="変更"))
    with console.app_context():
        assert entry(SLUG).answer == "変更" and entry("hijacked") is None


def test_list_filters_and_search(console, editor_client):
    html = editor_client.get("/admin/entries?q=キュウショク").get_data(as_text=True)
    assert "学校給食費" in html and "出産" not in html
    html = editor_client.get("/admin/entries?review=1").get_data(as_text=True)
    assert "期限切れ" in html or "条件に合う回答はありません" in html
    assert editor_client.get("/admin/entries?sort=asked&recent=1&status=draft&category=x").status_code == 200


def test_live_preview_builds_the_real_bubble(editor_client):
    response = editor_client.post("/admin/entries/preview", json={
        "title": "見出し", "answer": "本文", "url": "https://example.invalid/", "contact": "", "source": "出典X"})
    message = response.get_json()["message"]
    assert message["type"] == "flex"
    flat = json.dumps(message, ensure_ascii=False)
    assert "見出し" in flat and "本文" in flat and "詳しく見る" in flat and "出典：出典X" in flat


def test_try_it_shows_outcome_candidates_scores_and_reasons(console, editor_client):
    html = editor_client.get("/admin/try", query_string={"q": QUESTION}).get_data(as_text=True)
    assert 'data-outcome="answer"' in html
    assert "学校給食費の無償化" in html
    assert re.search(r"0\.\d\d", html)
    with console.app_context():
        e = entry(SLUG)
    editor_client.post(f"/admin/entries/{e.id}", data=form_of(e, status="draft"))
    html = editor_client.get("/admin/try", query_string={"q": QUESTION}).get_data(as_text=True)
    assert 'data-outcome="answer"' not in html or "学校給食費の無償化" not in html.split("判定")[1].split("</table>")[0]
    with_drafts = editor_client.get("/admin/try", query_string={"q": QUESTION, "drafts": "y"}).get_data(as_text=True)
    assert "下書きも含めた結果" in with_drafts and 'data-outcome="answer"' in with_drafts
    with console.app_context():
        # "Try it" is not a resident question: nothing is logged.
        from bot.models import QuestionLog

        assert db.session.scalar(select(func.count()).select_from(QuestionLog)) == 0
        assert db.session.scalar(select(func.count()).select_from(EntryRevision)) > 0


def test_the_entry_list_sorts_titles_by_reading_not_by_character_code(console, editor_client):
    html = editor_client.get("/admin/entries", query_string={"category": "子育て・教育"}).get_data(as_text=True)
    titles = re.findall(r'<td><a href="/admin/entries/\d+">([^<]+)</a></td>', html)
    # がっこう・こども・さんご・しゅっさんお・しゅっさんに・にんぷ・ほいく・ぼし (by code, 保育 and 出産 came first)
    expected = ["学校給食費", "子どもの医療費", "産後ケア", "出産応援", "出産に係る", "妊婦健診", "保育業務", "母子手帳"]
    assert [next(x for x in expected if t.startswith(x)) for t in titles] == expected


def test_statistics_count_residents_unless_asked_for_the_rest(console, editor_client):
    from bot.models import QuestionLog

    with console.app_context():
        for channel in ("line", "simulator", "simulator", "cli"):
            db.session.add(QuestionLog(text="給食費", outcome="answer", entry_slug=SLUG, channel=channel))
        db.session.commit()
    residents = editor_client.get("/admin/").get_data(as_text=True)
    assert "<dt>質問</dt><dd>1件</dd>" in residents and "1回" in residents
    everyone = editor_client.get("/admin/?who=all").get_data(as_text=True)
    assert "<dt>質問</dt><dd>4件</dd>" in everyone and "4回" in everyone
    staff = editor_client.get("/admin/?who=test").get_data(as_text=True)
    assert "<dt>質問</dt><dd>3件</dd>" in staff
    listing = editor_client.get("/admin/entries?sort=asked").get_data(as_text=True)
    assert re.search(r'学校給食費の無償化（小中学校）</a></td>.*?<td class="num">1</td>', listing, re.S)
    listing = editor_client.get("/admin/entries?sort=asked&who=all").get_data(as_text=True)
    assert re.search(r'学校給食費の無償化（小中学校）</a></td>.*?<td class="num">4</td>', listing, re.S)
