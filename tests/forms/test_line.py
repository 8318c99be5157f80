"""Forms from LINE: the signed 「応援団に登録する」 button, the receipt push, own registration, withdrawal."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import select

from bot.extensions import db
from bot.models import FormSubmission
from tests.support import events
from tests.support.events import USER
from tests.forms.support import GOOD, apply, hidden, open_form, post_confirm, post_submit, receipt
from tests.support.linejson import actions

OTHER = "U" + "2" * 32


def _replies(fake_line) -> list[dict]:
    return [m for call in fake_line.calls("/v2/bot/message/reply") for m in call.body["messages"]]


def _form_link(fake_line) -> str:
    uris = [a["uri"] for m in _replies(fake_line) for a in actions(m)
            if a["type"] == "uri" and a["label"] == "応援団に登録する"]
    assert uris, _replies(fake_line)
    return uris[-1]


def _ask_for_the_form(webhook, fake_line, user: str = USER) -> str:
    webhook([events.follow(user=user)])
    webhook([events.text("応援団に入りたい", user=user)])
    return _form_link(fake_line)


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + "?" + parts.query


def test_the_answer_offers_a_signed_link_without_the_user_id(loaded_app, webhook, fake_line):
    url = _ask_for_the_form(webhook, fake_line)
    assert url.startswith("http://localhost/forms/supporters-club?t=")  # the host the webhook came in on
    assert USER not in url and USER.lower() not in url.lower()
    token = dict(parse_qsl(urlsplit(url).query))["t"]
    assert USER not in token


def test_public_base_url_is_the_links_host(loaded_app, webhook, fake_line):
    loaded_app.config["PUBLIC_BASE_URL"] = "https://bot.example.jp"
    assert _ask_for_the_form(webhook, fake_line).startswith("https://bot.example.jp/forms/supporters-club?t=")


def test_a_linked_application_pushes_the_receipt_and_no_personal_data(loaded_app, webhook, fake_line):
    url = _ask_for_the_form(webhook, fake_line)
    client = loaded_app.test_client()
    assert "LINE と連携して申し込みます" in open_form(client, "?" + urlsplit(url).query)
    done = apply(client, token=dict(parse_qsl(urlsplit(url).query))["t"])
    number = receipt(done)
    with loaded_app.app_context():
        row = db.session.scalar(select(FormSubmission))
        assert row.line_user_id == USER and row.channel == "line" and row.receipt_no == number
    pushes = fake_line.calls("/v2/bot/message/push")
    assert len(pushes) == 1 and pushes[0].body["to"] == USER and pushes[0].retry_key
    pushed = str(pushes[0].body["messages"])
    assert number in pushed
    for value in ("芦別 花子", "あしべつ はなこ", "hanako", "世田谷", "東京都", "芦別出身"):
        assert value not in pushed


def _token_of(url: str) -> str:
    return dict(parse_qsl(urlsplit(url).query))["t"]


def test_a_replayed_link_is_refused_but_the_resident_can_still_apply(loaded_app, webhook, fake_line):
    token = _token_of(_ask_for_the_form(webhook, fake_line))
    client = loaded_app.test_client()
    apply(client, token=token)
    page = open_form(client, f"?t={token}")
    assert "すでに申込みに使われています" in page and hidden(page, "t") is None
    assert "LINE と連携して申し込みます" not in page


def test_a_used_token_in_a_new_confirm_step_is_reported_and_nothing_is_linked(loaded_app, webhook, fake_line):
    token = _token_of(_ask_for_the_form(webhook, fake_line))
    client = loaded_app.test_client()
    first = post_confirm(client, token=token).get_data(as_text=True)
    second = post_confirm(client, dict(GOOD, **{"f-email": "b@example.jp"}), token=token).get_data(as_text=True)
    assert hidden(first, "t") == token and hidden(second, "t") == token
    assert post_submit(client, first).status_code == 200
    refused = post_submit(client, second)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "すでに申込みに使われています" in html
    assert hidden(html, "t") is None and 'value="b@example.jp"' in html  # the input is kept, unlinked
    with loaded_app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(FormSubmission)) == 1
    # Sent again without the link, it is stored as a web application.
    assert receipt(post_submit(client, html).get_data(as_text=True))
    with loaded_app.app_context():
        rows = db.session.scalars(select(FormSubmission).order_by(FormSubmission.id)).all()
        assert [r.channel for r in rows] == ["line", "web"] and rows[1].line_user_id is None


def test_forged_and_expired_tokens_are_refused_in_japanese(loaded_app, webhook, fake_line):
    token = _token_of(_ask_for_the_form(webhook, fake_line))
    client = loaded_app.test_client()
    forged = open_form(client, f"?t={token[:-3]}abc")
    assert "リンクが正しくありません" in forged and hidden(forged, "t") is None
    loaded_app.config["FORM_LINK_MAX_AGE"] = -1
    expired = open_form(client, f"?t={token}")
    assert "有効期限が切れています" in expired and hidden(expired, "t") is None
    apply(client, token=token)  # applies without the LINE link
    with loaded_app.app_context():
        assert db.session.scalar(select(FormSubmission)).line_user_id is None
    assert not fake_line.calls("/v2/bot/message/push")


def _linked_application(loaded_app, webhook, fake_line) -> str:
    token = _token_of(_ask_for_the_form(webhook, fake_line))
    return receipt(apply(loaded_app.test_client(), token=token))


def test_own_registration_shows_receipt_and_date(loaded_app, webhook, fake_line):
    number = _linked_application(loaded_app, webhook, fake_line)
    fake_line.reset()
    webhook([events.text("応援団の登録内容")])
    said = str(_replies(fake_line))
    assert number in said and "登録日" in said and "芦別 花子" not in said
    fake_line.reset()
    webhook([events.text("応援団の登録内容", user=OTHER)])
    assert number not in str(_replies(fake_line)) and "見つかりませんでした" in str(_replies(fake_line))


def test_withdrawal_from_line_asks_first_and_keeps_the_answers(loaded_app, webhook, fake_line):
    number = _linked_application(loaded_app, webhook, fake_line)
    fake_line.reset()
    webhook([events.text("応援団をやめる")])
    confirm = [a for m in _replies(fake_line) for a in actions(m) if a["type"] == "postback"]
    assert confirm and confirm[0]["label"] == "登録をやめる"
    with loaded_app.app_context():
        assert db.session.scalar(select(FormSubmission)).status == "new"  # asking is not withdrawing
    # Someone else replaying the same postback changes nothing.
    webhook([events.postback(confirm[0]["data"], user=OTHER)])
    with loaded_app.app_context():
        assert db.session.scalar(select(FormSubmission)).status == "new"
    fake_line.reset()
    webhook([events.postback(confirm[0]["data"])])
    assert "登録を取り消しました" in str(_replies(fake_line))
    with loaded_app.app_context():
        row = db.session.scalar(select(FormSubmission))
        assert row.status == "cancelled" and row.withdrawn_at is not None and row.answers["name"] == "芦別 花子"
        from bot.models import AuditLog

        audited = [(a.action, a.actor, a.target_id, a.summary) for a in db.session.scalars(
            select(AuditLog).where(AuditLog.target_type == "application").order_by(AuditLog.id))]
        assert audited == [  # every change by the resident, with the receipt number only (issue 19 A1)
            ("application.create", "住民（LINE）", number, f"受付番号 {number} の申込みを受付"),
            ("application.withdraw", "住民（LINE）", number, f"受付番号 {number} の登録を本人が取消し")]
    fake_line.reset()
    webhook([events.postback(confirm[0]["data"])])
    assert "見つかりませんでした" in str(_replies(fake_line)) or "すでに取り消されています" in str(_replies(fake_line))


def test_the_topic_menu_and_the_rich_menu_postback_offer_the_form(loaded_app, webhook, fake_line):
    webhook([events.follow()])
    fake_line.reset()
    webhook([events.postback("a=topic&c=移住・応援団")])
    messages = _replies(fake_line)
    assert any(a["type"] == "uri" and a["label"] == "応援団に登録する" for a in actions(messages[0]))
    assert "quickReply" in messages[-1]  # the topic list stays last, with its quick replies
    fake_line.reset()
    webhook([events.postback("a=form&f=supporters-club")])
    assert "?t=" in _form_link(fake_line)


def test_the_simulator_shows_the_button_and_its_link_works(loaded_app, fake_line):
    client = loaded_app.test_client()
    page = client.get("/").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    data = client.post("/simulator/send", json={"kind": "text", "text": "応援団に入りたい"},
                       headers={"X-CSRFToken": csrf}).get_json()
    assert data["entry"] == "supporters-club"
    uri = [a["uri"] for a in actions(data["messages"]) if a["type"] == "uri" and a["label"] == "応援団に登録する"][0]
    number = receipt(apply(client, token=_token_of(uri)))
    with loaded_app.app_context():
        row = db.session.scalar(select(FormSubmission))
        assert row.receipt_no == number and row.line_user_id.startswith("sim-web-")
    # Issue 19 A12: a simulated resident never causes a LINE call.
    assert fake_line.calls("/v2/bot/message/push") == [] and fake_line.requests == []


def test_knowing_the_email_of_a_line_registration_does_not_take_it_over(loaded_app, webhook, fake_line):
    number = _linked_application(loaded_app, webhook, fake_line)
    client = loaded_app.test_client()  # someone else, on the web, with the same e-mail address
    confirm = post_confirm(client, dict(GOOD, **{"f-city": "目黒区"})).get_data(as_text=True)
    assert "すでに登録があります" not in confirm
    other = receipt(post_submit(client, confirm).get_data(as_text=True))
    assert other != number
    with loaded_app.app_context():
        first = db.session.scalar(select(FormSubmission).where(FormSubmission.receipt_no == number))
        assert first.answers["city"] == "世田谷区" and first.line_user_id == USER


def test_the_same_line_user_applying_again_updates_the_registration(loaded_app, webhook, fake_line):
    number = _linked_application(loaded_app, webhook, fake_line)
    fake_line.reset()
    token = _token_of(_ask_for_the_form(webhook, fake_line))
    client = loaded_app.test_client()
    confirm = post_confirm(client, dict(GOOD, **{"f-email": "", "f-city": "目黒区"}), token=token)
    html = confirm.get_data(as_text=True)
    assert f"この LINE のアカウントには、すでに登録があります（受付番号 {number}）。登録内容を更新しますか？" in html
    done = post_submit(client, html).get_data(as_text=True)
    assert receipt(done) == number and "登録内容を更新しました" in done
    again = post_submit(client, html).get_data(as_text=True)  # the update posted twice
    assert receipt(again) == number
    with loaded_app.app_context():
        rows = db.session.scalars(select(FormSubmission)).all()
        assert len(rows) == 1 and rows[0].answers["city"] == "目黒区" and rows[0].answers["email"] == ""
    assert len(fake_line.calls("/v2/bot/message/push")) == 1


def test_the_supporters_club_answer_says_the_bot_takes_the_application_and_offers_the_button(
        loaded_app, webhook, fake_line):
    """Issue 19 B10: the answer no longer sends residents to the website to find out how to apply."""
    webhook([events.follow()])
    webhook([events.text("星の降る里あしべつ応援団ってなんですか")])
    said = str(_replies(fake_line))
    assert "この LINE からできます" in said and "「応援団に登録する」ボタン" in said
    assert "申込みのページは、市のホームページまたは市役所でご確認ください" not in said
    assert "?t=" in _form_link(fake_line)  # and the button is there, signed for this resident


def test_an_attackers_line_link_with_a_victims_email_neither_changes_nor_ties_the_victims_record(
        loaded_app, webhook, fake_line):
    """Issue 19 A1: through the attacker's own LINE link, the victim's web registration stays the victim's."""
    victim = receipt(apply(loaded_app.test_client()))  # on the web, with hanako@example.jp
    token = _token_of(_ask_for_the_form(webhook, fake_line, user=OTHER))
    attacker = loaded_app.test_client()
    confirm = post_confirm(attacker, dict(GOOD, **{"f-name": "攻撃 者", "f-city": "目黒区"}), token=token)
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "すでに登録" not in html and victim not in html
    done = post_submit(attacker, html).get_data(as_text=True)
    theirs = receipt(done)
    assert theirs != victim and victim not in done and "申込みを受け付けました" in done
    with loaded_app.app_context():
        rows = {r.receipt_no: r for r in db.session.scalars(select(FormSubmission))}
        assert rows[victim].line_user_id is None and rows[victim].answers["name"] == "芦別 花子"
        assert rows[theirs].line_user_id == OTHER and rows[theirs].email_key == rows[victim].email_key
        from bot.forms.applications import duplicate_ids

        assert duplicate_ids(list(rows.values())) == {rows[victim].id, rows[theirs].id}  # 重複の可能性 for staff
    pushes = fake_line.calls("/v2/bot/message/push")
    assert [p.body["to"] for p in pushes] == [OTHER] and victim not in str(pushes[0].body)


def test_a_failed_line_push_is_said_truthfully_on_the_done_page(loaded_app, webhook, fake_line):
    """Issue 19 A2: the done page said 「LINE でもお知らせしました」 even when the push failed."""
    token = _token_of(_ask_for_the_form(webhook, fake_line))
    fake_line.inject("/v2/bot/message/push", 400, times=5)
    done = apply(loaded_app.test_client(), dict(GOOD, **{"f-email": ""}), token=token)
    assert "LINE でもお知らせしました" not in done and "LINE へのお知らせは、送ることができませんでした" in done
    assert len(fake_line.calls("/v2/bot/message/push")) >= 1


def test_the_line_links_token_is_exchanged_for_a_short_lived_cookie_and_a_clean_url(loaded_app, webhook, fake_line):
    """Issue 19 A8: the LINE button's token leaves the URL at the first GET; the cookie lives as long as the token."""
    token = _token_of(_ask_for_the_form(webhook, fake_line))
    loaded_app.config["SESSION_COOKIE_SECURE"] = True  # as in production
    client = loaded_app.test_client()
    first = client.get(f"/forms/supporters-club?t={token}")
    assert first.status_code == 303 and first.headers["Location"] == "/forms/supporters-club"
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith(f"form_link={token};") and "Max-Age=3600" in cookie and "Secure" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/forms/supporters-club" in cookie
    loaded_app.config["SESSION_COOKIE_SECURE"] = False
    client = loaded_app.test_client()
    page = client.get(f"/forms/supporters-club?t={token}", follow_redirects=True).get_data(as_text=True)
    assert "LINE と連携して申し込みます" in page and hidden(page, "t") == token  # carried on in POST bodies only
    data = {**GOOD, "csrf_token": hidden(page, "csrf_token"), "step": "confirm", "t": hidden(page, "t")}
    confirm = client.post("/forms/supporters-club", data=data).get_data(as_text=True)  # no token in a URL now
    done = post_submit(client, confirm).get_data(as_text=True)
    assert "受付番号を LINE でもお知らせしました。" in done
    assert client.get_cookie("form_link", path="/forms/supporters-club") is None  # spent: forgotten
