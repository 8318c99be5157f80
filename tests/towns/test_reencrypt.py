"""`flask towns reencrypt`: rotating TOWN_SECRETS_KEY without losing any town's LINE credentials."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.line.channels import MissingKey, new_key, stored_channel
from bot.models.operators import OperatorAudit
from bot.models.tenancy import Tenant


def test_a_new_key_put_first_then_reencrypt_lets_the_old_key_go(app):
    old, new = new_key(), new_key()
    app.config["TOWN_SECRETS_KEY"] = old
    runner = app.test_cli_runner()
    for slug in ("biei", "furano"):
        result = runner.invoke(args=["towns", "create", slug, "--name", f"{slug}町", "--line-channel-secret",
                                     f"{slug}-secret", "--line-access-token", f"{slug}-token"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        before = dict(db.session.execute(select(Tenant.slug, Tenant.line_access_token)).all())

    app.config["TOWN_SECRETS_KEY"] = f"{new},{old}"  # the new key first: it encrypts, both decrypt
    result = runner.invoke(args=["towns", "reencrypt"])
    assert result.exit_code == 0 and "2 town(s)" in result.output, result.output

    app.config["TOWN_SECRETS_KEY"] = new  # the old key is gone
    with app.app_context():
        towns = {t.slug: t for t in db.session.scalars(select(Tenant))}
        assert towns["biei"].line_access_token != before["biei"]  # sealed anew
        assert stored_channel(towns["biei"].id).access_token == "biei-token"
        assert stored_channel(towns["furano"].id).secret == "furano-secret"
        assert stored_channel(towns["default"].id).secret == ""  # the default town stores none: untouched
        audit = db.session.scalars(select(OperatorAudit).where(OperatorAudit.action == "towns.reencrypt")).all()
        assert [(a.operator, a.detail) for a in audit] == [("cli", {"towns": 2})]


def test_reencrypt_without_the_old_key_changes_nothing_and_says_why(app):
    app.config["TOWN_SECRETS_KEY"] = new_key()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["towns", "create", "biei", "--name", "美瑛町", "--line-channel-secret", "s",
                               "--line-access-token", "t"]).exit_code == 0
    with app.app_context():
        sealed = db.session.scalar(select(Tenant.line_access_token).where(Tenant.slug == "biei"))
    app.config["TOWN_SECRETS_KEY"] = new_key()  # the key that sealed them is lost
    result = runner.invoke(args=["towns", "reencrypt"])
    assert result.exit_code == 1 and "復号できません" in result.output
    with app.app_context():
        assert db.session.scalar(select(Tenant.line_access_token).where(Tenant.slug == "biei")) == sealed
        with pytest.raises(MissingKey):
            stored_channel(db.session.scalar(select(Tenant.id).where(Tenant.slug == "biei")))
