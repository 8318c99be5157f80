"""`flask demo seed`: a realistic month in the console, fake LINE ids, refused in production, runs once."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.demo import ADMIN
from bot.extensions import db
from bot.models import AuditLog, Follower, Notice, QuestionLog, User

PASSWORD = "demo-password-for-tests"


def _seed(runner):
    return runner.invoke(args=["demo", "seed", "--password", PASSWORD])


def _numbers(html: str, label: str) -> list[int]:
    return [int(n) for n in re.findall(rf"<dt>{label}</dt><dd>(\d+)", html)]


def test_seed_fills_the_console_with_a_realistic_month(app, runner):
    result = _seed(runner)
    assert result.exit_code == 0, result.output
    assert "1 draft, 1 pending_approval, 1 scheduled, 1 sent" in result.output
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    assert client.post("/admin/login", data={"email": ADMIN, "password": PASSWORD}).status_code == 302
    overview = client.get("/admin/").get_data(as_text=True)
    questions_30 = _numbers(overview, "質問")[-1]
    assert questions_30 > 50
    assert _numbers(overview, "候補を表示")[-1] > 0 and _numbers(overview, "回答できず")[-1] > 0
    assert _numbers(overview, "👍 役に立った")[-1] > 0 and _numbers(overview, "👎 わからない")[-1] > 0
    assert re.search(r'今週の未回答の質問</h2>\s*<p class="big"><a [^>]*>[1-9]\d*件', overview)
    inbox = client.get("/admin/inbox").get_data(as_text=True)
    assert "燃えないごみの収集日" in inbox and "除雪車" in inbox
    assert "保育料" not in inbox  # staff closed that one as personal
    notices = client.get("/admin/notices/").get_data(as_text=True)
    for title in ("母子手帳アプリのご案内", "年末年始の窓口", "コンビニ交付", "出産・子育ての支援"):
        assert title in notices
    with app.app_context():
        sent = db.session.scalar(select(Notice).where(Notice.status == "sent"))
        assert sent.recipients > 0
        assert client.get(f"/admin/notices/{sent.id}").status_code == 200
        channels = set(db.session.scalars(select(QuestionLog.channel).distinct()))
        assert {"line", "simulator"} <= channels
        days = {r.date() for r in db.session.scalars(select(QuestionLog.created_at))}
        assert len(days) >= 15  # spread over the month, not all today
        actions = set(db.session.scalars(select(AuditLog.action)))
        assert {"user.create", "inbox.alternate", "inbox.dismiss", "entry.edit", "demo.seed"} <= actions
        assert db.session.scalar(select(func.count(User.id))) == 2


def test_seed_uses_only_obviously_fake_line_ids_and_no_test_leftovers(app, runner):
    assert _seed(runner).exit_code == 0
    with app.app_context():
        ids = list(db.session.scalars(select(Follower.line_user_id)))
        texts = list(db.session.scalars(select(QuestionLog.text)))
    assert ids and all(re.fullmatch(r"Udemo\d{28}", i) for i in ids)
    assert not any(re.fullmatch(r"U[0-9a-f]{32}", i) for i in ids)  # the shape of a real LINE user id
    assert texts and not any("テスト" in t or "test" in t.lower() for t in texts)
    # 施設予約: the example facilities say so (the plan names none), and their LINE bookings use the fake ids too.
    from bot.models import Booking, BookingFacility
    with app.app_context():
        names = list(db.session.scalars(select(BookingFacility.name)))
        booked = list(db.session.scalars(select(Booking.line_user_id).where(Booking.line_user_id != "")))
        channels = set(db.session.scalars(select(Booking.channel).distinct()))
    assert names and all(n.startswith("（例）") for n in names)
    assert booked and all(re.fullmatch(r"Udemo\d{28}", i) for i in booked)
    assert {"line", "phone", "counter"} <= channels


def test_seed_runs_once(app, runner):
    assert _seed(runner).exit_code == 0
    with app.app_context():
        before = db.session.scalar(select(func.count(QuestionLog.id)))
    again = _seed(runner)
    assert again.exit_code == 0
    assert "already" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(QuestionLog.id))) == before
        assert db.session.scalar(select(func.count(User.id))) == 2


def test_seed_refuses_in_production(app, runner):
    app.config["APP_ENV"] = "production"
    result = _seed(runner)
    assert result.exit_code == 1
    assert "APP_ENV=production" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(QuestionLog.id))) == 0
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_seed_on_a_fresh_database_says_to_migrate_first_instead_of_a_traceback(tmp_path, fake_line):
    """Issue 19 B10: `flask demo seed` before `flask db upgrade` used to end in an OperationalError traceback."""
    from bot import create_app
    from tests.conftest import base_config

    fresh = create_app(base_config(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", fake_line))
    try:
        result = fresh.test_cli_runner().invoke(args=["demo", "seed", "--password", PASSWORD])
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and "OperationalError" not in result.output
        assert "データベースがまだ作られていません" in result.output and "flask --app app db upgrade" in result.output
        assert "The database has no tables yet" in result.output
        # After migrating, the same command works.
        from flask_migrate import upgrade

        with fresh.app_context():
            upgrade()
        assert fresh.test_cli_runner().invoke(args=["demo", "seed", "--password", PASSWORD]).exit_code == 0
    finally:
        fresh.extensions["line_sender"].close()
        with fresh.app_context():
            db.engine.dispose()
