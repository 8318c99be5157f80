"""Notices go out through their own town's LINE channel: the worker that serves every town multicasts each town's
batches with that town's access token, and a test send pushes with it too (issue 21 §1)."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.core.problems import Invalid
from bot.core.tenancy import use_town
from bot.extensions import db
from bot.line.channels import seal
from bot.models.tenancy import Tenant
from bot.notices import test_recipients, worker, workflow
from bot.towns.store import create_town
from tests.conftest import TOKEN
from tests.notices.support import FAST, MULTICAST, PUSH, add_followers, scheduled_notice

A_TOKEN, B_TOKEN = "furano-access-token", "biei-access-token"


@pytest.fixture
def two_towns(app):
    """The default town (app settings) and two towns with channels of their own, each with subscribers."""
    app.config.update(FAST)
    ids = {}
    with app.app_context():
        for slug, name, token in (("furano", "富良野市", A_TOKEN), ("biei", "美瑛町", B_TOKEN)):
            ids[slug] = create_town(slug, name, actor="cli", channel_secret=f"{slug}-secret", access_token=token).id
        for n, town_id in enumerate((1, ids["furano"], ids["biei"])):
            with use_town(town_id):
                add_followers(range(n * 10, n * 10 + 3), topics=("kosodate",))
                scheduled_notice()
    return ids


def _tokens_by_recipient(fake_line) -> dict[str, str]:
    return {to: call.headers["authorization"] for call in fake_line.calls(MULTICAST) for to in call.body["to"]}


def test_the_worker_serving_every_town_multicasts_each_towns_notice_with_its_token(app, two_towns, fake_line,
                                                                                    no_default_town):
    with app.app_context():  # no town: `notices send-due` without --town works for every active town in turn
        released, settled = worker.send_due(max_wait=10)
    assert len(released) == 3 and settled == 3
    by_recipient = _tokens_by_recipient(fake_line)
    assert by_recipient == {**{f"U{n:032x}": f"Bearer {TOKEN}" for n in range(0, 3)},
                            **{f"U{n:032x}": f"Bearer {A_TOKEN}" for n in range(10, 13)},
                            **{f"U{n:032x}": f"Bearer {B_TOKEN}" for n in range(20, 23)}}


def test_a_token_rotated_while_the_worker_runs_is_used_for_the_next_batch(app, two_towns, fake_line,
                                                                          no_default_town):
    with app.app_context():
        with use_town(two_towns["furano"]):
            worker.send_due(max_wait=10)
        # Another process (the operator console on another machine) rotates the token: only the row changes.
        db.session.execute(update(Tenant).where(Tenant.id == two_towns["furano"])
                           .values(line_access_token=seal("furano-rotated-token")))
        db.session.commit()
        with use_town(two_towns["furano"]):
            scheduled_notice(title="二通目")
            worker.send_due(max_wait=10)
    tokens = [c.headers["authorization"] for c in fake_line.calls(MULTICAST)]
    assert tokens == [f"Bearer {A_TOKEN}", "Bearer furano-rotated-token"]


def test_a_test_send_pushes_with_the_towns_token(app, two_towns, fake_line):
    with app.app_context(), use_town(two_towns["biei"]):
        recipient = test_recipients.add("企画課 テスト端末", "U" + "e" * 32, by="setup@example.invalid")
        notice = workflow.create(workflow.Draft("下書き", "本文です。", topics=("kosodate",)), by="author@example.jp")
        result = workflow.test_send(notice, recipient, by="author@example.jp")
    assert result.ok
    assert [c.headers["authorization"] for c in fake_line.calls(PUSH)] == [f"Bearer {B_TOKEN}"]


def test_a_town_without_a_token_cannot_test_send(app, fake_line):
    app.config.update(FAST)
    with app.app_context():
        town_id = create_town("nochannel", "未設定町", actor="cli").id
        with use_town(town_id):
            recipient = test_recipients.add("企画課 テスト端末", "U" + "e" * 32, by="setup@example.invalid")
            notice = workflow.create(workflow.Draft("下書き", "本文です。", topics=("kosodate",)), by="author@example.jp")
            with pytest.raises(Invalid, match="LINE との接続がまだ設定されていません"):
                workflow.test_send(notice, recipient, by="author@example.jp")
    assert fake_line.calls(PUSH) == []
