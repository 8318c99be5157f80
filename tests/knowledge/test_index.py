"""The per-process index follows the knowledge version."""
from __future__ import annotations

from sqlalchemy import select

from bot.extensions import db
from bot.knowledge.index import knowledge, load_synonyms
from bot.core.tenancy import town_caches
from bot.core.version import bump_version
from bot.models.tenancy import DEFAULT_TOWN_ID
from bot.models import Entry


def test_index_is_reused_until_the_version_changes(loaded_app):
    with loaded_app.app_context():
        first = knowledge()
        assert knowledge() is first
        entry = db.session.scalar(select(Entry).where(Entry.slug == "digital-signage"))
        entry.title = "まちなかの案内モニター"
        bump_version()
        db.session.commit()
        second = knowledge()
        assert second is not first and second.version == first.version + 1
        assert second.entries["digital-signage"].title == "まちなかの案内モニター"
        assert first.entries["digital-signage"].title != "まちなかの案内モニター"  # old snapshot untouched


def test_drafts_and_archived_entries_are_never_answered(loaded_app):
    with loaded_app.app_context():
        lunch = db.session.scalar(select(Entry).where(Entry.slug == "school-lunch-free"))
        lunch.status = "draft"
        led = db.session.scalar(select(Entry).where(Entry.slug == "led-lighting"))
        led.archived = True
        bump_version()
        db.session.commit()
        snapshot = knowledge()
        assert "school-lunch-free" not in snapshot.entries and "led-lighting" not in snapshot.entries
        decision = snapshot.matcher.decide("学校給食費の無償化")
        assert all(c.id != "school-lunch-free" for c in decision.candidates)


def test_broken_synonym_file_is_ignored_with_a_log_line(tmp_path, caplog):
    (tmp_path / "synonyms.yaml").write_text("無償: [無料\n", encoding="utf-8")
    assert load_synonyms(str(tmp_path)) == {}
    assert "ignoring" in caplog.text
    (tmp_path / "synonyms.yaml").write_text("無償: [無料, タダ]\n", encoding="utf-8")
    assert load_synonyms(str(tmp_path)) == {"無償": ["無料", "タダ"]}


def test_decision_cache_remembers_per_snapshot_and_dies_with_it(loaded_app):
    with loaded_app.app_context():
        first = knowledge()
        asked = first.decide("給食費ってタダになるの？")
        assert asked == first.matcher.decide("給食費ってタダになるの？")
        assert first.decide("給食費ってタダになるの？") is asked  # the same object: no second matching
        assert (first.decisions.hits, first.decisions.misses) == (1, 1)
        entry = db.session.scalar(select(Entry).where(Entry.slug == "school-lunch-free"))
        entry.status = "draft"
        bump_version()
        db.session.commit()
        second = knowledge()
        assert second.decisions is not first.decisions and second.decisions.hits == 0
        # After the edit the cached answer is gone with the old snapshot: the entry is no longer offered.
        assert all(c.id != "school-lunch-free" for c in second.decide("給食費ってタダになるの？").candidates)


def test_decision_cache_evicts_the_least_recently_used_and_can_be_off():
    from bot.knowledge.index import DecisionCache
    from bot.matching import Decision

    cache = DecisionCache(2)
    a, b, c = (Decision("fallback") for _ in range(3))
    cache.put("a", a)
    cache.put("b", b)
    assert cache.get("a") is a  # "a" is now the most recent, so "b" goes first
    cache.put("c", c)
    assert cache.get("b") is None and cache.get("a") is a and cache.get("c") is c
    off = DecisionCache(0)
    off.put("a", a)
    assert off.get("a") is None


def test_decision_cache_size_comes_from_the_settings(app):
    app.config["DECISION_CACHE_SIZE"] = 0
    with app.app_context():
        snapshot = knowledge()
        snapshot.decide("コンビニで住民票")
        snapshot.decide("コンビニで住民票")
        assert snapshot.decisions.hits == 0 and snapshot.decisions.misses == 2


def test_a_question_matched_on_a_stale_index_is_answered_from_the_new_knowledge(loaded_app, webhook, fake_line):
    """Another process edits the knowledge: the next question notices it where it is recorded, and asks again."""
    from sqlalchemy import func

    from bot.models import ProcessedEvent, QuestionLog
    from tests.support import events

    assert webhook([events.text("給食費ってタダになるの？")]).status_code == 200  # builds this process's index
    with loaded_app.app_context():
        built = town_caches("kb_index", loaded_app).peek(DEFAULT_TOWN_ID).latest
        entry = db.session.scalar(select(Entry).where(Entry.slug == "school-lunch-free"))
        entry.status = "draft"  # written straight to the database, as another web process would
        bump_version()
        db.session.commit()
    fake_line.reset()
    event = events.text("給食費ってタダになるの？")
    assert webhook([event]).status_code == 200
    reply = fake_line.calls("/v2/bot/message/reply")[0].body
    assert "school-lunch-free" not in str(reply) and "学校給食費の無償化" not in str(reply)
    with loaded_app.app_context():
        assert town_caches("kb_index", loaded_app).peek(DEFAULT_TOWN_ID).latest.version == built.version + 1
        logged = db.session.scalars(select(QuestionLog).order_by(QuestionLog.id.desc())).first()
        assert logged.entry_slug != "school-lunch-free"
        assert db.session.scalar(select(func.count()).select_from(QuestionLog)) == 2  # nothing written twice
        assert db.session.scalar(select(func.count()).select_from(ProcessedEvent)
                                 .where(ProcessedEvent.webhook_event_id == event["webhookEventId"])) == 1
