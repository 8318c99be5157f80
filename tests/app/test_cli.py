"""Command-line tools: ask, kb match, kb eval, logs purge."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.conversation import simulated
from bot.extensions import db
from bot.models import ProcessedEvent, QuestionLog, utcnow
from tests.conftest import shared_path



def test_ask_prints_the_answer(loaded_app, runner):
    result = runner.invoke(args=["ask", "子どもが生まれたら何かもらえる？"])
    assert result.exit_code == 0
    assert result.output.startswith("[answer childbirth-gifts]")
    assert "出典：" in result.output and "詳しく見る" in result.output


def test_ask_user_tries_notice_settings_that_last_between_runs(loaded_app, runner):
    from bot.notices import audience
    from tests.notices.support import FAST

    loaded_app.config.update(FAST)
    first = runner.invoke(args=["ask", "--user", "花子", "お知らせ設定"])
    assert first.exit_code == 0 and first.output.startswith("[notices]")
    assert "[⬜ 子育て・教育] → a=sub&t=kosodate" in first.output
    tapped = runner.invoke(args=["ask", "--user", "花子", "--postback", "a=sub&t=kosodate"])
    assert "「子育て・教育」のお知らせをお届けします" in tapped.output
    assert "[✅ 子育て・教育]" in runner.invoke(args=["ask", "--user", "花子", "お知らせ設定"]).output
    assert "[⬜ 子育て・教育]" in runner.invoke(args=["ask", "--user", "太郎", "お知らせ設定"]).output
    assert "配信を停止しました" in runner.invoke(args=["ask", "--user", "花子", "配信停止"]).output
    with loaded_app.app_context():
        assert audience.count(()) == 0 and audience.count(("kosodate",)) == 0


def test_logs_purge_deletes_simulated_residents_not_seen_for_the_retention_period(loaded_app, runner):
    from bot.models import Follower, Subscription
    from tests.notices.support import FAST, add_followers

    loaded_app.config.update(FAST)
    runner.invoke(args=["ask", "--user", "old", "--postback", "a=sub&t=kosodate"])
    runner.invoke(args=["ask", "--user", "recent", "--postback", "a=sub&t=kosodate"])
    with loaded_app.app_context():
        old_seen = utcnow() - timedelta(days=200)
        real = add_followers([1], topics=("kosodate",))
        db.session.execute(Follower.__table__.update().where(
            Follower.line_user_id.in_([simulated.cli_id("old"), *real])).values(last_seen=old_seen))
        db.session.commit()
    result = runner.invoke(args=["logs", "purge", "--days", "180"])
    assert "deleted 1 simulated residents not seen for 180 days" in result.output
    with loaded_app.app_context():
        left = set(db.session.scalars(select(Follower.line_user_id)))
        assert left == {simulated.cli_id("recent"), *real}  # a real follower is never purged for being quiet
        assert db.session.scalar(select(func.count()).select_from(Subscription)) == 2


def test_ask_shows_quick_reply_data_and_needs_a_question(loaded_app, runner):
    result = runner.invoke(args=["ask", "給食費ってタダ？"])
    assert "  [メニュー] → a=menu" in result.output
    assert runner.invoke(args=["ask"]).exit_code == 2


def test_ask_out_of_scope_says_whom_to_ask(loaded_app, runner):
    result = runner.invoke(args=["ask", "バスの時刻表"])
    assert "[fallback]" in result.output
    assert "お問い合わせください" in result.output


def test_kb_match_jsonl(loaded_app, runner):
    lines = "\n".join(json.dumps({"q": q}, ensure_ascii=False) for q in ("ゼロカーボン", "ぜんぜん関係ない話"))
    result = runner.invoke(args=["kb", "match", "--jsonl"], input=lines + "\n")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[0]["q"] == "ゼロカーボン" and rows[0]["answer"] == "zero-carbon"
    assert set(rows[0]) == {"q", "answer", "suggestions", "score"}
    assert rows[1]["answer"] is None


def test_kb_eval_prints_the_four_rates(loaded_app, runner, tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"q": "LED化の計画", "expect": ["led-lighting"]}\n'
        '{"q": "ゴミの出し方", "expect": []}\n', encoding="utf-8")
    result = runner.invoke(args=["kb", "eval", str(cases)])
    assert "answer_accuracy: 100.0%" in result.output
    assert "out_of_scope_false_answer_rate: 0.0%" in result.output


def test_dev_questions_meet_the_bars(loaded_app, runner):
    result = runner.invoke(args=["kb", "eval", str(shared_path("eval", "dev-questions.jsonl"))])
    rates = dict(line.split(": ") for line in result.output.splitlines() if line.endswith("%"))
    pct = {k: float(v.rstrip("%")) for k, v in rates.items()}
    assert pct["answer_accuracy"] >= 90
    assert pct["helpful_rate"] >= 95
    assert pct["wrong_answer_rate"] <= 3
    assert pct["out_of_scope_false_answer_rate"] <= 10


def test_logs_purge_deletes_only_old_rows(loaded_app, runner):
    with loaded_app.app_context():
        old = utcnow() - timedelta(days=200)
        db.session.add_all([
            QuestionLog(text="old", outcome="fallback", created_at=old),
            QuestionLog(text="new", outcome="fallback"),
            ProcessedEvent(webhook_event_id="old-event", received_at=old),
        ])
        db.session.commit()
    result = runner.invoke(args=["logs", "purge", "--days", "180"])
    assert "deleted 1 question log rows and 1 event records" in result.output
    assert "0 expired import previews" in result.output
    with loaded_app.app_context():
        assert db.session.scalars(select(QuestionLog.text)).all() == ["new"]
        assert db.session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
