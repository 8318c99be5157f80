"""`flask operators create EMAIL [--generate]`: a platform command (no --town), audited."""
from __future__ import annotations

from sqlalchemy import select

from bot.cli import PLATFORM_COMMANDS
from bot.extensions import db
from bot.models.operators import Operator, OperatorAudit
from tests.towns.conftest import op_login


def test_a_generated_password_is_printed_once_and_logs_in(app):
    result = app.test_cli_runner().invoke(args=["operators", "create", "Ops@Example.invalid", "--generate"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password (shown only now): ")[1].strip()
    assert len(password) == 19
    with app.app_context():
        operator = db.session.scalar(select(Operator))
        assert operator.email == "ops@example.invalid" and password not in operator.password_hash
        rows = [(r.operator, r.action) for r in db.session.scalars(select(OperatorAudit))]
        assert rows == [("cli", "operator.create")]
    app.config["WTF_CSRF_ENABLED"] = False
    assert op_login(app.test_client(), "ops@example.invalid", password).status_code == 302


def test_a_typed_password_is_asked_twice_and_never_printed(app):
    result = app.test_cli_runner().invoke(args=["operators", "create", "ops@example.invalid"],
                                          input="typed password 1\ntyped password 1\n")
    assert result.exit_code == 0 and "typed password 1" not in result.output
    app.config["WTF_CSRF_ENABLED"] = False
    assert op_login(app.test_client(), "ops@example.invalid", "typed password 1").status_code == 302


def test_bad_input_is_refused_in_japanese(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["operators", "create", "not-an-email", "--generate"])
    assert result.exit_code == 1 and "メールアドレスの形式" in result.output
    result = runner.invoke(args=["operators", "create", "ops@example.invalid"], input="short\nshort\n")
    assert result.exit_code == 1 and "10文字以上" in result.output
    assert runner.invoke(args=["operators", "create", "ops@example.invalid", "--generate"]).exit_code == 0
    result = runner.invoke(args=["operators", "create", "OPS@example.invalid", "--generate"])
    assert result.exit_code == 1 and "すでにいます" in result.output


def test_operators_belong_to_no_town(app):
    assert "operators" in PLATFORM_COMMANDS
    result = app.test_cli_runner().invoke(args=["operators", "create", "ops@example.invalid", "--generate",
                                                "--town", "default"])
    assert result.exit_code == 2 and "--town" in result.output


def test_town_commands_leave_operator_audit_rows_too(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["towns", "create", "biei", "--name", "美瑛町", "--line-channel-secret", "s",
                               "--line-access-token", "t"]).exit_code == 0
    assert runner.invoke(args=["towns", "set-channel", "biei", "--line-access-token", "t2"]).exit_code == 0
    result = runner.invoke(args=["towns", "set-channel", "biei"])
    assert result.exit_code == 1 and "1つ以上入力" in result.output
    assert runner.invoke(args=["towns", "suspend", "biei"]).exit_code == 0
    with app.app_context():
        rows = [(r.operator, r.action, r.town_slug) for r in db.session.scalars(select(OperatorAudit))]
    assert rows == [("cli", "town.create", "biei"), ("cli", "town.channel", "biei"), ("cli", "town.suspend", "biei")]
