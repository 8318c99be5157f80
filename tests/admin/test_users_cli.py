"""`flask users …`: create accounts, print a generated password once, let a newcomer in."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot.extensions import db
from bot.models import AuditLog, User


def test_create_with_generated_password_prints_it_once_and_stores_a_hash(app, runner):
    result = runner.invoke(args=["users", "create", "Staff@Example.invalid", "--role", "admin", "--generate"])
    assert result.exit_code == 0, result.output
    password = re.search(r"password \(shown only now\): (\S+)", result.output).group(1)
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "staff@example.invalid" and user.role == "admin"
        assert password not in user.password_hash and user.check_password(password)
        assert db.session.scalar(select(AuditLog)).action == "user.create"
        assert user.must_change_password  # whoever ran the command saw it
    assert not set("0Oo1Il") & set(password)


def test_create_prompts_for_a_password(app, runner):
    result = runner.invoke(args=["users", "create", "e@example.invalid"], input="a-long-password\na-long-password\n")
    assert result.exit_code == 0, result.output
    assert "shown only now" not in result.output
    with app.app_context():
        assert db.session.scalar(select(User)).check_password("a-long-password")


def test_bad_input_is_refused(app, runner):
    runner.invoke(args=["users", "create", "e@example.invalid", "--generate"])
    assert runner.invoke(args=["users", "create", "e@example.invalid", "--generate"]).exit_code != 0
    assert runner.invoke(args=["users", "create", "not-an-email", "--generate"]).exit_code != 0
    assert runner.invoke(args=["users", "create", "x@example.invalid", "--role", "root"]).exit_code != 0


def test_ensure_dev_admin_creates_one_admin_only_outside_production(app, runner):
    app.config["APP_ENV"] = "production"
    assert "production" in runner.invoke(args=["users", "ensure-dev-admin"]).output
    with app.app_context():
        assert db.session.scalar(select(User)) is None
    app.config["APP_ENV"] = "development"
    first = runner.invoke(args=["users", "ensure-dev-admin"]).output
    assert "admin@example.invalid" in first and "password:" in first and "/admin/" in first
    second = runner.invoke(args=["users", "ensure-dev-admin"]).output
    assert "password:" not in second
    with app.app_context():
        assert len(db.session.scalars(select(User)).all()) == 1
        # A development account on a local database: the printed password works as it is.
        assert not db.session.scalar(select(User)).must_change_password


def test_set_password_and_list(app, runner):
    runner.invoke(args=["users", "create", "e@example.invalid", "--generate"])
    result = runner.invoke(args=["users", "set-password", "e@example.invalid", "--generate"])
    assert "shown only now" in result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.must_change_password
        assert db.session.scalars(select(AuditLog.action)).all()[-1] == "user.password_reset"
    assert "e@example.invalid\teditor\tactive" in runner.invoke(args=["users", "list"]).output
