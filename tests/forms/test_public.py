"""The public form pages: input → confirm → done, bad input, CSRF, honeypot, rate limit, double submit."""
from __future__ import annotations

import logging

from sqlalchemy import func, select

from bot.extensions import db
from bot.models import FormSubmission, FormVersion
from tests.support import events
from tests.forms.support import GOOD, URL, apply, hidden, hidden_pairs, open_form, post_confirm, post_submit, receipt
from tests.support.linejson import actions


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(FormSubmission))


def test_the_form_page_labels_every_field(loaded_app):
    html = open_form(loaded_app.test_client())
    for key in ("name", "kana", "email", "prefecture", "city", "contact_via", "consent"):
        assert f'for="f-{key}"' in html and f'id="f-{key}"' in html
    assert "<legend>芦別とのご縁" in html and 'for="f-relation-1"' in html
    assert "個人情報の取扱い" in html and "<script" not in html


def test_a_resident_applies_and_gets_a_receipt(loaded_app):
    client = loaded_app.test_client()
    done = apply(client)
    number = receipt(done)
    assert number and len(number) == 11 and number[1] == "-" and number[6] == "-"
    with loaded_app.app_context():
        row = db.session.scalar(select(FormSubmission))
        assert row.receipt_no == number and row.status == "new" and row.channel == "web"
        assert row.answers["name"] == "芦別 花子" and row.answers["relation"] == ["芦別出身", "ふるさと納税"]
        assert row.answers["consent"] is True and row.email_key and "@" not in row.email_key
        assert row.version.slug == "supporters-club" and row.version.version == 1
    assert "登録の確認・変更・取消し" in done


def test_missing_required_fields_are_named_next_to_each_field(loaded_app):
    client = loaded_app.test_client()
    response = post_confirm(client, {"f-name": "芦別 花子"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "「ふりがな」を入力してください。" in html and "「芦別とのご縁」を1つ以上選んでください。" in html
    assert 'id="f-kana-error"' in html and 'aria-describedby="f-kana-help f-kana-error"' in html
    assert 'aria-invalid="true"' in html and 'href="#f-kana"' in html and 'href="#f-relation-1"' in html
    assert 'value="芦別 花子"' in html  # nothing lost
    assert _count(loaded_app) == 0


def test_kana_with_kanji_is_refused_and_the_input_kept(loaded_app):
    client = loaded_app.test_client()
    response = post_confirm(client, dict(GOOD, **{"f-kana": "芦別 はなこ"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "ひらがなかカタカナで入力してください" in html
    assert 'value="芦別 はなこ"' in html and 'value="hanako@example.jp"' in html
    assert _count(loaded_app) == 0


def test_katakana_width_and_long_vowels_are_kana_after_nfkc(loaded_app):
    client = loaded_app.test_client()
    apply(client, dict(GOOD, **{"f-kana": "ｱｼﾍﾞﾂ　ﾊﾅｺー", "f-name": "Ａｓｈｉｂｅｔｓｕ 🌟"}))
    with loaded_app.app_context():
        row = db.session.scalar(select(FormSubmission))
        assert row.answers["kana"] == "アシベツ ハナコー" and row.answers["name"] == "Ashibetsu 🌟"


def test_ten_thousand_characters_are_refused_with_a_japanese_message(loaded_app):
    client = loaded_app.test_client()
    response = post_confirm(client, dict(GOOD, **{"f-city": "あ" * 10_000}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "「お住まいの市区町村」は50文字以内で入力してください（いま10000文字）。" in html
    assert _count(loaded_app) == 0


def test_formats_postal_code_email_prefecture_and_choices(loaded_app):
    from bot.forms.fields import check

    postal = {"type": "postal_code", "label": "郵便番号"}
    assert check(postal, ["075-8711"]) == ("075-8711", None)
    assert check(postal, ["０７５８７１１"]) == ("075-8711", None)
    assert check(postal, ["07587"])[1] == "「郵便番号」は7桁の数字で入力してください（例：075-8711 または 0758711）。"
    assert check({"type": "email", "label": "メール"}, ["a@b"])[1]
    client = loaded_app.test_client()
    response = post_confirm(client, dict(GOOD, **{"f-prefecture": "火星", "f-relation": ["宇宙人"],
                                                  "f-email": "not-an-address", "f-contact_via": "電報"}))
    html = response.get_data(as_text=True)
    assert "都道府県の一覧から選んでください" in html and "「芦別とのご縁」は一覧から選んでください。" in html
    assert "メールアドレスの形" in html and "「市からのお知らせの受け取り方」は一覧から選んでください。" in html
    assert _count(loaded_app) == 0


def test_the_confirm_page_shows_the_answers_escaped_and_submits_once(loaded_app):
    client = loaded_app.test_client()
    confirm = post_confirm(client, dict(GOOD, **{"f-city": "<script>alert(1)</script>"}))
    html = confirm.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    first = post_submit(client, html)
    second = post_submit(client, html)  # the same confirm posted twice (double tap, back and resend)
    assert receipt(first.get_data(as_text=True)) == receipt(second.get_data(as_text=True))
    assert _count(loaded_app) == 1


def test_a_missing_csrf_token_keeps_the_input(loaded_app):
    client = loaded_app.test_client()
    response = client.post(URL, data={**GOOD, "step": "confirm"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "送信を受け付けられませんでした" in html
    assert 'value="芦別 花子"' in html and 'value="世田谷区"' in html
    confirm = post_confirm(client).get_data(as_text=True)
    data = {n: v for n, v in hidden_pairs(confirm) if n != "csrf_token"}
    refused = client.post(URL, data={**data, "step": "submit"})
    assert refused.status_code == 400 and _count(loaded_app) == 0


def test_a_forged_or_stale_draft_gets_a_japanese_error_and_keeps_the_input(loaded_app):
    client = loaded_app.test_client()
    confirm = post_confirm(client).get_data(as_text=True)
    forged = confirm.replace(f'value="{hidden(confirm, "draft")}"', 'value="forged.draft.value"')
    response = post_submit(client, forged)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "確認画面の情報が正しくありません" in html and 'value="芦別 花子"' in html
    loaded_app.config["FORM_DRAFT_MAX_AGE"] = -1
    stale = post_submit(client, confirm)
    assert stale.status_code == 400 and "時間がたちすぎました" in stale.get_data(as_text=True)
    changed = confirm.replace('value="世田谷区"', 'value="目黒区"')
    loaded_app.config["FORM_DRAFT_MAX_AGE"] = 3600
    assert post_submit(client, changed).status_code == 400
    assert _count(loaded_app) == 0


def test_the_honeypot_looks_like_success_and_stores_nothing(loaded_app, caplog):
    client = loaded_app.test_client()
    with caplog.at_level(logging.INFO):
        response = post_confirm(client, dict(GOOD, website="http://spam.example"))
    assert response.status_code == 200 and receipt(response.get_data(as_text=True))
    assert _count(loaded_app) == 0
    assert "honeypot" in caplog.text and "spam.example" not in caplog.text and "芦別 花子" not in caplog.text


def test_a_hundred_posts_a_minute_are_refused_with_429(loaded_app):
    client = loaded_app.test_client()
    page = open_form(client)
    token = hidden(page, "csrf_token")
    statuses = [client.post(URL, data={**GOOD, "csrf_token": token, "step": "submit", "draft": "x"}).status_code
                for _ in range(100)]
    assert statuses.count(429) >= 40 and statuses[-1] == 429
    last = client.post(URL, data={**GOOD, "csrf_token": token, "step": "confirm"})
    assert last.status_code == 429 and "しばらくお待ちください" in last.get_data(as_text=True)
    assert _count(loaded_app) == 0


def test_ten_submits_from_one_client_then_429(loaded_app):
    client = loaded_app.test_client()
    for n in range(10):
        apply(client, dict(GOOD, **{"f-email": f"p{n}@example.jp"}))
    confirm = post_confirm(client, dict(GOOD, **{"f-email": "p10@example.jp"})).get_data(as_text=True)
    assert post_submit(client, confirm).status_code == 429
    assert _count(loaded_app) == 10
    other = loaded_app.test_client()  # another client is not held back by this one's limit
    page = open_form(other)
    response = other.post(URL, data={**GOOD, "csrf_token": hidden(page, "csrf_token"), "step": "confirm"},
                          environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 200


def _audits(app, action: str) -> list:
    from bot.models import AuditLog

    with app.app_context():
        return [(r.actor, r.target_id, r.summary, r.before, r.after) for r in db.session.scalars(
            select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))]


def test_a_second_application_with_the_same_email_is_new_reveals_nothing_and_changes_nothing(loaded_app):
    """Issue 19 A1: an e-mail address alone neither tells whether it is registered nor changes the registration."""
    victim = receipt(apply(loaded_app.test_client()))
    attacker = loaded_app.test_client()
    taken = post_confirm(attacker, dict(GOOD, **{"f-name": "攻撃 者", "f-city": "目黒区",
                                                 "f-email": "HANAKO@example.jp"}))
    fresh = post_confirm(loaded_app.test_client(), dict(GOOD, **{"f-name": "攻撃 者", "f-city": "目黒区",
                                                                 "f-email": "nobody@example.jp"}))
    html = taken.get_data(as_text=True)
    assert taken.status_code == fresh.status_code == 200
    assert "すでに登録" not in html and victim not in html and "更新" not in html and hidden(html, "update") is None

    def shape(page: str) -> str:  # the page without what differs by design: the address typed, tokens
        import re

        page = re.sub(r'(value|content)="[^"]*"', r'\1=""', page)
        return page.replace("HANAKO@example.jp", "").replace("nobody@example.jp", "")

    assert shape(html) == shape(fresh.get_data(as_text=True))
    done = post_submit(attacker, html).get_data(as_text=True)
    other = receipt(done)
    assert other and other != victim and "申込みを受け付けました" in done and victim not in done
    with loaded_app.app_context():
        rows = {r.receipt_no: r for r in db.session.scalars(select(FormSubmission))}
        assert rows[victim].answers["name"] == "芦別 花子" and rows[victim].answers["city"] == "世田谷区"
        assert rows[other].answers["name"] == "攻撃 者" and rows[other].email_key == rows[victim].email_key
    created = _audits(loaded_app, "application.create")
    assert [(a, t) for a, t, *_ in created] == [("住民（ウェブ）", victim), ("住民（ウェブ）", other)]
    assert all("花子" not in str(row) and "example.jp" not in str(row) for row in created)
    assert _audits(loaded_app, "application.update") == []


def test_choosing_mail_needs_an_email_address(loaded_app):
    client = loaded_app.test_client()
    response = post_confirm(client, dict(GOOD, **{"f-contact_via": "メール", "f-email": ""}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "「市からのお知らせの受け取り方」で「メール」を選んだときは、「メールアドレス」を入力してください。" in html
    assert 'id="f-email-error"' in html and 'value="芦別 花子"' in html and 'value="世田谷区"' in html
    assert _count(loaded_app) == 0
    apply(client, dict(GOOD, **{"f-contact_via": "メール"}))  # with the address it is fine
    apply(client, dict(GOOD, **{"f-contact_via": "受け取らない", "f-email": ""}))  # no method, no address needed
    assert _count(loaded_app) == 2


def test_each_submission_keeps_the_version_it_answered(loaded_app, tmp_path):
    import shutil

    from bot.pack import read_pack
    from bot.pack import import_pack

    client = loaded_app.test_client()
    apply(client)
    pack = tmp_path / "pack"
    shutil.copytree(loaded_app.config["KNOWLEDGE_DIR"], pack)
    form = pack / "forms" / "supporters-club.yaml"
    form.write_text(form.read_text(encoding="utf-8").replace("入力はおよそ3分で終わります。", "入力は3分ほどです。"),
                    encoding="utf-8")
    with loaded_app.app_context():
        assert import_pack(read_pack(pack)).form_versions == ["supporters-club"]
        assert import_pack(read_pack(pack)).form_versions == []  # unchanged: no new version
    apply(client, dict(GOOD, **{"f-email": "second@example.jp"}))
    with loaded_app.app_context():
        versions = [r.version.version for r in db.session.scalars(select(FormSubmission).order_by(FormSubmission.id))]
        assert versions == [1, 2]
        assert db.session.scalar(select(func.count()).select_from(FormVersion)) == 2


def _bookmark(done: str) -> str:
    import re

    return re.search(r'href="(/forms/supporters-club/manage\?w=[^"]+)"', done).group(1).replace("&amp;", "&")


def test_a_link_token_is_exchanged_for_a_path_scoped_httponly_cookie_and_a_clean_url(loaded_app):
    """Issue 19 A8: after the first GET no secret is in a URL the access log keeps."""
    done = apply(loaded_app.test_client(), dict(GOOD, **{"f-email": ""}))
    link = _bookmark(done)
    token = link.split("w=", 1)[1]
    for path in (link, link.replace("/manage?", "/withdraw?")):  # links of receipts sent before, too
        client = loaded_app.test_client()
        first = client.get(path)
        assert first.status_code == 303 and first.headers["Location"] == URL + "/manage"
        assert first.headers["Cache-Control"] == "no-store"
        cookie = first.headers["Set-Cookie"]
        assert cookie.startswith("form_manage=" + token) and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Path=/forms/supporters-club;" in cookie or cookie.endswith("Path=/forms/supporters-club")
        page = client.get(URL + "/manage").get_data(as_text=True)
        assert receipt(done) in page and token not in page  # the page carries no token either
    assert "開けませんでした" in loaded_app.test_client().get(URL + "/manage").get_data(as_text=True)


def test_withdrawal_on_the_web_through_the_management_link(loaded_app):
    client = loaded_app.test_client()
    done = apply(client, dict(GOOD, **{"f-email": ""}))
    number = receipt(done)
    assert 'href="/forms/supporters-club/manage"' in done  # the sender's browser needs no token in the URL
    page = client.get(URL + "/manage").get_data(as_text=True)
    assert "取り消します。よろしいですか" in page and number in page
    other = loaded_app.test_client()
    page = other.get(_bookmark(done), follow_redirects=True).get_data(as_text=True)
    assert "取り消します。よろしいですか" in page
    with loaded_app.app_context():
        assert db.session.scalar(select(FormSubmission)).status == "new"  # opening the link is not withdrawing
    assert other.post(URL + "/withdraw", data={}).status_code == 400  # no CSRF token
    assert loaded_app.test_client().post(URL + "/withdraw", data={"csrf_token": hidden(page, "csrf_token")}
                                         ).status_code == 400  # no management cookie: nothing to withdraw
    response = other.post(URL + "/withdraw", data={"csrf_token": hidden(page, "csrf_token")})
    assert "登録を取り消しました" in response.get_data(as_text=True)
    with loaded_app.app_context():
        row = db.session.scalar(select(FormSubmission))
        assert row.status == "cancelled" and row.withdrawn_at and row.answers["name"] == "芦別 花子"
    assert _audits(loaded_app, "application.withdraw") == [
        ("住民（ウェブ）", number, f"受付番号 {number} の登録を本人が取消し", None, None)]
    assert "すでに取り消されています" in loaded_app.test_client().get(
        _bookmark(done), follow_redirects=True).get_data(as_text=True)
    forged = loaded_app.test_client().get(_bookmark(done)[:-2] + "zz", follow_redirects=True)
    assert forged.status_code == 400 and "正しくありません" in forged.get_data(as_text=True)


def test_the_management_link_changes_the_registration_and_nothing_else_does(loaded_app):
    """Issue 19 A1: a change needs proof of ownership; the management link is one, re-checked when sent."""
    done = apply(loaded_app.test_client())
    number = receipt(done)
    owner = loaded_app.test_client()
    owner.get(_bookmark(done))
    page = owner.get(URL + "?change=1").get_data(as_text=True)
    assert f"受付番号 <strong translate=\"no\">{number}</strong> の登録内容を変更します" in page
    assert 'value="芦別 花子"' in page and hidden(page, "m") == "1"
    data = {**GOOD, "f-city": "目黒区", "csrf_token": hidden(page, "csrf_token"), "step": "confirm", "m": "1"}
    confirm = owner.post(URL, data=data).get_data(as_text=True)
    assert f"受付番号 {number} の登録内容を、この内容に変更します" in confirm
    # Someone else with the owner's confirm page (and the signed draft in it), but not the link: refused.
    stranger = loaded_app.test_client()
    theirs = hidden(open_form(stranger), "csrf_token")
    refused = post_submit(stranger, confirm.replace(hidden(confirm, "csrf_token"), theirs))
    assert refused.status_code == 403 and "登録は変更していません" in refused.get_data(as_text=True)
    assert loaded_app.test_client().get(URL + "?change=1").status_code == 403
    stranger_confirm = stranger.post(URL, data={**data, "csrf_token": theirs})  # m=1 without the link: refused
    assert stranger_confirm.status_code == 403 and "登録は変更していません" in stranger_confirm.get_data(as_text=True)
    with loaded_app.app_context():
        assert db.session.scalar(select(FormSubmission)).answers["city"] == "世田谷区"
    updated = post_submit(owner, confirm).get_data(as_text=True)
    assert receipt(updated) == number and "登録内容を更新しました" in updated
    again = post_submit(owner, confirm).get_data(as_text=True)  # posted twice: one change
    assert receipt(again) == number
    with loaded_app.app_context():
        rows = db.session.scalars(select(FormSubmission)).all()
        assert len(rows) == 1 and rows[0].answers["city"] == "目黒区"
    assert [(a, t) for a, t, *_ in _audits(loaded_app, "application.update")] == [("住民（ウェブ）", number)]


def test_no_answer_reaches_the_logs(loaded_app, webhook, fake_line, caplog):
    webhook([events.follow()])
    webhook([events.text("応援団に入りたい")])
    uri = [a["uri"] for call in fake_line.calls("/v2/bot/message/reply") for m in call.body["messages"]
           for a in actions(m) if a["type"] == "uri"
           and a["label"] == "応援団に登録する"][0]
    client = loaded_app.test_client()
    with caplog.at_level(logging.DEBUG):
        done = apply(client, token=uri.split("t=", 1)[1])
        apply(loaded_app.test_client(), dict(GOOD, **{"f-email": "x@example.jp"}))
        post_confirm(client, dict(GOOD, **{"f-kana": "漢字の名前"}))
    number = receipt(done)
    assert number in caplog.text and "v1" in caplog.text
    for value in ("芦別 花子", "あしべつ はなこ", "hanako@example.jp", "x@example.jp", "世田谷区", "ふるさと納税", "漢字の名前"):
        assert value not in caplog.text
    from bot.models import QuestionLog

    with loaded_app.app_context():
        logged = " ".join(q.text for q in db.session.scalars(select(QuestionLog)))
        assert "芦別 花子" not in logged and number not in logged


def test_an_unknown_form_is_a_japanese_404(loaded_app):
    response = loaded_app.test_client().get("/forms/no-such-form")
    assert response.status_code == 404 and "<h1>" in response.get_data(as_text=True)
